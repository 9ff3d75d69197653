"""Does more training make the tiny models more phonetic? Train, check, probe.

    PYTHONPATH=src python benchmarks/learning_at_scale.py --corpus DIR --stimuli A.parquet B.parquet \
        --models hubert-en wav2vec2-en --steps 3000 --device cuda

Trains each named model of ``config.yaml`` (its recipe, with ``--steps`` replacing its step
count) exactly as the workflow's ``train_model`` does, prints its held-out learning checks,
then runs the layer-wise phone probe (``brainlike.probes.phones``) on the stimuli for the
trained model and for its random-initialisation copy, and prints both per layer. A GPU makes
paper-like step counts reachable; on the CPU keep ``--steps`` to a few hundred.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads; see train_model.py

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from brainlike.device import pick_device
from brainlike.models import checkpoint
from brainlike.plan.plan import Plan
from brainlike.probes.phones import probe_model, read_utterances
from brainlike.training.run import train_model


def probe_means(model: torch.nn.Module, utterances: list) -> pd.Series:
    rows = pd.DataFrame(probe_model(model.cpu().eval(), utterances))
    return rows.groupby("layer", sort=False)["accuracy"].mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--corpus", type=Path, nargs="+", required=True,
                        help="utterance/1 collection directories to train on")
    parser.add_argument("--stimuli", type=Path, nargs="+", required=True,
                        help="utterance/1 files with phone alignments to probe on")
    parser.add_argument("--models", nargs="+", default=["hubert-en", "wav2vec2-en"])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()

    plan = Plan.from_config(yaml.safe_load(args.config.read_text()))
    device = pick_device(args.device)
    utterances = read_utterances([str(p) for p in args.stimuli])
    print(f"torch {torch.__version__} on {device}; probing {len(utterances)} stimuli")
    results = {}
    for name in args.models:
        spec = plan.model(name)
        if spec.training is None:
            parser.error(f"model {name!r} is an untrained control")
        # the config's master seed and --steps; no teacher is trained first
        training = dataclasses.replace(spec.training, steps=args.steps, teacher=None)
        spec = dataclasses.replace(spec, seed=plan.seed, training=training)
        torch.manual_seed(spec.seed)
        random_copy = checkpoint.from_preset(spec.family, spec.preset)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            model, rows, extra = train_model(spec, args.corpus, Path(tmp) / "state.pt", device)
        seconds = time.perf_counter() - start
        trained, untrained = probe_means(model, utterances), probe_means(random_copy, utterances)
        table = pd.DataFrame({"trained": trained, "random": untrained})
        results[name] = {"steps": args.steps, "train_s": seconds, "heldout": extra["heldout"],
                         "probe": table.to_dict()}
        print(f"\n{name}: {args.steps} steps in {seconds:.0f} s on {device}")
        print("held-out: " + ", ".join(f"{k} {v:.3f}" for k, v in extra["heldout"].items()))
        print(table.round(3).T.to_string())
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
