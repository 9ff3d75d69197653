"""Architecture hyperparameters of the vision families, with their named presets.

Plain dataclasses, no torch (as :mod:`brainlike.models.configs`): the plan checks presets at
parse time. Every checkpoint stores its model's config.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CPCConfig:
    """Architecture and recipe hyperparameters; stored in every checkpoint.

    pathways: parallel residual stacks after the shared stem.
    stem_channels: the stem's output channels (a multiple of 4: rotated filter copies).
    pathway_channels: output channels of each residual block of one pathway.
    input_size: frames are average-pooled to input_size x input_size first.
    block_frames, n_blocks, context_blocks: a clip is n_blocks blocks of block_frames frames;
        the first context_blocks predict the latents of the rest.
    hidden: channels of the ConvGRU state.
    pool_grid: forward_layers pools every feature map onto pool_grid x pool_grid.
    bottleneck: a residual block's inner width is its channels // bottleneck.
    causal: temporal padding all before the first frame (True) or split evenly (the public
        code's zero 'same' padding).
    """

    pathways: int = 2
    stem_channels: int = 128
    pathway_channels: tuple[int, ...] = (64,) * 10
    input_size: int = 64
    block_frames: int = 5
    n_blocks: int = 8
    context_blocks: int = 5
    hidden: int = 128
    pool_grid: int = 2
    bottleneck: int = 4
    causal: bool = True

    def __post_init__(self) -> None:
        if self.pathways < 1 or not self.pathway_channels:
            raise ValueError(f"need >= 1 pathway of >= 1 block, found pathways={self.pathways}, "
                             f"pathway_channels={self.pathway_channels}")
        if self.stem_channels % 4:
            raise ValueError(f"stem_channels must be a multiple of 4, found {self.stem_channels}")
        if min(self.pathway_channels) < self.bottleneck:
            raise ValueError(f"pathway_channels {self.pathway_channels} must be >= bottleneck "
                             f"{self.bottleneck}")
        if not 1 <= self.context_blocks < self.n_blocks:
            raise ValueError(f"context_blocks must be in [1, n_blocks), found "
                             f"{self.context_blocks} of {self.n_blocks}")
        if self.block_frames < 1 or self.input_size < 4 or self.pool_grid < 1:
            raise ValueError(f"bad sizes: block_frames={self.block_frames}, "
                             f"input_size={self.input_size}, pool_grid={self.pool_grid}")

    @property
    def clip_frames(self) -> int:
        """Frames one training clip spans."""
        return self.n_blocks * self.block_frames

    @property
    def pred_blocks(self) -> int:
        """Future blocks predicted from the context."""
        return self.n_blocks - self.context_blocks

    @property
    def feature_size(self) -> int:
        """Channels of a block latent: the pathways' last blocks concatenated."""
        return self.pathways * self.pathway_channels[-1]

    @property
    def latent_size(self) -> int:
        """Side of a latent's spatial grid: the stem halves input_size twice."""
        return (((self.input_size + 1) // 2) + 1) // 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> CPCConfig:
        return cls(**{**d, "pathway_channels": tuple(d["pathway_channels"])})

    @classmethod
    def preset(cls, name: str) -> CPCConfig:
        if name not in CPC_PRESETS:
            raise ValueError(f"unknown cpc preset {name!r}; choose from {sorted(CPC_PRESETS)}")
        return CPC_PRESETS[name]


_PAPER = CPCConfig()
CPC_PRESETS: dict[str, CPCConfig] = {
    # VisualNet(num_res_blocks=10, num_paths=P) with DPC's recipe at 64x64: the stem is
    # 256 / P wide and each pathway half that, so the latent is 128 channels for either P.
    "paper": _PAPER,
    "paper-one": CPCConfig(pathways=1, stem_channels=256, pathway_channels=(128,) * 10),
    # The popular description: ten frames of context predict the next frame's latent.
    "paper-next": CPCConfig(block_frames=1, n_blocks=11, context_blocks=10),
    # CPU scale: 32x32 input (8x8 latents), four blocks per pathway; the one-pathway control
    # keeps the public code's scaling (stem twice as wide, one pathway as wide as both).
    "tiny": CPCConfig(stem_channels=16, pathway_channels=(16,) * 4, input_size=32, hidden=32,
                      pool_grid=4),
    "tiny-one": CPCConfig(pathways=1, stem_channels=32, pathway_channels=(32,) * 4,
                          input_size=32, hidden=32, pool_grid=4),
}


@dataclass(frozen=True)
class MAEConfig:
    """Architecture hyperparameters; stored in every checkpoint.

    input_size: side (px) frames are average-pooled to before patching; frames must be at
        least this large.
    patch: patch side (px); divides ``input_size``.
    pool: the layers' token grid is average-pooled onto ``pool x pool`` cells, so every layer
        has ``dim * pool**2`` features per frame (1: the token average).
    """

    input_size: int = 64
    patch: int = 4
    dim: int = 768
    depth: int = 12
    heads: int = 12
    mlp_ratio: float = 4.0
    decoder_dim: int = 512
    decoder_depth: int = 8
    decoder_heads: int = 16
    mask_ratio: float = 0.75
    norm_pix_loss: bool = True
    pool: int = 1

    def __post_init__(self) -> None:
        if self.patch < 1 or self.input_size % self.patch:
            raise ValueError(f"patch must divide input_size, found patch={self.patch}, "
                             f"input_size={self.input_size}")
        if self.dim % 4 or self.decoder_dim % 4:
            raise ValueError("2-D sine-cosine positions need dim and decoder_dim divisible by 4, "
                             f"found {self.dim} and {self.decoder_dim}")
        if self.dim % self.heads or self.decoder_dim % self.decoder_heads:
            raise ValueError(f"heads must divide their width, found dim={self.dim}/heads="
                             f"{self.heads}, decoder_dim={self.decoder_dim}/decoder_heads="
                             f"{self.decoder_heads}")
        if not 0.0 < self.mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must be in (0, 1), found {self.mask_ratio}")
        if not 1 <= self.pool <= self.grid:
            raise ValueError(f"pool must be in [1, {self.grid}] (the patch grid), found {self.pool}")

    @property
    def grid(self) -> int:
        """Patches per side."""
        return self.input_size // self.patch

    @property
    def n_patches(self) -> int:
        return self.grid ** 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MAEConfig:
        return cls(**d)

    @classmethod
    def preset(cls, name: str) -> MAEConfig:
        if name not in MAE_PRESETS:
            raise ValueError(f"unknown MAE preset {name!r}; choose from {sorted(MAE_PRESETS)}")
        return MAE_PRESETS[name]


MAE_PRESETS: dict[str, MAEConfig] = {
    # ViT-B's encoder and the paper's decoder; 4 px patches give the 64x64 world a 16x16 grid,
    # about ViT-B/16's 14x14 on 224 px images.
    "paper": MAEConfig(),
    # 8x8 patches of 4 px on frames pooled to 32 px: a training step runs on one CPU thread.
    "tiny": MAEConfig(input_size=32, patch=4, dim=128, depth=4, heads=4, mlp_ratio=2.0,
                      decoder_dim=64, decoder_depth=2, decoder_heads=4, pool=2),
}
