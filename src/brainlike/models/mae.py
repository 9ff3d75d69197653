"""Masked autoencoder (He et al. 2021) on single grayscale movie frames, with every layer exposed.

Follows facebookresearch/mae: a ViT encoder sees only a random quarter of the patches, a light
decoder fills in the rest from mask tokens, and the loss is the mean squared error on the
masked patches' pixels, each patch normalised by its own mean and variance (``norm_pix_loss``).
Positions are fixed 2-D sine-cosine embeddings. There is no class token: the layers compared
with the brain are token averages (or small pooled grids), which the paper found as good as the
class token for linear read-out.

Frames are average-pooled to ``input_size`` before patching, so the tiny preset reads the
world's 64x64 frames at 32x32. ``forward_layers`` runs each frame on its own, unmasked.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.models.vision_configs import MAE_PRESETS as PRESETS
from brainlike.models.vision_configs import MAEConfig

__all__ = ["MAE", "PRESETS", "MAEConfig", "pathway_of", "random_masking", "sincos_positions"]

# Normalised-pixel targets divide by sqrt(var + eps), as in the reference implementation.
NORM_PIX_EPS = 1e-6


def sincos_positions(dim: int, grid: int) -> Tensor:
    """Fixed 2-D sine-cosine position embeddings, (grid * grid, dim), row-major patch order:
    half the channels encode the row, half the column (as in the reference implementation)."""
    if dim % 4:
        raise ValueError(f"dim must be divisible by 4, found {dim}")
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4))
    coords = torch.arange(grid, dtype=torch.float64)
    rows, cols = torch.meshgrid(coords, coords, indexing="ij")

    def embed(pos: Tensor) -> Tensor:
        angles = pos.reshape(-1, 1) * omega
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    return torch.cat([embed(rows), embed(cols)], dim=1).float()


def random_masking(x: Tensor, mask_ratio: float,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Keep a random ``round((1 - mask_ratio) * L)`` patches of each sample, drawn afresh per
    sample by shuffling with uniform noise.

    x: (B, L, D) tokens. generator: a CPU generator (None: torch's global one).
    Returns kept tokens (B, K, D) in shuffled order, mask (B, L) float (1 = masked, in the
    original patch order) and ids_restore (B, L), which unshuffles the K kept tokens followed
    by L - K placeholders back into patch order.
    """
    if x.ndim != 3:
        raise ValueError(f"tokens must be (batch, patches, dim), found shape {tuple(x.shape)}")
    if not 0.0 <= mask_ratio < 1.0:
        raise ValueError(f"mask_ratio must be in [0, 1), found {mask_ratio}")
    b, n, d = x.shape
    keep = round((1.0 - mask_ratio) * n)
    if keep < 1:
        raise ValueError(f"mask_ratio {mask_ratio} keeps no patch of {n}")
    noise = torch.rand(b, n, generator=generator).to(x.device)
    ids_shuffle = noise.argsort(dim=1)  # the smallest noise values are kept
    ids_restore = ids_shuffle.argsort(dim=1)
    kept = torch.gather(x, 1, ids_shuffle[:, :keep, None].expand(-1, -1, d))
    mask = torch.ones(b, n, device=x.device)
    mask[:, :keep] = 0
    return kept, torch.gather(mask, 1, ids_restore), ids_restore


def _blocks(dim: int, depth: int, heads: int, mlp_ratio: float) -> nn.ModuleList:
    # Pre-norm GELU blocks without dropout: timm's ViT ``Block`` as MAE uses it.
    return nn.ModuleList(
        nn.TransformerEncoderLayer(dim, heads, dim_feedforward=int(dim * mlp_ratio), dropout=0.0,
                                   activation="gelu", layer_norm_eps=1e-6, batch_first=True,
                                   norm_first=True)
        for _ in range(depth))


_LAYER = re.compile(r"patch|block[1-9][0-9]*")


def pathway_of(layer: str) -> str | None:
    """The MAE has one stream: no layer belongs to a pathway."""
    if not _LAYER.fullmatch(layer):
        raise ValueError(f"not an MAE layer name: {layer!r} (expected 'patch' or 'block<i>')")
    return None


