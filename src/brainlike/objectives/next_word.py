"""Next-word prediction: a word-level causal language model trained on the corpus's transcripts.

The table's text objective (``input="text"``). The model reads the words of every chapter of
the training collections (the utterance/1 shards' word alignments; the audio is not read),
and the last ``heldout_chapters`` chapters of each collection are held out, as the speech
objectives hold them out. The vocabulary is built from the training chapters alone (words
seen ``min_count`` times), so the untrained control (``steps: 0``) of the same corpus, seed
and preset has the same vocabulary and the same initial weights as the model that trains.

The learning check (:func:`brainlike.training.lm.evaluate`): next-word loss on the held-out
chapters, in nats per word, against an add-one unigram model of the training text; the model
learned when it beats the unigram model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch

from brainlike.models.causal_lm import VOCABULARY_KEY, CausalLM, CausalLMConfig
from brainlike.plan.specs import ModelSpec, TrainingSpec
from brainlike.training.crops import row_groups
from brainlike.training.lm import (LMRecipe, build_vocabulary, corpus_chapters, evaluate,
                                   split_chapters, train_lm)

log = logging.getLogger(__name__)


def split_collections(directories: Sequence[str | Path], n_heldout: int
                      ) -> tuple[list[list[str]], list[list[str]]]:
    """(training sentences, held-out sentences) over the collections in ``directories``: the
    last ``n_heldout`` chapters of each collection are held out."""
    train, heldout = [], []
    for directory in directories:
        shards = list(dict.fromkeys(path for path, _ in row_groups([directory])))
        chapters = corpus_chapters(shards)
        if len(chapters) <= n_heldout:
            raise ValueError(f"{directory}: {len(chapters)} chapter(s), too few to hold out "
                             f"{n_heldout} for evaluation and still train")
        kept, held = split_chapters(chapters, n_heldout)
        train += kept
        heldout += held
    return train, heldout


def recipe(training: TrainingSpec) -> LMRecipe:
    """The optimisation settings of ``training`` that next-word training reads (the rest of
    the recipe is the speech objectives')."""
    return LMRecipe(batch_size=training.batch_size, lr=training.lr,
                    warmup_steps=training.warmup_steps, min_lr=training.min_lr,
                    weight_decay=training.weight_decay, grad_clip=training.grad_clip,
                    log_every=training.log_every)


def train(spec: ModelSpec, directories: Sequence[str | Path], device: torch.device
          ) -> tuple[CausalLM, list[dict], dict, dict[str, float]]:
    """Train (or, with ``steps: 0``, only initialise) the model ``spec`` describes.

    Returns (model in eval mode, log rows, extra for the checkpoint: the vocabulary,
    held-out metrics: loss, unigram_loss, their perplexities and n_words).
    """
    t = spec.training
    if t is None:
        raise ValueError(f"model {spec.name!r} has no training recipe")
    sentences, heldout = split_collections(directories, t.heldout_chapters)
    vocab = build_vocabulary(sentences, t.min_count)
    log.info("%s: %d training sentences (%d words), %d held out; vocabulary of %d",
             spec.name, len(sentences), sum(map(len, sentences)), len(heldout), len(vocab))
    config = CausalLMConfig.preset(spec.preset).with_vocabulary(vocab)
    model, rows = train_lm(config, vocab, sentences, t.steps, spec.seed, device, recipe(t),
                           heldout=heldout)
    metrics = evaluate(model, vocab, heldout)
    return model, rows, {VOCABULARY_KEY: vocab.to_dict()}, metrics


def learned(metrics: dict[str, float]) -> bool:
    """Held-out next-word loss below the unigram model's."""
    return metrics["loss"] < metrics["unigram_loss"]
