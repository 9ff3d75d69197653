"""Provenance sidecars: what a result was computed from, traced to commits and hashes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from brainlike import provenance
from brainlike.plan import Plan

REPO = Path(__file__).resolve().parents[2]


def test_the_plan_names_every_source_of_a_models_scores() -> None:
    plan = Plan.from_config(yaml.safe_load((REPO / "config.yaml").read_text()))
    src = plan.result_sources("narratives-sim", "hubert-en-it2")
    # the dataset, and the corpus of the model and of its teacher, once
    assert src.manifests == ("data/raw/narratives-sim.manifest.json",
                             "data/raw/speech-sim.manifest.json")
    assert [m for m, _ in src.checkpoints] == ["hubert-en-it2", "hubert-en"]  # teacher too
    assert plan.result_sources("narratives-sim", "spectrogram").checkpoints == ()
    assert plan.result_sources("narratives-sim", None, models=False).checkpoints == ()
    everything = plan.result_sources("narratives-sim", None)
    # a shuffled-context entry has no checkpoint of its own: it reads its model's
    own = {m for m in set(plan.models) & set(plan.scored) if not plan.models[m].of}
    assert {m for m, _ in everything.checkpoints} == own
    assert plan.result_sources("narratives-sim", "lm-en-shuffled").checkpoints == (
        ("lm-en", "models/lm-en/model.pt"),)
    assert re.fullmatch(r"[0-9a-f]{64}", src.config_sha256)
    assert re.fullmatch(r"([0-9a-f]{40}(-dirty)?|unknown)", src.code_commit)
    changed = yaml.safe_load((REPO / "config.yaml").read_text())
    changed["scores"]["permutations"] = 10
    assert Plan.from_config(changed).config_sha256 != src.config_sha256


def test_stamp_and_collect_trace_a_result(tmp_path: Path) -> None:
    manifest = tmp_path / "ds.manifest.json"
    manifest.write_text(json.dumps({"source": "///x", "dataset_id": "abc", "commit": "f" * 40,
                                    "files": []}))
    ckpt = tmp_path / "model.pt"
    ckpt.write_bytes(b"weights")
    result = tmp_path / "scores.parquet"
    result.write_bytes(b"PAR1")
    sources = provenance.Sources("c" * 64, "d" * 40, (str(manifest),), (("m", str(ckpt)),))
    provenance.stamp([result], sources)
    table = provenance.collect([result], tmp_path / "provenance.json")
    rec = table[str(result)]
    assert rec["datasets"] == [{"manifest": str(manifest), "source": "///x",
                                "dataset_id": "abc", "commit": "f" * 40}]
    assert rec["checkpoints"][0]["sha256"] == hashlib.sha256(b"weights").hexdigest()
    assert json.loads((tmp_path / "provenance.json").read_text()) == table
    with pytest.raises(FileNotFoundError, match="no provenance sidecar"):
        provenance.collect([tmp_path / "other.parquet"], tmp_path / "p.json")
