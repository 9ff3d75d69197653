"""Benchmark training throughput and the time each step waits for data, per objective.

    .venv/bin/python benchmarks/training_throughput.py                  # generated 16-min corpus
    .venv/bin/python benchmarks/training_throughput.py --corpus data/corpora/speech-sim/en
    PYTHONPATH=src python benchmarks/training_throughput.py --corpus DIR --device cuda  # GPU box

Runs the training pipeline as ``brainlike.training.run.train_model`` builds it -- the
model family's preset, the registered objective's ``build`` (HuBERT's k-means targets fitted
first, untimed), ``training_batches`` (a ``Prefetch`` thread, and DataLoader workers on a
GPU), the held-out chapters skipped -- through ``brainlike.training.loop.train`` (bf16
autocast on CUDA unless ``--precision`` says otherwise), for ``--warmup`` + ``--steps``
steps with a log row every step. Options left out take the config schema's defaults. The warm-up steps (thread start, first row-group reads,
allocator and kernel warm-up) are dropped; over the timed steps it reports

* audio seconds trained per wall second (= times faster than real time) and steps/s;
* the data-wait fraction: time in ``next(batches)`` plus the host-to-device copy, over step
  time (the loop's own ``data_wait_fraction``), summed over the timed steps;
* peak memory: the process's resident high-water mark during training on the CPU (reset
  per objective through /proc/self/clear_refs where allowed, else ``ru_maxrss`` of the whole
  process), ``torch.cuda.max_memory_allocated`` on CUDA.

Target (the issue's acceptance): data loading is not the bottleneck, < 5 % of step time.

Without ``--corpus`` a small English corpus (``--minutes``, 2-min chapters like the
workflow's) is generated with the package's own generator (needs espeak-ng) into a temporary
directory; a machine without espeak-ng passes ``--corpus`` with existing utterance/1
collections (shards and index.json), e.g. the workflow's ``data/corpora/speech-sim/en``.
"""

from __future__ import annotations

import os

# Spinning OpenMP threads starve the prefetch thread and other jobs; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import gc
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from brainlike.device import pick_device
from brainlike.models import checkpoint
from brainlike.objectives import OBJECTIVES, objective
from brainlike.plan.specs import ModelSpec
from brainlike.training.batches import training_batches
from brainlike.training.loop import train

TARGET_DATA_WAIT = 0.05


def generate_corpus(root: Path, minutes: float, seed: int) -> list[Path]:
    """A generated English collection of ``minutes`` of speech as utterance/1 shards."""
    # Imported here: the generator needs espeak-ng, which a GPU box given --corpus lacks.
    from brainlike.plan.datasets import Corpus
    from brainlike.preprocess.corpus import build_shards
    from brainlike.simulate.corpus import build_corpus

    corpus = Corpus.from_config("bench", {
        "source": str(root / "raw"), "collections": ["en"],
        "simulate": {"hours": {"en": minutes / 60}, "speakers": 4, "chapter_minutes": 2.0}})
    build_corpus(corpus, seed, root / "raw")
    build_shards(corpus, root / "raw", "en", root / "en")
    return [root / "en"]


def corpus_summary(directories: list[Path]) -> str:
    parts = []
    for directory in directories:
        index = json.loads((directory / "index.json").read_text())
        chapters = sum(s["rows"] for s in index["shards"])
        parts.append(f"{directory} ({index['seconds'] / 60:.1f} min, {chapters} chapters, "
                     f"{len(index['shards'])} shard(s))")
    return "; ".join(parts)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_cpu_peak() -> str:
    """Reset the kernel's resident high-water mark; name the measure that follows."""
    gc.collect()
    try:  # hand the previous run's freed heap back, so it does not count in this one
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return "VmHWM"
    except OSError:
        return "ru_maxrss"


def _cpu_peak(how: str) -> int:
    if how == "VmHWM":
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


