"""Benchmark layer-feature extraction per story: one window at a time vs batched, fp32 vs bf16.

    .venv/bin/python benchmarks/feature_extraction.py              # the workflow's task-en1
    .venv/bin/python benchmarks/feature_extraction.py --story STORY.parquet --threads 2
    .venv/bin/python benchmarks/feature_extraction.py --seconds 120 --repeats 1   # generated, quick

``brainlike.features.layers.windowed_layers`` as the workflow calls it (5 s windows, 10 s of
context, pooled to 50 Hz), on untrained models (``from_preset`` after ``torch.manual_seed(0)``):
logmel ``tiny``, logmel ``small-split`` and waveform ``tiny``. Per model and thread count
(``torch.set_num_threads``), the median of ``--repeats`` timed calls (after one untimed
warm-up) of

* reference: ``_windowed_layers_reference``, one forward pass per window, every frame pooled
  at the end (the implementation before batching);
* fp32: ``windowed_layers`` batched (``--batch-samples``), float32;
* bf16: the same under bfloat16 autocast.

Then, per layer: the batched float32 output's largest deviation from the reference relative
to the layer's RMS (the acceptance bound is 1e-5), and the fidelity of bf16 to float32 --
Pearson r of the flattened activations and the RMS error relative to the layer's RMS. Last,
the peak memory of one call in a fresh process (resident high-water mark above the loaded
model and story) for one window at a time and for the batch budget.

Input: ``--story`` (an utterance/1 Parquet file); by default the workflow's own
``data/parquet/narratives-sim/stimuli/task-en1.parquet`` (3.6 min), and where that has not
been built (a fresh clone), ``--seconds`` of generated audio (noise and tones).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads

import argparse
import ctypes
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from brainlike.features.layers import BATCH_SAMPLES, _windowed_layers_reference, windowed_layers
from brainlike.models.checkpoint import from_preset

DEFAULT_STORY = (Path(__file__).resolve().parents[1]
                 / "data/parquet/narratives-sim/stimuli/task-en1.parquet")
MODELS = (("logmel", "tiny"), ("logmel", "small-split"), ("waveform", "tiny"))
SAMPLE_RATE = 16000
WINDOW_S, CONTEXT_S, RATE = 5.0, 10.0, 50.0
TOLERANCE = 1e-5  # batched vs reference, relative to the layer's RMS


def generated_audio(seconds: float, seed: int = 0) -> np.ndarray:
    """(samples,) float32: noise with gliding, amplitude-modulated tones and pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    audio = 0.02 * rng.standard_normal(n)
    for f0 in (140.0, 420.0, 1100.0, 2500.0):
        glide = f0 * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t))
        phase = 2 * np.pi * np.cumsum(glide) / SAMPLE_RATE
        envelope = np.clip(np.sin(2 * np.pi * rng.uniform(2, 6) * t + rng.uniform(0, 6)), 0, 1)
        audio += 0.05 * envelope * np.sin(phase)
    pauses = np.repeat(rng.random(n // SAMPLE_RATE + 1) < 0.15, SAMPLE_RATE)[:n]
    audio[pauses] *= 0.05
    return audio.astype(np.float32)


def load_audio(args: argparse.Namespace) -> tuple[np.ndarray, str]:
    story = Path(args.story) if args.story else DEFAULT_STORY
    if story.exists():
        from brainlike.features.story import Stimulus

        stimulus = Stimulus.read(story)
        if stimulus.sample_rate != SAMPLE_RATE:
            raise ValueError(f"{story} is at {stimulus.sample_rate} Hz, not {SAMPLE_RATE}")
        return stimulus.audio, f"{story} ({stimulus.story})"
    if args.story:
        raise FileNotFoundError(story)
    return generated_audio(args.seconds), f"generated noise and tones ({DEFAULT_STORY} not built)"


def model(family: str, preset: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return from_preset(family, preset).eval()


def extract(variant: str, net: torch.nn.Module, audio: np.ndarray, batch_samples: int
            ) -> list[np.ndarray]:
    args = (net, audio, SAMPLE_RATE, WINDOW_S, CONTEXT_S, RATE, torch.device("cpu"))
    if variant == "reference":
        return _windowed_layers_reference(*args)
    precision = {"fp32": "float32", "bf16": "bfloat16"}[variant]
    return windowed_layers(*args, precision=precision, batch_samples=batch_samples)


def time_variants(net: torch.nn.Module, audio: np.ndarray, threads: int, repeats: int,
                  batch_samples: int) -> tuple[dict[str, float], dict[str, list[np.ndarray]]]:
    """Median seconds per call of each variant (interleaved, so load drifts hit all alike)."""
    torch.set_num_threads(threads)
    variants = ("reference", "fp32", "bf16")
    outputs = {v: extract(v, net, audio, batch_samples) for v in variants}  # warm-up
    times: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(repeats):
        for v in variants:
            start = time.perf_counter()
            extract(v, net, audio, batch_samples)
            times[v].append(time.perf_counter() - start)
    return {v: float(np.median(t)) for v, t in times.items()}, outputs


def relative_max(a: np.ndarray, ref: np.ndarray) -> float:
    rms = np.sqrt(np.mean(ref.astype(np.float64) ** 2))
    return float(np.abs(a.astype(np.float64) - ref).max() / rms)


def relative_rms(a: np.ndarray, ref: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    return float(np.sqrt(np.mean((a - ref) ** 2) / np.mean(ref**2)))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0, 1])


def _vm_hwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmHWM not in /proc/self/status")


def probe_memory(args: argparse.Namespace) -> None:
    """Child process: resident peak of one bf16/fp32 call above the loaded model and story."""
    family, preset = args.probe_memory.split(":")
    torch.set_num_threads(args.threads[-1])
    net, (audio, _) = model(family, preset), load_audio(args)
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    base = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:  # then VmHWM includes loading the model and the story
        pass
    extract(args.probe_variant, net, audio, args.probe_budget)
    print(json.dumps({"peak_bytes": _vm_hwm() - base}))


def memory_of(args: argparse.Namespace, family: str, preset: str, variant: str,
              budget: int) -> float:
    """MiB, the smallest of two fresh processes (allocator noise is a few MiB)."""
    cmd = [sys.executable, __file__, "--probe-memory", f"{family}:{preset}",
           "--probe-variant", variant, "--probe-budget", str(budget), "--seconds",
           str(args.seconds), "--threads", str(args.threads[-1])]
    if args.story:
        cmd += ["--story", args.story]
    peaks = [json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True)
                        .stdout.strip().splitlines()[-1])["peak_bytes"] for _ in range(2)]
    return min(peaks) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--story", default=None, help="utterance/1 Parquet file of one story")
    parser.add_argument("--seconds", type=float, default=180.0,
                        help="length of the generated audio when there is no story")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-samples", type=int, default=BATCH_SAMPLES)
    parser.add_argument("--models", nargs="+", default=[f"{f}:{p}" for f, p in MODELS],
                        help="family:preset, e.g. logmel:tiny")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--probe-memory", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--probe-variant", default="fp32", help=argparse.SUPPRESS)
    parser.add_argument("--probe-budget", type=int, default=BATCH_SAMPLES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_memory:
        probe_memory(args)
        return

    audio, source = load_audio(args)
    duration = len(audio) / SAMPLE_RATE
    models = [tuple(m.split(":")) for m in args.models]
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"cpus {os.cpu_count()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    print(f"story: {source}, {duration:.1f} s; windows {WINDOW_S:g} s with {CONTEXT_S:g} s "
          f"context, pooled to {RATE:g} Hz; batch budget {args.batch_samples} samples "
          f"({args.batch_samples / SAMPLE_RATE:.0f} s of chunks per forward pass)")
    print(f"seconds per story, median of {args.repeats} (after a warm-up call)\n")
    print(f"{'model':20s} {'threads':>7s} {'reference':>10s} {'fp32':>7s} {'bf16':>7s} "
          f"{'fp32 x':>7s} {'bf16 x':>7s}")
    fidelity = {}
    for family, preset in models:
        net = model(family, preset)
        for threads in args.threads:
            t, outputs = time_variants(net, audio, threads, args.repeats, args.batch_samples)
            print(f"{family + ' ' + preset:20s} {threads:7d} {t['reference']:10.2f} "
                  f"{t['fp32']:7.2f} {t['bf16']:7.2f} {t['reference'] / t['fp32']:6.2f}x "
                  f"{t['reference'] / t['bf16']:6.2f}x", flush=True)
        fidelity[(family, preset)] = (net.layer_names, outputs)

    print(f"\nper layer: batched fp32 vs reference (max |d| / RMS; bound {TOLERANCE:g}); "
          "bf16 vs batched fp32 (Pearson r, RMS error / RMS)")
    for (family, preset), (names, out) in fidelity.items():
        print(f"{family} {preset}")
        dev, r, err = [], [], []
        for i, name in enumerate(names):
            ref, fp32, bf16 = out["reference"][i], out["fp32"][i], out["bf16"][i]
            assert fp32.shape == bf16.shape == ref.shape and bf16.dtype == np.float32
            dev.append(relative_max(fp32, ref))
            r.append(pearson(bf16, fp32))
            err.append(relative_rms(bf16, fp32))
            print(f"  {name:14s} {str(ref.shape):14s} fp32 dev {dev[-1]:.1e}   bf16 r "
                  f"{r[-1]:.5f}  rel RMS err {err[-1]:.4f}")
        verdict = "MET" if max(dev) <= TOLERANCE else "NOT MET"
        print(f"  -> fp32 max dev {max(dev):.1e} ({verdict}); bf16 min r {min(r):.5f}, "
              f"max rel RMS err {max(err):.4f}")

    if args.skip_memory:
        return
    print(f"\npeak resident memory of one call above model and story ({args.threads[-1]} "
          "threads, VmHWM after clear_refs, min of 2 fresh processes), MiB")
    budgets = (1, args.batch_samples, 2 * args.batch_samples)
    print(f"{'model':20s} " + " ".join(f"{name:>12s}" for name in
                                       ("reference", "fp32 1/pass", "fp32 budget",
                                        "fp32 2x", "bf16 budget")))
    for family, preset in models:
        row = [memory_of(args, family, preset, "reference", 1)]
        row += [memory_of(args, family, preset, "fp32", b) for b in budgets]
        row.append(memory_of(args, family, preset, "bf16", args.batch_samples))
        print(f"{family + ' ' + preset:20s} " + " ".join(f"{m:12.0f}" for m in row), flush=True)


if __name__ == "__main__":
    main()
