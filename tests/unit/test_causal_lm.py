"""The word-level causal LM: layer API, causality, sliding windows, vocabulary, corpus reading,
training (learning check, determinism, non-finite stop) and checkpoints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from brainlike.errors import InputError
from brainlike.io.schemas import write_table
from brainlike.models.causal_lm import (BOS, UNK, CausalLM, CausalLMConfig, Vocabulary,
                                        load_lm, save_lm, sliding_windows, stream_features)
from brainlike.preprocess.utterances import make_row, rows_to_table
from brainlike.simulate.languages import generate_sentence, sentence_words
from brainlike.training.lm import (LMRecipe, build_vocabulary, corpus_chapters,
                                   corpus_sentences, evaluate, shuffle_within_sentences,
                                   split_chapters, token_stream, train_lm, unigram_log_probs)

TINY = CausalLMConfig.preset("tiny")
SENTENCES_PER_CHAPTER = 50


def _model(vocab_size: int = 40, seed: int = 0, **changes) -> CausalLM:
    torch.manual_seed(seed)
    config = CausalLMConfig(**{**TINY.to_dict(), "vocab_size": vocab_size, **changes})
    return CausalLM(config).eval()


@pytest.fixture(scope="module")
def chapters() -> list[tuple[str, list[list[str]]]]:
    rng = np.random.default_rng(7)
    sentences = [[w.lower() for w in sentence_words(generate_sentence("en", rng))]
                 for _ in range(3000)]
    return [(f"ch{i}", sentences[i:i + SENTENCES_PER_CHAPTER])
            for i in range(0, len(sentences), SENTENCES_PER_CHAPTER)]


@pytest.fixture(scope="module")
def trained(chapters):
    train, heldout = split_chapters(chapters, 6)
    vocab = build_vocabulary(train, min_count=2)
    model, rows = train_lm(TINY, vocab, train, steps=150, seed=0,
                           recipe=LMRecipe(warmup_steps=20, log_every=50), heldout=heldout)
    return model, vocab, rows, heldout


# -- the model ------------------------------------------------------------------------------

def test_layer_names_and_shapes():
    model = _model()
    assert model.layer_names == ["embedding", "block1", "block2"]
    tokens = torch.randint(0, 40, (3, 20))
    with torch.no_grad():
        layers = model.extract_features(tokens)
        logits = model(tokens)
    assert len(layers) == len(model.layer_names) == TINY.num_layers + 1
    assert all(x.shape == (3, 20, TINY.embed_dim) for x in layers)
    assert logits.shape == (3, 20, 40)
    assert model.head.weight is model.token_embedding.weight  # tied
    paper = CausalLMConfig.preset("paper")
    assert (paper.num_layers, paper.embed_dim, paper.num_heads) == (12, 768, 12)


def test_causal_mask_holds_at_every_layer():
    model = _model()
    g = torch.Generator().manual_seed(3)
    tokens = torch.randint(0, 40, (1, TINY.context), generator=g)
    with torch.no_grad():
        before = model.extract_features(tokens)
        for t in (0, 7, TINY.context - 2):
            changed = tokens.clone()
            changed[0, t + 1] = (changed[0, t + 1] + 1) % 40
            after = model.extract_features(changed)
            for name, a, b in zip(model.layer_names, before, after):
                assert torch.allclose(a[:, :t + 1], b[:, :t + 1], atol=1e-6), (name, t)
                assert not torch.allclose(a[:, t + 1], b[:, t + 1]), (name, t)


def test_batched_equals_single():
    model = _model()
    tokens = torch.randint(0, 40, (4, 12))
    with torch.no_grad():
        batched = model.extract_features(tokens)
        single = [model.extract_features(tokens[i:i + 1]) for i in range(4)]
    for k in range(len(batched)):
        assert torch.allclose(batched[k], torch.cat([s[k] for s in single]), atol=1e-5)


@pytest.mark.parametrize("tokens", [torch.zeros(5, dtype=torch.int64),
                                    torch.zeros(1, 5, dtype=torch.int32),
                                    torch.zeros(1, TINY.context + 1, dtype=torch.int64),
                                    torch.zeros(1, 0, dtype=torch.int64),
                                    torch.full((1, 5), 40, dtype=torch.int64)])
def test_bad_tokens_raise(tokens):
    with pytest.raises(ValueError, match="tokens|token ids"):
        _model()(tokens)


def test_config_checks():
    with pytest.raises(ValueError, match="unknown causal LM preset"):
        CausalLMConfig.preset("huge")
    with pytest.raises(ValueError, match="vocab_size"):
        CausalLM(TINY)  # presets leave the vocabulary size to the training text
    with pytest.raises(ValueError, match="num_heads"):
        CausalLMConfig(embed_dim=130, num_heads=4)


@pytest.mark.parametrize("n, context, stride", [(1, 8, 1), (8, 8, 1), (30, 8, 1), (30, 8, 3),
                                                (31, 8, 8)])
def test_sliding_windows_keep_each_position_once_with_enough_past(n, context, stride):
    windows = sliding_windows(n, context, stride)
    kept = [t for a, b, keep in windows for t in range(keep, b)]
    assert kept == list(range(n))
    for a, b, keep in windows:
        assert 0 <= a <= keep < b <= n and b - a <= context
        for t in range(keep, b):
            assert t - a + 1 >= min(t + 1, context - stride + 1)
    if stride == 1:  # every position sees exactly its past up to the context
        assert all(t - a + 1 == min(t + 1, context) for a, b, keep in windows
                   for t in range(keep, b))


def test_stream_features_match_one_pass_per_position():
    model = _model(context=8)
    tokens = torch.randint(0, 40, (21,))
    layers = stream_features(model, tokens, stride=1, batch_tokens=24, next_logprob=True)
    logp = layers.pop()
    with torch.no_grad():
        for t in range(len(tokens)):
            a = max(0, t - 7)
            ref = model.extract_features(tokens[None, a:t + 1])
            for got, want in zip(layers, ref):
                assert torch.allclose(got[t], want[0, -1], atol=1e-5)
            if t + 1 < len(tokens):
                lp = torch.log_softmax(model(tokens[None, a:t + 1])[0, -1].double(), -1)
                assert abs(float(logp[t]) - float(lp[tokens[t + 1]])) < 1e-5
    assert torch.isnan(logp[-1])


# -- text and vocabulary --------------------------------------------------------------------

def test_vocabulary_counts_order_and_unknowns():
    sentences = [["The", "cat", "sat"], ["the", "dog", "sat"], ["the", "owl"]]
    vocab = build_vocabulary(sentences, min_count=2)
    assert vocab.words == (UNK, BOS, "the", "sat")
    assert vocab.counts == (3, 3, 3, 2)  # cat, dog, owl -> <unk>; three sentences
    assert vocab.encode(["THE", "cat", "sat"]) == [2, 0, 3]
    assert token_stream(vocab, sentences).tolist() == [1, 2, 0, 3, 1, 2, 0, 3, 1, 2, 0]
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab
    with pytest.raises(ValueError, match="reserved"):
        build_vocabulary([["a", "<s>"]])
    logp = unigram_log_probs(vocab)
    assert logp[vocab.bos] == -np.inf
    assert np.isclose(np.exp(logp).sum(), 1.0)
    assert np.isclose(np.exp(logp[2]), (3 + 1) / (8 + 3))  # add-one over <unk>, the, sat


def test_shuffle_within_sentences_keeps_each_sentence_bag():
    sentences = [list("abcdefg"), list("xy"), list("hijklmn")]
    shuffled = shuffle_within_sentences(sentences, seed=1)
    assert [sorted(s) for s in shuffled] == [sorted(s) for s in sentences]
    assert shuffled != sentences
    assert shuffle_within_sentences(sentences, seed=1) == shuffled


def test_corpus_chapters_read_sentences_in_order(tmp_path):
    def words(sentences):
        rows, t = [], 0.0
        for s, sentence in enumerate(sentences):
            for p, w in enumerate(sentence):
                rows.append((w, t, t + 0.2, s, p))
                t += 0.25
        return pd.DataFrame(rows, columns=["word", "onset", "offset", "sentence", "position"])

    texts = {"c1": [["The", "Cat"], ["sat"]], "c2": [["a", "dog", "ran"]],
             "c3": [["Hi"], ["there"], ["you"]]}
    pcm = np.zeros(1600, np.int16)
    for shard, ids in (("s0.parquet", ["c1", "c2"]), ("s1.parquet", ["c3"])):
        rows = [make_row(i, "en", "spk", pcm, 16000, words=words(texts[i])) for i in ids]
        write_table(rows_to_table(rows), tmp_path / shard, "utterance/1")
    paths = [tmp_path / "s0.parquet", tmp_path / "s1.parquet"]
    chapters = corpus_chapters(paths)
    assert chapters == [("c1", [["the", "cat"], ["sat"]]), ("c2", [["a", "dog", "ran"]]),
                        ("c3", [["hi"], ["there"], ["you"]])]
    assert corpus_sentences(paths)[:3] == [["the", "cat"], ["sat"], ["a", "dog", "ran"]]
    train, heldout = split_chapters(chapters, 1)
    assert heldout == [["hi"], ["there"], ["you"]] and len(train) == 3
    with pytest.raises(ValueError, match="hold out"):
        split_chapters(chapters, 3)


# -- training -------------------------------------------------------------------------------

def test_learns_next_word_better_than_unigram(trained, capsys):
    model, vocab, rows, heldout = trained
    scores = evaluate(model, vocab, heldout)
    shuffled = evaluate(model, vocab, shuffle_within_sentences(heldout, seed=0))
    with capsys.disabled():
        print(f"\nheld-out nats/word: LM {scores['loss']:.3f} (ppl {scores['perplexity']:.1f}), "
              f"unigram {scores['unigram_loss']:.3f} (ppl {scores['unigram_perplexity']:.1f}), "
              f"LM on shuffled sentences {shuffled['loss']:.3f}; {scores['n_words']} words")
    assert scores["loss"] < scores["unigram_loss"] - 0.5
    assert shuffled["loss"] > scores["loss"] + 0.5  # the model uses word order
    assert rows[-1]["step"] == 150 and "heldout_loss" in rows[-1]
    assert abs(rows[-1]["heldout_loss"] - scores["loss"]) < 1e-9
    assert rows[-1]["loss"] < rows[0]["loss"]


def test_training_is_deterministic_and_leaves_global_rng(chapters):
    train, _ = split_chapters(chapters, 6)
    vocab = build_vocabulary(train[:400])
    recipe = LMRecipe(batch_size=4, warmup_steps=2, log_every=1)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a, rows_a = train_lm(TINY, vocab, train[:400], steps=4, seed=5, recipe=recipe)
    assert torch.equal(torch.random.get_rng_state(), state)
    b, rows_b = train_lm(TINY, vocab, train[:400], steps=4, seed=5, recipe=recipe)
    c, _ = train_lm(TINY, vocab, train[:400], steps=4, seed=6, recipe=recipe)
    assert rows_a == rows_b and len(rows_a) == 4
    for (name, pa), pb, pc in zip(a.state_dict().items(), b.state_dict().values(),
                                  c.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.state_dict().values(),
                                                          c.state_dict().values()))


def test_non_finite_loss_stops(chapters):
    train, _ = split_chapters(chapters, 6)
    vocab = build_vocabulary(train[:200])
    with pytest.raises(FloatingPointError, match="non-finite loss"):
        train_lm(TINY, vocab, train[:200], steps=5, seed=0,
                 recipe=LMRecipe(batch_size=2, lr=float("inf"), warmup_steps=1))


def test_train_lm_input_checks(chapters):
    vocab = build_vocabulary(chapters[0][1])
    with pytest.raises(ValueError, match="need more than the context"):
        train_lm(TINY, vocab, chapters[0][1][:2], steps=1, seed=0)
    with pytest.raises(ValueError, match="does not match"):
        train_lm(CausalLMConfig(**{**TINY.to_dict(), "vocab_size": 7}), vocab,
                 chapters[0][1], steps=1, seed=0)


def test_checkpoint_round_trip(trained, tmp_path):
    model, vocab, _, _ = trained
    path = tmp_path / "lm.pt"
    save_lm(path, model, vocab, extra={"language": "en"})
    loaded, vocab2, extra = load_lm(path)  # torch.load(weights_only=True) inside
    assert vocab2 == vocab and extra == {"language": "en"}
    assert loaded.config == model.config and not loaded.training
    assert loaded.head.weight is loaded.token_embedding.weight
    tokens = token_stream(vocab, [["the", "man", "went"]])[None]
    with torch.no_grad():
        for x, y in zip(model.extract_features(tokens), loaded.extract_features(tokens)):
            assert torch.equal(x, y)
    torch.save({"family": "logmel"}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="causal_lm"):
        load_lm(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not a loadable"):
        load_lm(tmp_path / "junk.pt")
