"""The language models in the plan and the training dispatch: the causal_lm family, its
next_word objective, its untrained (``steps: 0``) and shuffled-context controls, the plan's
loose ends, and a text model read word by word onto the frame grid."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from brainlike.features.story import Stimulus, load_model, story_frames
from brainlike.features.word_reader import WordReader
from brainlike.io.schemas import write_table
from brainlike.models import checkpoint
from brainlike.models.causal_lm import CausalLM, CausalLMConfig, load_lm
from brainlike.plan import Plan, PlanError, paths
from brainlike.plan.specs import FeatureSpec, ModelSpec
from brainlike.preprocess.utterances import make_row, rows_to_table
from brainlike.simulate.languages import generate_sentence, sentence_words
from brainlike.training.lm import build_vocabulary
from brainlike.training.run import train_model

REPO = Path(__file__).resolve().parents[2]
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
CPU = torch.device("cpu")
DS = "narratives-sim"


# -- the plan -------------------------------------------------------------------------------

def test_the_plan_imports_no_torch_numpy_or_pandas() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import brainlike.plan.plan"],
                          capture_output=True, text=True, check=True)
    modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
               if line.startswith("import time:")}
    assert "brainlike" in modules  # the listing is what it claims to be
    assert not modules & {"torch", "numpy", "pandas"}, modules & {"torch", "numpy", "pandas"}


def test_default_language_models_roles_controls_and_references() -> None:
    roster = Plan.from_config(DEFAULT).roster
    for lang in ("en", "fr", "zh"):
        lm = roster[f"lm-{lang}"]
        assert (lm.role, lm.objective, lm.language) == ("language-model", "next_word", lang)
        assert lm.control == f"lm-{lang}-random"  # same vocabulary: same corpus collection
        assert roster[f"lm-{lang}-random"].role == "random"
    shuffled = roster["lm-en-shuffled"]
    assert (shuffled.role, shuffled.reference, shuffled.control) == ("shuffled-context",
                                                                    "lm-en", "")
    assert shuffled.language == "en"
    assert roster["hubert-en"].control == "logmel-small-random"  # speech twins unchanged
    assert roster["hubert-en"].reference == ""


def test_text_models_read_their_checkpoints_and_get_no_phone_probe() -> None:
    plan = Plan.from_config(DEFAULT)
    assert plan.model("lm-en").trained and not plan.model("lm-en").untrained
    assert plan.model("lm-en-random").untrained and not plan.model("lm-en-random").trained
    assert plan.model("lm-en-shuffled").preset == plan.model("lm-en").preset
    assert plan.feature_inputs(DS, "lm-en-shuffled")["model"] == "models/lm-en/model.pt"
    assert plan.sources(DS, ["lm-en-shuffled"]).checkpoints == (
        ("lm-en", "models/lm-en/model.pt"),)
    probed = {paths.PROBE.parse(p)["model"] for p in plan.probe_files(DS)}
    assert probed and not any(plan.model(m).text for m in probed)
    assert probed == {m for m in plan.target_models if plan.model(m).modality == "audio"}
    assert "lm-en-shuffled" not in plan.logged_models and "lm-en" in plan.logged_models
    # the training-curve figure names each log by the model it pairs it with
    assert [paths.TRAINING_LOG.parse(p)["model"] for p in plan.training_logs()] == list(
        plan.logged_models)
    import re

    trains = re.compile(plan.checkpoint_wildcard()).fullmatch
    assert trains("lm-en") and trains("lm-en-random") and not trains("lm-en-shuffled")


def test_forecast_targets_inputs_and_units() -> None:
    plan = Plan.from_config(DEFAULT)
    assert paths.FORECAST_GAINS.path(dataset=DS) in plan.all_targets()
    assert paths.FIGURE.path(dataset=DS, figure="forecast") in plan.all_targets()
    files = plan.result_files()
    for model in DEFAULT["forecast"]["models"]:
        assert paths.FORECAST_SCORES.path(dataset=DS, model=model) in files
    assert plan.forecast_units == {"lm-en": "words", "lm-fr": "words", "lm-zh": "words",
                                   "wav2vec2-en": "seconds"}
    # The forecast features are built from the stimulus and the model alone.
    inputs = plan.forecast_feature_inputs(DS, "lm-en")
    assert set(inputs) == {"stories", "model"}
    assert all(paths.STIMULUS.parse(p) for p in inputs["stories"])
    assert plan.forecast_scores.permutations == 0
    assert plan.forecast_scores.alphas == plan.scores.alphas  # otherwise the same method
    none = copy.deepcopy(DEFAULT)
    del none["forecast"]
    assert not any("forecast" in t for t in Plan.from_config(none).all_targets())


def _lm(**changes) -> dict:
    return {"family": "causal_lm", "preset": "tiny",
            "training": {"objective": "next_word", "corpus": "speech-sim",
                         "collections": ["en"], "steps": 5}, **changes}


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c["models"].update(bad=_lm(family="logmel")), "objective 'next_word' reads text"),
    (lambda c: c["models"]["hubert-en"]["training"].update(objective="next_word"),
     "models.hubert-en: objective 'next_word' reads text"),
    (lambda c: c["models"].update(bad=_lm(training={**_lm()["training"], "objective": "hubert"})),
     "objective 'hubert' reads audio"),
    (lambda c: c["models"]["hubert-en"]["training"].update(steps=0), "`steps: 0`"),
    (lambda c: c["models"].update(bad=_lm(training=None)), "vocabulary comes from its corpus"),
    (lambda c: c["models"].update(bad={"family": "causal_lm", "of": "lm-en"}), "set both `of`"),
    (lambda c: c["models"].update(bad={"family": "causal_lm", "of": "hubert-en",
                                       "context": "shuffled"}), "must name a causal_lm"),
    (lambda c: c["models"].update(bad={"family": "causal_lm", "of": "lm-en-shuffled",
                                       "context": "shuffled"}), "checkpoint of its own"),
    (lambda c: c["models"].update(bad={**_lm(), "of": "lm-en", "context": "shuffled"}),
     "set `training: null`"),
    (lambda c: c["models"]["hubert-en"].update(context="shuffled"), "text models only"),
    (lambda c: c["forecast"].update(models=["ghost"]), "forecast.models names \\['ghost'\\]"),
    (lambda c: c["forecast"].update(layers={"hubert-en": ["conv1"]}),
     "forecast.layers names \\['hubert-en'\\]"),
    (lambda c: c["forecast"].update(offsets_s=[0.03]), "not whole frames"),
])
def test_loose_ends_fail_naming_the_key(mutate, message: str) -> None:
    config = copy.deepcopy(DEFAULT)
    mutate(config)
    with pytest.raises(PlanError, match=message):
        Plan.from_config(config)


# -- training -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text-only collection: 12 chapters of generated English, words aligned in time."""
    directory = tmp_path_factory.mktemp("lm") / "en"
    directory.mkdir()
    rng = np.random.default_rng(5)
    rows = []
    for c in range(12):
        words, t = [], 0.0
        for s in range(40):
            for p, w in enumerate(sentence_words(generate_sentence("en", rng))):
                words.append((w, t, t + 0.2, s, p))
                t += 0.25
        frame = pd.DataFrame(words, columns=["word", "onset", "offset", "sentence", "position"])
        rows.append(make_row(f"ch{c:02d}", "en", "spk", np.zeros(160, np.int16), 16000,
                             words=frame))
    write_table(rows_to_table(rows), directory / "shard-00000.parquet", "utterance/1")
    (directory / "index.json").write_text(json.dumps({
        "corpus": "t", "collection": "en", "sample_rate": 16000,
        "shards": [{"file": "shard-00000.parquet", "rows": len(rows)}]}))
    return directory


