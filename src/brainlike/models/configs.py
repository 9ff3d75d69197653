"""Architecture hyperparameters of each model family, with their named presets.

Plain dataclasses, no torch: the plan checks a config's presets at parse time without
loading the models. Every checkpoint stores its model's config.
"""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import asdict, dataclass, replace

from brainlike.models.vision_configs import CPCConfig, MAEConfig

#: (channels, kernel, stride) of the seven convolutional blocks in the paper's BASE model.
PAPER_CONV = ((512, 10, 5), (512, 3, 2), (512, 3, 2), (512, 3, 2), (512, 3, 2), (512, 2, 2),
              (512, 2, 2))


@dataclass(frozen=True)
class Wav2Vec2Config:
    """Architecture hyperparameters; stored in every checkpoint."""

    conv_layers: tuple[tuple[int, int, int], ...] = PAPER_CONV
    embed_dim: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ff_dim: int = 3072
    pos_conv_kernel: int = 128
    pos_conv_groups: int = 16
    dropout: float = 0.1
    layer_norm_first: bool = False
    sample_rate: int = 16000

    @classmethod
    def preset(cls, name: str) -> Wav2Vec2Config:
        if name not in WAVEFORM_PRESETS:
            raise ValueError(f"unknown waveform preset {name!r}; choose from "
                             f"{sorted(WAVEFORM_PRESETS)}")
        return WAVEFORM_PRESETS[name]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Wav2Vec2Config:
        return cls(**{**d, "conv_layers": tuple(tuple(c) for c in d["conv_layers"])})

    @property
    def conv_channels(self) -> int:
        """Width of the last convolutional block (what the quantizer sees)."""
        return self.conv_layers[-1][0]


WAVEFORM_PRESETS: dict[str, Wav2Vec2Config] = {
    # The paper's BASE model (95 M parameters): for a GPU cluster.
    "base": Wav2Vec2Config(),
    # Same seven-block geometry (so layer times match BASE) at a width 2 CPU cores can run.
    "tiny": Wav2Vec2Config(conv_layers=tuple((64, k, s) for _, k, s in PAPER_CONV),
                           embed_dim=128, num_layers=4, num_heads=4, ff_dim=256,
                           pos_conv_kernel=32, pos_conv_groups=4),
}



@dataclass(frozen=True)
class LogMelEncoderConfig:
    """Architecture hyperparameters; stored in every checkpoint."""

    n_mels: int = 80
    n_fft: int = 400
    hop_length: int = 160
    conv_channels: int = 256
    conv_kernels: tuple[int, int] = (3, 3)
    conv_strides: tuple[int, int] = (1, 2)  # 100 Hz mel -> 100 Hz conv1 -> 50 Hz conv2
    embed_dim: int = 256
    num_layers: int = 4
    num_heads: int = 4
    ff_dim: int = 1024
    pos_conv_kernel: int = 31  # odd: 'same' padding without trimming (0.6 s at 50 Hz)
    pos_conv_groups: int = 16
    pos_dims: int = 0  # 0: positions added to the projection; > 0: their own channels
    dropout: float = 0.1
    sample_rate: int = 16000

    def __post_init__(self) -> None:
        if len(self.conv_kernels) != 2 or len(self.conv_strides) != 2:
            raise ValueError("conv_kernels and conv_strides need one entry per conv layer (2)")
        if self.pos_conv_kernel % 2 != 1:
            raise ValueError(f"pos_conv_kernel must be odd, found {self.pos_conv_kernel}")
        if self.embed_dim % self.num_heads or self.embed_dim % self.pos_conv_groups:
            raise ValueError(f"embed_dim {self.embed_dim} must divide by num_heads "
                             f"{self.num_heads} and pos_conv_groups {self.pos_conv_groups}")
        if not 0 <= self.pos_dims < self.embed_dim or self.pos_dims % self.pos_conv_groups:
            raise ValueError(f"pos_dims {self.pos_dims} must be in [0, embed_dim "
                             f"{self.embed_dim}) and divide by pos_conv_groups "
                             f"{self.pos_conv_groups}")

    @property
    def content_dim(self) -> int:
        """Channels of the frame's projection (the rest carry the positional term)."""
        return self.embed_dim - self.pos_dims

    @classmethod
    def preset(cls, name: str) -> LogMelEncoderConfig:
        if name not in LOGMEL_PRESETS:
            raise ValueError(f"unknown logmel preset {name!r}; choose from "
                             f"{sorted(LOGMEL_PRESETS)}")
        return LOGMEL_PRESETS[name]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LogMelEncoderConfig:
        return cls(**{**d, "conv_kernels": tuple(d["conv_kernels"]),
                      "conv_strides": tuple(d["conv_strides"])})


