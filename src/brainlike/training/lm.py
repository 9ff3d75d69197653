"""Training a word-level causal language model on one language's corpus, and its learning check.

The corpus is the language's utterance/1 shards (a row per chapter, its aligned words
carrying sentence ids); only the text is read. Sentences become one token stream, each
opened by ``<s>``, and a training batch is random windows of ``context + 1`` tokens of that
stream (so a window spans sentence boundaries, as the story's features will). Whole chapters
are held out, never single sentences: a chapter's sentences share its themes and words, so a
sentence split would leak them into the check.

The learning check (``evaluate``): next-word loss on held-out text, in nats per word, must
beat a unigram model fitted on the training text (add-one smoothed); both score the same
words, mapped to ``<unk>`` alike. ``shuffle_within_sentences`` gives the control text:
the same words in each sentence in a random order, which a model that uses word order scores
worse than the original.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from brainlike.io.schemas import read_table
from brainlike.models.causal_lm import (BOS, UNK, CausalLM, CausalLMConfig, Vocabulary,
                                        stream_features)
from brainlike.training.schedule import learning_rate

log = logging.getLogger(__name__)
T = TypeVar("T")


# -- text -----------------------------------------------------------------------------------

def corpus_chapters(shard_paths: Sequence[str | Path]) -> list[tuple[str, list[list[str]]]]:
    """(chapter id, its sentences as lower-cased words in order) per row of the shards, in
    shard then row order. Words are ordered by onset; a new sentence id starts a sentence."""
    chapters = []
    for path in shard_paths:
        table = read_table(path, "utterance/1", columns=["utt_id", "words"])
        for utt_id, words in zip(table.column("utt_id").to_pylist(),
                                 table.column("words").to_pylist()):
            sentences: list[list[str]] = []
            last = None
            for w in sorted(words, key=lambda w: (w["onset"], w["position"])):
                if w["sentence"] != last or not sentences:
                    sentences.append([])
                    last = w["sentence"]
                sentences[-1].append(w["word"].lower())
            chapters.append((utt_id, sentences))
    return chapters


def corpus_sentences(shard_paths: Sequence[str | Path]) -> list[list[str]]:
    """Every sentence of the shards as lower-cased words, in order."""
    return [s for _, sentences in corpus_chapters(shard_paths) for s in sentences]


def split_chapters(chapters: list[tuple[str, list[list[str]]]], n_heldout: int
                   ) -> tuple[list[list[str]], list[list[str]]]:
    """(training sentences, held-out sentences): the last ``n_heldout`` chapters are held out,
    as ``training.crops.heldout_chapters`` does for the speech models."""
    if not 0 < n_heldout < len(chapters):
        raise ValueError(f"cannot hold out {n_heldout} of {len(chapters)} chapter(s) and "
                         "still train")
    train, heldout = chapters[:-n_heldout], chapters[-n_heldout:]
    return ([s for _, sentences in train for s in sentences],
            [s for _, sentences in heldout for s in sentences])


def shuffle_within_sentences(sentences: Sequence[Sequence[T]], seed: int) -> list[list[T]]:
    """Each sentence's items in a random order (seeded); sentence order and lengths kept."""
    rng = np.random.default_rng(seed)
    return [[s[i] for i in rng.permutation(len(s))] for s in sentences]


def build_vocabulary(sentences: Sequence[Sequence[str]], min_count: int = 2) -> Vocabulary:
    """Words seen at least ``min_count`` times (lower-cased), most frequent first (ties
    alphabetical), after ``<unk>`` and ``<s>``; counts are those of the sentences given."""
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, found {min_count}")
    counts = Counter(w.lower() for s in sentences for w in s)
    for token in (UNK, BOS):
        if token in counts:
            raise ValueError(f"the text contains the reserved token {token!r}")
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    rare = sum(c for c in counts.values() if c < min_count)
    return Vocabulary((UNK, BOS, *kept), (rare, len(sentences), *(counts[w] for w in kept)))


def token_stream(vocab: Vocabulary, sentences: Sequence[Sequence[str]]) -> torch.Tensor:
    """(n,) int64: ``<s>`` then the sentence's word ids, for each sentence in order."""
    ids: list[int] = []
    for s in sentences:
        ids.append(vocab.bos)
        ids += vocab.encode(list(s))
    return torch.tensor(ids, dtype=torch.int64)


# -- training -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LMRecipe:
    """Optimisation settings of ``train_lm`` (nanoGPT's, scaled to a small model)."""

    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 50
    min_lr: float = 1e-4
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    log_every: int = 50
    eval_every: int = 0  # held-out loss every this many steps (0: at the end only)
    eval_stride: int = 0  # evaluate's stride (0: half the context)


def _batch(stream: torch.Tensor, context: int, batch_size: int, seed: int, step: int
           ) -> tuple[torch.Tensor, torch.Tensor]:
    # Windows drawn from (seed, step) alone, so a step's batch does not depend on the past.
    rng = np.random.default_rng([seed, step])
    starts = rng.integers(0, len(stream) - context, size=batch_size)
    windows = torch.stack([stream[a:a + context + 1] for a in starts])
    return windows[:, :-1], windows[:, 1:]


