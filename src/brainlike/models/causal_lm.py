"""A word-level causal (next-word) transformer language model, nanoGPT-style, every layer exposed.

Caucheteux, Gramfort & King (2023) read GPT-2's layers word by word; this is the same
architecture family at a size the simulated corpora can train: token and learned position
embeddings, pre-LN causal self-attention blocks, a final layer norm and an output head tied
to the token embedding. Tokens are whole lower-cased words (the simulated languages have a
few hundred word forms; a word-level vocabulary keeps "one state per word" exact, where a
sub-word model would need its pieces pooled), with ``<unk>`` for words below the training
count threshold and ``<s>`` opening every sentence.

The layers read out are the embedding (token + position) and the residual stream after each
block, the GPT-2 ``hidden_states`` convention minus the final layer norm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path
# The config lives with the other families' (no torch), so the plan checks presets at parse time.
from brainlike.models.configs import LM_PRESETS, CausalLMConfig  # noqa: F401  (re-exported)

UNK, BOS = "<unk>", "<s>"
#: Checkpoint ``family`` of a causal LM (the speech families: ``models.checkpoint``).
FAMILY = "causal_lm"
#: Where a checkpoint's ``extra`` keeps the vocabulary.
VOCABULARY_KEY = "vocabulary"


@dataclass(frozen=True)
class Vocabulary:
    """Word <-> id. ``words[0]`` is ``<unk>``, ``words[1]`` is ``<s>``; ``counts[i]`` is how
    often entry i occurred in the training text (``<unk>``: the words mapped to it; ``<s>``:
    the sentences), which is also the unigram baseline's data."""

    words: tuple[str, ...]
    counts: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.words[:2] != (UNK, BOS):
            raise ValueError(f"a vocabulary starts with {UNK!r}, {BOS!r}; found "
                             f"{self.words[:2]}")
        if len(set(self.words)) != len(self.words):
            raise ValueError("vocabulary words must be unique")
        if self.counts and len(self.counts) != len(self.words):
            raise ValueError(f"{len(self.counts)} counts for {len(self.words)} words")

    def __len__(self) -> int:
        return len(self.words)

    @cached_property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @property
    def unk(self) -> int:
        return 0

    @property
    def bos(self) -> int:
        return 1

    def encode(self, words: list[str]) -> list[int]:
        """Ids of ``words``, lower-cased; unknown words are ``<unk>``."""
        index = self.index
        return [index.get(w.lower(), 0) for w in words]

    def to_dict(self) -> dict:
        return {"words": list(self.words), "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, d: dict) -> Vocabulary:
        return cls(tuple(d["words"]), tuple(int(c) for c in d["counts"]))


class CausalSelfAttention(nn.Module):
    def __init__(self, c: CausalLMConfig) -> None:
        super().__init__()
        self.num_heads, self.dropout = c.num_heads, c.dropout
        self.qkv = nn.Linear(c.embed_dim, 3 * c.embed_dim)
        self.proj = nn.Linear(c.embed_dim, c.embed_dim)
        self.resid_dropout = nn.Dropout(c.dropout)

    def forward(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = (z.view(b, t, self.num_heads, d // self.num_heads).transpose(1, 2)
                   for z in self.qkv(x).split(d, dim=2))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.resid_dropout(self.proj(y.transpose(1, 2).reshape(b, t, d)))


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, c: CausalLMConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(c.embed_dim)
        self.attn = CausalSelfAttention(c)
        self.ln2 = nn.LayerNorm(c.embed_dim)
        self.mlp = nn.Sequential(nn.Linear(c.embed_dim, c.ff_dim), nn.GELU(),
                                 nn.Linear(c.ff_dim, c.embed_dim), nn.Dropout(c.dropout))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CausalLM(nn.Module):
    """Word embedding + position embedding + causal blocks + tied head."""

    def __init__(self, config: CausalLMConfig) -> None:
        super().__init__()
        if config.vocab_size < 3:
            raise ValueError(f"vocab_size {config.vocab_size} is unset or too small: build the "
                             "config with `with_vocabulary(vocab)`")
        self.config = c = config
        self.token_embedding = nn.Embedding(c.vocab_size, c.embed_dim)
        self.position_embedding = nn.Embedding(c.context, c.embed_dim)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.num_layers))
        self.ln_f = nn.LayerNorm(c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight
        self.apply(self._init_weights)
        # GPT-2: residual projections scaled down so the stream's variance does not grow
        # with depth.
        for name, p in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.2.weight")):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * c.num_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    # -- the layer API --------------------------------------------------------------------

    @property
    def layer_names(self) -> list[str]:
        return ["embedding"] + [f"block{i + 1}" for i in range(self.config.num_layers)]

    def extract_features(self, tokens: Tensor) -> list[Tensor]:
        """tokens: (batch, T) int64 ids, T <= config.context -> one (batch, T, embed_dim)
        tensor per entry of ``layer_names``. Position t depends on tokens[:, :t + 1] only."""
        x = self.forward_embedding(tokens)
        outputs = [x]
        for block in self.blocks:
            x = block(x)
            outputs.append(x)
        return outputs

    # -- the stages -----------------------------------------------------------------------

    def forward_embedding(self, tokens: Tensor) -> Tensor:
        """(B, T) int64 -> (B, T, embed_dim) token + position embedding."""
        if tokens.ndim != 2 or tokens.dtype != torch.int64:
            raise ValueError(f"tokens must be (batch, time) int64, found shape "
                             f"{tuple(tokens.shape)} dtype {tokens.dtype}")
        if not 0 < tokens.shape[1] <= self.config.context:
            raise ValueError(f"tokens of shape {tuple(tokens.shape)}: need 1 to "
                             f"{self.config.context} (the context) positions")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.config.vocab_size):
            raise ValueError(f"token ids must be in [0, {self.config.vocab_size}), found "
                             f"[{int(tokens.min())}, {int(tokens.max())}]")
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        return self.dropout(self.token_embedding(tokens) + self.position_embedding(positions))

    def forward_head(self, x: Tensor) -> Tensor:
        """Last block's output (B, T, embed_dim) -> next-token logits (B, T, vocab_size)."""
        return self.head(self.ln_f(x))

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T) int64 -> (B, T, vocab_size) logits of the token after each position."""
        return self.forward_head(self.extract_features(tokens)[-1])


def sliding_windows(n_tokens: int, context: int, stride: int) -> list[tuple[int, int, int]]:
    """Windows ``(start, stop, keep)`` over a stream: feed ``tokens[start:stop]`` (at most
    ``context`` tokens) and keep its outputs at positions ``[keep, stop)``.

    Every position is kept exactly once. The first window keeps all its positions (they see
    their whole past); each later one ends ``stride`` tokens after the previous and keeps
    only those new ones, so a position sees at least ``context - stride`` tokens of past and,
    with ``stride=1``, exactly ``min(context, its position + 1)`` tokens: its whole past up
    to the model's context, as in training.
    """
    if not 1 <= stride <= context:
        raise ValueError(f"stride must be in [1, context={context}], found {stride}")
    if n_tokens <= 0:
        return []
    stop = min(n_tokens, context)
    windows = [(0, stop, 0)]
    while stop < n_tokens:
        new = min(n_tokens, stop + stride)
        windows.append((new - context, new, stop))
        stop = new
    return windows


@torch.no_grad()
def stream_features(model: CausalLM, tokens: Tensor, stride: int = 1,
                    batch_tokens: int = 2**16, layers: bool = True,
                    next_logprob: bool = False) -> list[Tensor]:
    """Outputs over a long token stream (n,) int64, computed in sliding windows, eval mode.

    Returns, as asked, one (n, embed_dim) float32 CPU tensor per layer, then (n,) float64
    ``log p(tokens[t + 1] | past)`` (NaN at the last position, which has no next token).
    ``sliding_windows`` says how much past each position sees. Windows of one length are
    batched, at most ``batch_tokens`` tokens a pass.
    """
    if tokens.ndim != 1:
        raise ValueError(f"tokens must be a (n,) stream, found shape {tuple(tokens.shape)}")
    n, c = len(tokens), model.config
    device = next(model.parameters()).device
    out = [torch.zeros(n, c.embed_dim) for _ in model.layer_names] if layers else []
    if next_logprob:
        out.append(torch.full((n,), float("nan"), dtype=torch.float64))
        following = torch.cat([tokens[1:], tokens.new_zeros(min(n, 1))])
    by_length: dict[int, list[tuple[int, int, int]]] = {}
    for w in sliding_windows(n, c.context, stride):
        by_length.setdefault(w[1] - w[0], []).append(w)
    was_training = model.training
    model.eval()
    try:
        for length, same in by_length.items():
            size = max(1, batch_tokens // length)
            for i in range(0, len(same), size):
                group = same[i:i + size]
                batch = torch.stack([tokens[a:b] for a, b, _ in group]).to(device)
                hidden = model.extract_features(batch)
                results = [h.float().cpu() for h in hidden] if layers else []
                if next_logprob:
                    targets = torch.stack([following[a:b] for a, b, _ in group]).to(device)
                    logp = torch.log_softmax(model.forward_head(hidden[-1]).double(), dim=-1)
                    results.append(logp.gather(-1, targets.unsqueeze(-1))[..., 0].cpu())
                for values, dest in zip(results, out):
                    for j, (a, b, keep) in enumerate(group):
                        dest[keep:b] = values[j, keep - a:]
    finally:
        model.train(was_training)
    if next_logprob and n:
        out[-1][-1] = float("nan")
    return out


def save_lm(path: str | Path, model: CausalLM, vocab: Vocabulary,
            extra: dict | None = None) -> None:
    """Write weights, config and vocabulary (plain types only: loads with weights_only).

    The payload is :func:`brainlike.models.checkpoint.save`'s, the vocabulary kept in its
    ``extra`` under ``vocabulary``: one checkpoint format for every family.
    """
    if len(vocab) != model.config.vocab_size:
        raise ValueError(f"vocabulary of {len(vocab)} words for a model of "
                         f"{model.config.vocab_size}")
    payload = {"family": FAMILY, "config": model.config.to_dict(),
               "state_dict": model.state_dict(),
               "extra": {**(extra or {}), VOCABULARY_KEY: vocab.to_dict()}}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_lm(path: str | Path, map_location: str | torch.device = "cpu"
            ) -> tuple[CausalLM, Vocabulary, dict]:
    """The model (eval mode), vocabulary and the rest of the extra a ``save_lm`` checkpoint
    holds."""
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which
        raise InputError(path, f"not a loadable checkpoint ({exc})") from exc
    if not isinstance(payload, dict) or payload.get("family") != FAMILY:
        found = payload.get("family") if isinstance(payload, dict) else type(payload).__name__
        raise InputError(path, f"expected a {FAMILY} checkpoint, found {found!r}")
    extra = dict(payload.get("extra", {}))
    if VOCABULARY_KEY not in extra:
        raise InputError(path, f"a {FAMILY} checkpoint without its vocabulary")
    vocab = Vocabulary.from_dict(extra.pop(VOCABULARY_KEY))
    model = CausalLM(CausalLMConfig.from_dict(payload["config"]))
    model.load_state_dict(payload["state_dict"])
    return model.eval(), vocab, extra