#: command-line option -> key of the model's ``training`` section
TRAINING_OPTIONS = {"batch_size": "batch_size", "crop_seconds": "crop_seconds",
                    "heldout": "heldout_chapters", "loader_workers": "loader_workers",
                    "quantizer": "quantizer", "mask_prob": "mask_prob", "mask_span": "mask_span",
                    "precision": "precision"}


def model_spec(objective_name: str, args: argparse.Namespace,
               directories: list[Path]) -> ModelSpec:
    """The model entry the benchmark trains: the options given, the schema's defaults."""
    given = {key: getattr(args, option) for option, key in TRAINING_OPTIONS.items()
             if getattr(args, option) is not None}
    training = {"objective": objective_name, "corpus": "bench",
                "collections": [d.name for d in directories],
                "steps": args.warmup + args.steps, "log_every": 1,
                "checkpoint_every": 10**9, **given}  # state saved once, at the end
    return ModelSpec.from_config(f"{objective_name}-bench", {
        "family": args.family, "preset": args.preset, "seed": args.seed,
        "training": training})


def run_one(objective_name: str, args: argparse.Namespace, directories: list[Path],
            device: torch.device, state_dir: Path) -> dict:
    """Build and train one objective as train_model does; summarise the timed steps."""
    spec = model_spec(objective_name, args, directories)
    training = spec.training
    module = objective(objective_name).load()
    how = "cuda" if device.type == "cuda" else _reset_cpu_peak()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    torch.manual_seed(spec.seed)
    start = time.perf_counter()
    encoder = checkpoint.from_preset(spec.family, spec.preset)
    encoder.to(device)
    built = module.build(spec, encoder, directories, None)
    built.module.to(device)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    rows = train(encoder, built.module,
                 training_batches(directories, training, spec.seed, built.phones, device,
                                  built.label_offset_s),
                 training, spec.seed, state_dir / f"{objective_name}-{device.type}.pt", device)
    _sync(device)
    total = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) if how == "cuda" else _cpu_peak(how)
    timed = rows[args.warmup:]
    # One row per step: its window is the step's wall time; the loop's fractions weight it.
    step_s = np.array([training.batch_size / r["samples_per_s"] for r in timed])
    wait_s = np.array([r["data_wait_fraction"] for r in timed]) * step_s
    wall = float(step_s.sum())
    return {"objective": objective_name, "device": str(device), "setup_s": setup,
            "total_s": total, "steps_per_s": len(timed) / wall,
            "audio_s_per_s": len(timed) * training.batch_size * training.crop_seconds / wall,
            "data_wait": float(wait_s.sum()) / wall, "wait_max_ms": 1e3 * float(wait_s.max()),
            "step_ms_median": 1e3 * float(np.median(step_s)), "peak_mib": peak / 2**20,
            "peak_how": how, "loss": (rows[0]["loss"], rows[-1]["loss"])}