def _spec(name: str, steps: int) -> ModelSpec:
    return ModelSpec.from_config(name, {"family": "causal_lm", "preset": "tiny", "seed": 4,
                                        "training": {
        "objective": "next_word", "corpus": "t", "collections": ["en"], "steps": steps,
        "batch_size": 16, "warmup_steps": 10, "log_every": 20, "heldout_chapters": 2}})


def test_next_word_trains_on_the_transcripts_and_steps_zero_is_its_initialisation(
        transcripts: Path, tmp_path: Path, capsys) -> None:
    trained, rows, extra = train_model(_spec("lm", 80), [transcripts], tmp_path / "s.pt", CPU)
    untrained, no_rows, extra0 = train_model(_spec("lm-random", 0), [transcripts],
                                             tmp_path / "s0.pt", CPU)
    checks, checks0 = extra["heldout"], extra0["heldout"]
    with capsys.disabled():
        print(f"\nheld-out nats/word: trained {checks['loss']:.3f}, untrained "
              f"{checks0['loss']:.3f}, unigram {checks['unigram_loss']:.3f}")
    assert [r["step"] for r in rows] == [20, 40, 60, 80] and no_rows == []
    assert rows[-1]["heldout_loss"] == pytest.approx(checks["loss"])
    assert checks["learned"] == 1.0 and checks["loss"] < checks["unigram_loss"]
    assert checks0["learned"] == 0.0 and checks0["loss"] > checks["loss"]
    assert checks["heldout_chapters"] == 2.0
    assert extra["vocabulary"] == extra0["vocabulary"]  # one vocabulary from the corpus
    # The untrained control is the trained model's own starting point.
    vocab_size = len(extra["vocabulary"]["words"])
    torch.manual_seed(4)
    start = CausalLM(CausalLMConfig.preset("tiny").with_vocabulary(range(vocab_size)))
    for name, value in start.state_dict().items():
        assert torch.equal(value, untrained.state_dict()[name]), name
    # The workflow's checkpoint (checkpoint.save) is a causal_lm checkpoint with its vocabulary.
    checkpoint.save(tmp_path / "model.pt", trained, "causal_lm", {"trained": True, **extra})
    model, vocab, kept = load_lm(tmp_path / "model.pt")
    assert list(vocab.words) == extra["vocabulary"]["words"] and kept["trained"] is True
    generic, _ = checkpoint.load(tmp_path / "model.pt")
    assert generic.layer_names == ["embedding", "block1", "block2"]
    tokens = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.equal(model(tokens), trained(tokens))