class MAE(nn.Module):
    """A masked autoencoder on grayscale frames: ViT encoder and light transformer decoder."""

    random_masking = staticmethod(random_masking)

    def __init__(self, config: MAEConfig) -> None:
        super().__init__()
        self.config = c = config
        self.patch_embed = nn.Conv2d(1, c.dim, c.patch, stride=c.patch)
        self.register_buffer("pos_embed", sincos_positions(c.dim, c.grid), persistent=False)
        self.blocks = _blocks(c.dim, c.depth, c.heads, c.mlp_ratio)
        self.norm = nn.LayerNorm(c.dim, eps=1e-6)
        self.decoder_embed = nn.Linear(c.dim, c.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(c.decoder_dim))
        self.register_buffer("decoder_pos_embed", sincos_positions(c.decoder_dim, c.grid),
                             persistent=False)
        self.decoder_blocks = _blocks(c.decoder_dim, c.decoder_depth, c.decoder_heads,
                                      c.mlp_ratio)
        self.decoder_norm = nn.LayerNorm(c.decoder_dim, eps=1e-6)
        self.decoder_pred = nn.Linear(c.decoder_dim, c.patch ** 2)
        self._init_weights()

    def _init_weights(self) -> None:
        # The reference implementation's initialisation: xavier for every projection (the patch
        # embedding treated as one), small normal mask token.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        w = self.patch_embed.weight
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.normal_(self.mask_token, std=0.02)

    # -- input ---------------------------------------------------------------------------------

    def prepare(self, images: Tensor) -> Tensor:
        """Frames (N, H, W) in [0, 1] -> (N, 1, input_size, input_size), average-pooled."""
        size = self.config.input_size
        if images.ndim != 3 or images.shape[1] < size or images.shape[2] < size:
            raise ValueError(f"frames must be (N, H, W) with H, W >= {size}, found shape "
                             f"{tuple(images.shape)}")
        return F.adaptive_avg_pool2d(images.unsqueeze(1).float(), size)

    def patchify(self, images: Tensor) -> Tensor:
        """Frames (N, H, W) -> pixel patches (N, L, patch**2), row-major over the grid."""
        x = self.prepare(images)
        p, g = self.config.patch, self.config.grid
        x = x.reshape(x.shape[0], g, p, g, p).permute(0, 1, 3, 2, 4)
        return x.reshape(x.shape[0], g * g, p * p)

    def targets(self, images: Tensor) -> Tensor:
        """What the decoder predicts, (N, L, patch**2): the pixels, normalised per patch when
        ``norm_pix_loss``."""
        target = self.patchify(images)
        if self.config.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + NORM_PIX_EPS).sqrt()
        return target

    def embed(self, images: Tensor) -> Tensor:
        """Frames (N, H, W) -> patch embeddings (N, L, dim), positions not yet added."""
        return self.patch_embed(self.prepare(images)).flatten(2).transpose(1, 2)

    # -- pre-training --------------------------------------------------------------------------

    def forward_encoder(self, images: Tensor, mask_ratio: float,
                        generator: torch.Generator | None = None
                        ) -> tuple[Tensor, Tensor, Tensor]:
        """Encode a random subset of each frame's patches.

        Returns latent (N, K, dim) after the final norm, mask (N, L) (1 = masked) and
        ids_restore (N, L) (see :func:`random_masking`).
        """
        x = self.embed(images) + self.pos_embed
        x, mask, ids_restore = random_masking(x, mask_ratio, generator)
        for block in self.blocks:
            x = block(x)
        return self.norm(x), mask, ids_restore

    def forward_decoder(self, latent: Tensor, ids_restore: Tensor) -> Tensor:
        """Kept-patch latents (N, K, dim) -> predicted targets for all patches (N, L, patch**2)."""
        x = self.decoder_embed(latent)
        n, k, d = x.shape
        fill = self.mask_token.expand(n, ids_restore.shape[1] - k, d)
        x = torch.cat([x, fill], dim=1)
        x = torch.gather(x, 1, ids_restore[:, :, None].expand(-1, -1, d))
        x = x + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))

    def forward_loss(self, images: Tensor, pred: Tensor, mask: Tensor) -> Tensor:
        """Mean squared error over the masked patches only (scalar).

        images: (N, H, W) frames; pred: (N, L, patch**2); mask: (N, L), 1 = masked.
        """
        target = self.targets(images)
        if pred.shape != target.shape or mask.shape != target.shape[:2]:
            raise ValueError(f"pred must be {tuple(target.shape)} and mask "
                             f"{tuple(target.shape[:2])}, found {tuple(pred.shape)} and "
                             f"{tuple(mask.shape)}")
        per_patch = ((pred - target) ** 2).mean(dim=-1)
        return (per_patch * mask).sum() / mask.sum().clamp(min=1)

    def forward(self, images: Tensor, generator: torch.Generator | None = None,
                mask_ratio: float | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Frames (N, H, W) -> (loss (), pred (N, L, patch**2), mask (N, L))."""
        ratio = self.config.mask_ratio if mask_ratio is None else mask_ratio
        latent, mask, ids_restore = self.forward_encoder(images, ratio, generator)
        pred = self.forward_decoder(latent, ids_restore)
        return self.forward_loss(images, pred, mask), pred, mask

    # -- layers compared with the brain --------------------------------------------------------

    def layer_names(self) -> list[str]:
        return ["patch"] + [f"block{i + 1}" for i in range(self.config.depth)]

    def _pooled(self, tokens: Tensor) -> Tensor:
        """(N, L, D) tokens -> (N, D * pool**2): the grid average-pooled onto pool x pool."""
        n, _, d = tokens.shape
        grid = tokens.transpose(1, 2).reshape(n, d, self.config.grid, self.config.grid)
        return F.adaptive_avg_pool2d(grid, self.config.pool).reshape(n, -1)

    def forward_layers(self, frames: Tensor) -> dict[str, Tensor]:
        """Every layer for movie frames (B, T, H, W) in [0, 1], each frame on its own and
        unmasked: name -> (B, T, dim * pool**2).

        "patch" is the patch embedding before positions (which are the same in every frame);
        "block<i>" is the i-th transformer block's output.
        """
        if frames.ndim != 4:
            raise ValueError(f"frames must be (batch, time, height, width), found shape "
                             f"{tuple(frames.shape)}")
        b, t = frames.shape[:2]
        x = self.embed(frames.reshape(b * t, *frames.shape[2:]))
        out = {"patch": self._pooled(x)}
        x = x + self.pos_embed
        for i, block in enumerate(self.blocks):
            x = block(x)
            out[f"block{i + 1}"] = self._pooled(x)
        return {name: v.reshape(b, t, -1) for name, v in out.items()}