def train_lm(config: CausalLMConfig, vocab: Vocabulary, sentences: Sequence[Sequence[str]],
             steps: int, seed: int, device: torch.device | str = "cpu",
             recipe: LMRecipe = LMRecipe(),
             heldout: Sequence[Sequence[str]] | None = None) -> tuple[CausalLM, list[dict]]:
    """Train a fresh model on ``sentences`` for ``steps`` AdamW steps (warmup + cosine);
    ``steps=0`` returns the seeded initialisation itself (the untrained control).

    config: a preset; its vocab_size is set from ``vocab`` (0) or must match it.
    heldout: sentences of held-out chapters, scored every ``recipe.eval_every`` steps and at
        the end (row key ``heldout_loss``, nats per word).
    Returns (model in eval mode, log rows: step, lr, loss, and heldout_loss where scored).
    Deterministic for a seed on the CPU: initialisation and dropout draw from ``seed`` inside
    a forked torch RNG (the caller's global state is left as it was), batches from
    (seed, step). Raises FloatingPointError on a non-finite loss.
    """
    if config.vocab_size not in (0, len(vocab)):
        raise ValueError(f"config.vocab_size {config.vocab_size} does not match the "
                         f"vocabulary's {len(vocab)} words")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, found {steps}")
    config = config.with_vocabulary(vocab)
    device = torch.device(device)
    stream = token_stream(vocab, sentences)
    if len(stream) <= config.context + 1:
        raise ValueError(f"{len(stream)} tokens of training text: need more than the context "
                         f"({config.context}) + 1")
    r = recipe
    cuda = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        model = CausalLM(config).to(device)
        decay = [p for p in model.parameters() if p.ndim >= 2]
        no_decay = [p for p in model.parameters() if p.ndim < 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": r.weight_decay},
                                       {"params": no_decay, "weight_decay": 0.0}], lr=r.lr)
        rows: list[dict] = []
        for step in range(steps):
            lr = learning_rate(step, r.lr, r.warmup_steps, steps, r.min_lr)
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, targets = (t.to(device) for t in
                               _batch(stream, config.context, r.batch_size, seed, step))
            model.train()
            logits = model(inputs)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1).float(),
                                                     targets.flatten())
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), r.grad_clip)
            optimizer.step()
            done = step + 1
            scores = heldout is not None and (done == steps or bool(r.eval_every)
                                              and done % r.eval_every == 0)
            if scores or done % r.log_every == 0 or done == steps:
                row = {"step": done, "lr": lr, "loss": float(loss.detach())}
                if scores:
                    row["heldout_loss"] = evaluate(model, vocab, heldout, r.eval_stride)["loss"]
                rows.append(row)
                log.info("step %d/%d loss %.4f lr %.2e%s", done, steps, row["loss"], lr,
                         f" held-out {row['heldout_loss']:.4f}" if scores else "")
    return model.eval(), rows


# -- the learning check ---------------------------------------------------------------------

def unigram_log_probs(vocab: Vocabulary) -> np.ndarray:
    """(len(vocab),) log-probabilities of the add-one smoothed unigram model of the training
    text over words and ``<unk>``; ``<s>`` gets -inf (it is not a word)."""
    if not vocab.counts:
        raise ValueError("the vocabulary carries no training counts")
    counts = np.asarray(vocab.counts, np.float64) + 1.0
    counts[vocab.bos] = 0.0
    with np.errstate(divide="ignore"):
        return np.log(counts / counts.sum())


def evaluate(model: CausalLM, vocab: Vocabulary, sentences: Sequence[Sequence[str]],
             stride: int = 0) -> dict[str, float]:
    """Next-word loss of ``model`` and of the unigram baseline on ``sentences``.

    Every word is scored (the ``<s>`` that ends a sentence is not), in sliding windows of
    the model's context moving by ``stride`` tokens (0: half the context; each word then
    sees at least that much past). Returns loss and unigram_loss (mean nats per word),
    perplexity and unigram_perplexity (their exp), and n_words.
    """
    stream = token_stream(vocab, sentences)
    stride = stride or max(1, model.config.context // 2)
    (logp,) = stream_features(model, stream, stride=stride, layers=False, next_logprob=True)
    scored = torch.zeros(len(stream), dtype=torch.bool)
    scored[:-1] = stream[1:] != vocab.bos
    if not scored.any():
        raise ValueError("no words to evaluate")
    loss = float(-logp[scored].mean())
    unigram = unigram_log_probs(vocab)
    targets = stream[1:][scored[:-1]].numpy()
    unigram_loss = float(-unigram[targets].mean())
    return {"loss": loss, "perplexity": math.exp(loss), "unigram_loss": unigram_loss,
            "unigram_perplexity": math.exp(unigram_loss), "n_words": int(scored.sum())}