def devices_for(names: list[str]) -> list[torch.device]:
    out: list[torch.device] = []
    for name in names:
        if name == "auto":  # the CPU, and CUDA too where present
            out += [torch.device("cpu")] + ([pick_device("cuda")]
                                             if torch.cuda.is_available() else [])
        else:
            out.append(pick_device(name))
    return list(dict.fromkeys(out))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, nargs="+", default=None,
                        help="utterance/1 collection directories (default: generate one)")
    parser.add_argument("--minutes", type=float, default=16.0,
                        help="audio to generate when --corpus is not given")
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES),
                        choices=list(OBJECTIVES))
    parser.add_argument("--device", nargs="+", default=["auto"],
                        help="auto (the CPU, plus CUDA when available), cpu, cuda, cuda:N")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per objective")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--crop-seconds", type=float, default=None)
    parser.add_argument("--family", default="logmel", choices=sorted(checkpoint.FAMILIES))
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--heldout", type=int, default=None,
                        help="chapters per collection kept out of training, as train_model")
    parser.add_argument("--loader-workers", type=int, default=None,
                        help="DataLoader processes (-1: the training default for the device)")
    parser.add_argument("--quantizer", default=None, choices=["small", "paper"],
                        help="wav2vec2 objective preset (paper: 2 x 320 codes, K = 100)")
    parser.add_argument("--mask-prob", type=float, default=None)
    parser.add_argument("--mask-span", type=int, nargs=2, default=None)
    parser.add_argument("--precision", default=None, choices=["auto", "float32", "bfloat16"],
                        help="autocast of the training step (auto: bf16 on CUDA only)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0:
        parser.error("--steps must be >= 1 and --warmup >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = devices_for(args.device)

    print(f"torch {torch.__version__}, devices {', '.join(map(str, devices))}, threads "
          f"{torch.get_num_threads()} (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
          f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}), cpus {os.cpu_count()}")
    for device in devices:
        if device.type == "cuda":
            print(f"{device}: {torch.cuda.get_device_name(device)}")
    with tempfile.TemporaryDirectory(prefix="brainlike-throughput-") as tmp:
        tmp = Path(tmp)
        if args.corpus:
            directories = [p.resolve() for p in args.corpus]
        else:
            start = time.perf_counter()
            directories = generate_corpus(tmp / "corpus", args.minutes, args.seed)
            print(f"generated the corpus in {time.perf_counter() - start:.1f} s")
        print(f"corpus: {corpus_summary(directories)}")
        training = model_spec(args.objectives[0], args, directories).training
        print(f"{args.family}/{args.preset}, batch {training.batch_size} x "
              f"{training.crop_seconds:g} s crops, {args.warmup} warm-up + {args.steps} timed "
              f"steps, {training.heldout_chapters} held-out chapter(s) per collection, "
              f"precision {training.precision}\n")
        results = []
        for device in devices:
            for name in args.objectives:
                results.append(run_one(name, args, directories, device, tmp))
                r = results[-1]
                print(f"  done {name} on {device}: setup {r['setup_s']:.1f} s, train "
                      f"{r['total_s']:.1f} s, loss {r['loss'][0]:.3f} -> {r['loss'][1]:.3f}",
                      flush=True)

    cpu = {r["objective"]: r for r in results if r["device"] == "cpu"}
    header = (f"{'device':8s} {'objective':11s} {'steps/s':>8s} {'audio s/s':>10s} "
              f"{'vs cpu':>7s} {'step ms':>8s} {'data wait':>10s} {'max wait':>9s} "
              f"{'peak MiB':>9s} {'setup s':>8s}")
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        base = cpu.get(r["objective"]) if r["device"] != "cpu" else None
        ratio = f"{r['audio_s_per_s'] / base['audio_s_per_s']:.1f}x" if base else "-"
        print(f"{r['device']:8s} {r['objective']:11s} {r['steps_per_s']:8.2f} "
              f"{r['audio_s_per_s']:10.1f} {ratio:>7s} {r['step_ms_median']:8.0f} "
              f"{r['data_wait']:10.2%} {r['wait_max_ms']:7.1f}ms {r['peak_mib']:9.0f} "
              f"{r['setup_s']:8.1f}")
    hows = sorted({r["peak_how"] for r in results})
    print("(audio s/s = audio seconds trained per wall second; step ms = median; data wait = "
          "summed over the timed steps; peak: " + ", ".join(hows) + ")")

    print("\ntarget")
    for r in results:
        ok = r["data_wait"] < TARGET_DATA_WAIT
        print(f"  data wait {r['device']} {r['objective']}: {r['data_wait']:.2%} of step time "
              f"(target < {TARGET_DATA_WAIT:.0%}) {verdict(ok)}")
    worst = max(r["data_wait"] for r in results)
    print(f"{verdict(worst < TARGET_DATA_WAIT)}: data loading < {TARGET_DATA_WAIT:.0%} of step "
          f"time in every run (worst {worst:.2%})")


if __name__ == "__main__":
    main()