def test_a_text_model_is_read_word_by_word_intact_or_shuffled(transcripts: Path,
                                                              tmp_path: Path) -> None:
    sentences = [["the", "old", "man", "saw", "a", "dog"], ["she", "ran", "home"],
                 ["a", "dog", "saw", "the", "man", "and", "the", "queen"]]
    vocab = build_vocabulary(sentences, min_count=1)
    torch.manual_seed(0)
    lm = CausalLM(CausalLMConfig.preset("tiny").with_vocabulary(vocab))
    checkpoint.save(tmp_path / "lm.pt", lm, "causal_lm", {"vocabulary": vocab.to_dict()})
    rows, t = [], 0.5
    for s, sentence in enumerate(sentences):
        for p, w in enumerate(sentence):
            rows.append((w, t, t + 0.3, s, p))
            t += 0.3
        t += 0.4
    words = pd.DataFrame(rows, columns=["word", "onset", "offset", "sentence", "position"])
    story = Stimulus("en1", np.zeros(int(16000 * (t + 1)), np.float32), 16000, words,
                     pd.DataFrame(columns=["phoneme", "onset", "offset", "word_index"]))
    spec = FeatureSpec.from_config({})
    entry = {"family": "causal_lm", "of": "lm", "context": "shuffled", "seed": 1}
    intact = load_model(tmp_path / "lm.pt", _spec("lm", 1), CPU)
    shuffled = load_model(tmp_path / "lm.pt", ModelSpec.from_config("s", entry), CPU)
    assert isinstance(intact, WordReader) and shuffled.context == "shuffled"
    a = story_frames("lm", story, [story], spec, intact)
    b = story_frames("s", story, [story], spec, shuffled)
    assert list(a) == list(b) == ["embedding", "block1", "block2"]
    n = int(np.ceil(story.duration * spec.rate))
    assert all(x.shape == (n, 128) for x in a.values())
    assert not a["block2"][: int(0.8 * spec.rate)].any()  # nothing heard before the first offset
    assert not np.allclose(a["block2"], b["block2"])  # the order of the context matters
    again = load_model(tmp_path / "lm.pt", ModelSpec.from_config("s", entry), CPU)
    np.testing.assert_array_equal(story_frames("s", story, [story], spec, again)["block2"],
                                  b["block2"])
    other = shuffled.states(words, "en2")[2]  # another story's order
    assert not np.allclose(other, shuffled.states(words, "en1")[2])