LOGMEL_PRESETS: dict[str, LogMelEncoderConfig] = {
    # Measured on 2 CPU cores: 3.6 M parameters, learns masked prediction in minutes.
    "tiny": LogMelEncoderConfig(),
    # The tiny model with a 512-wide transformer (13 M parameters, ~2x the step time). A
    # linear phone read-out needs room for a frame's own spectrum *and* its context: at width
    # 256 HuBERT's transformer layers stayed below conv1, at 512 they rise above it.
    "small": LogMelEncoderConfig(embed_dim=512, num_heads=8, ff_dim=2048),
    # Positions in their own channels (a quarter of the width), concatenated, not added.
    "tiny-split": LogMelEncoderConfig(pos_dims=64),
    "small-split": LogMelEncoderConfig(embed_dim=512, num_heads=8, ff_dim=2048, pos_dims=128),
    # Same frame geometry, BASE-like width and depth (~90 M parameters): for a GPU.
    "base": LogMelEncoderConfig(conv_channels=512, embed_dim=768, num_layers=12,
                                num_heads=12, ff_dim=3072, pos_conv_kernel=63),
}

@dataclass(frozen=True)
class PretrainedConfig:
    """A published wav2vec 2.0 / HuBERT encoder as torchaudio rebuilds it (stored in its
    checkpoint). No presets and no defaults: every field is read off the imported model
    (:func:`brainlike.models.pretrained.config_of`). Dropout is left out: the encoder is
    only ever run in eval mode."""

    conv_layers: tuple[tuple[int, int, int], ...]
    extractor_mode: str  # "group_norm" (BASE, HuBERT) or "layer_norm" (large, XLSR)
    conv_bias: bool
    embed_dim: int
    num_layers: int
    num_heads: int
    ff_dim: int
    pos_conv_kernel: int
    pos_conv_groups: int
    layer_norm_first: bool  # pre-LN transformer blocks ("stable layer norm": large, XLSR)
    normalize: bool  # zero mean, unit variance per input, as the checkpoint's preprocessing
    sample_rate: int

    @classmethod
    def preset(cls, name: str) -> PretrainedConfig:
        raise ValueError(f"pretrained models have no preset ({name!r}): the architecture comes "
                         "from the checkpoint they import")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> PretrainedConfig:
        return cls(**{**d, "conv_layers": tuple(tuple(c) for c in d["conv_layers"])})


@dataclass(frozen=True)
class CausalLMConfig:
    """A word-level causal language model's architecture (:mod:`brainlike.models.causal_lm`);
    stored in every checkpoint.

    ``vocab_size`` is 0 in the presets: it comes from the training text's vocabulary
    (``with_vocabulary``), so one preset serves every language.
    """

    vocab_size: int = 0
    context: int = 1024  # most tokens (words and ``<s>``) one forward pass sees
    embed_dim: int = 768
    num_layers: int = 12
    num_heads: int = 12
    ff_dim: int = 3072
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim {self.embed_dim} must divide by num_heads "
                             f"{self.num_heads}")
        if self.context < 2 or self.num_layers < 1 or self.vocab_size < 0:
            raise ValueError(f"need context >= 2, num_layers >= 1, vocab_size >= 0; found "
                             f"{self.context}, {self.num_layers}, {self.vocab_size}")

    @classmethod
    def preset(cls, name: str) -> CausalLMConfig:
        if name not in LM_PRESETS:
            raise ValueError(f"unknown causal LM preset {name!r}; choose from "
                             f"{sorted(LM_PRESETS)}")
        return LM_PRESETS[name]

    def with_vocabulary(self, vocab: Sized) -> CausalLMConfig:
        """This config sized for ``vocab`` (a :class:`~brainlike.models.causal_lm.Vocabulary`)."""
        return replace(self, vocab_size=len(vocab))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> CausalLMConfig:
        return cls(**d)


LM_PRESETS: dict[str, CausalLMConfig] = {
    # GPT-2 small's shape (the paper's model), 1024 positions of whole words.
    "paper": CausalLMConfig(),
    # Trains in CPU minutes on a simulated language; 32 words span three or four sentences.
    "tiny": CausalLMConfig(context=32, embed_dim=128, num_layers=2, num_heads=4, ff_dim=512,
                           dropout=0.0),
}


#: family -> its config class (the model classes: :mod:`brainlike.models.checkpoint`).
#: waveform: the paper's raw-waveform wav2vec 2.0 encoder; logmel: log-mel front end;
#: pretrained: a published checkpoint imported through torchaudio (its config read off it);
#: causal_lm: a word-level next-word transformer, read word by word (a text model).
FAMILY_CONFIGS = {"waveform": Wav2Vec2Config, "logmel": LogMelEncoderConfig,
                  "pretrained": PretrainedConfig, "causal_lm": CausalLMConfig,
                  "cpc": CPCConfig, "mae": MAEConfig}
#: Families whose input is the stimulus's words, not its audio (no phone probe, word-level
#: forecast windows, trained by a text objective).
TEXT_FAMILIES = frozenset({"causal_lm"})
#: Families that read movie frames (vision models, scored against `viewing` datasets).
VIDEO_FAMILIES = frozenset({"cpc", "mae"})


def family_preset(family: str, preset: str
                  ) -> Wav2Vec2Config | LogMelEncoderConfig | CausalLMConfig:
    """The named preset of a family; ValueError naming the choices otherwise."""
    if family not in FAMILY_CONFIGS:
        raise ValueError(f"unknown model family {family!r}; choose from {sorted(FAMILY_CONFIGS)}")
    return FAMILY_CONFIGS[family].preset(preset)
