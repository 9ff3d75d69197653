"""Benchmark the brain-score ridge solver against scikit-learn and himalaya.

    .venv/bin/python benchmarks/ridge_benchmark.py                       # 3000 × 512 × 20000
    .venv/bin/python benchmarks/ridge_benchmark.py --vertices 2000 --peer-folds 1   # quick

Synthetic data: T TRs × F features (correlated, spread spectrum) × V vertices (planted
weights, SNR from none to high), 10 alphas logspace(-1, 8, 10), contiguous KFold folds.

Compared, per outer fold, on X standardised with the training rows' statistics:

* ours, ``mode="exact"`` — efficient leave-one-out, as scikit-learn's RidgeCV;
* ours, ``mode="gcv"`` — generalised cross-validation (approximate LOO; Gram
  eigendecomposition, Y read in place);
* scikit-learn ``RidgeCV(alphas, alpha_per_target=True)`` — the reference (float64, LOO);
* himalaya ``RidgeCV(alphas, solver="svd", fit_intercept=True)``, torch backend — it has no
  LOO; it selects alphas by its default inner 5-fold CV, so its alphas are not expected to
  match, only its r to be close.

Y is not robust-scaled for anyone: a per-vertex affine map of Y changes neither the chosen
alpha nor the held-out r (see brainlike.scores.ridge). Peers run on ``--peer-folds`` folds
(default 1) because they are slow. The ratios compare each peer's time on a fold with ours on
the same fold timed just before and just after it (their mean), so that load from other jobs
on a shared machine hits both sides alike; the per-fold medians are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from brainlike.device import pick_device
from brainlike.plan.specs import ScoreSpec
from brainlike.scores.ridge import (
    cross_validated_ridge,
    default_chunk_size,
    kfold_contiguous,
)

ALPHAS = np.asarray(ScoreSpec.from_config({}).alphas)  # the schema's grid
TARGET_EXACT_SPEEDUP = 2.5
TARGET_GCV_SPEEDUP = 20.0
TARGET_GEMM_FRACTION = 0.40


def gemm_rate(device: torch.device, size: int = 4096, repeats: int = 5) -> float:
    """Best observed float32 GEMM rate (FLOP/s) of a square torch matmul on device."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = np.inf
    for _ in range(repeats + 1):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def synthetic(rows: int, features: int, vertices: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X (T, F) float32 with a spread spectrum, Y (T, V) float32 from noise to high SNR."""
    gen = torch.Generator().manual_seed(seed)
    latent = torch.randn(rows, 64, generator=gen)
    mixing = torch.randn(64, features, generator=gen) * torch.logspace(0, -2, 64)[:, None]
    x = latent @ mixing * 4 + torch.randn(rows, features, generator=gen)
    gain = torch.rand(vertices, generator=gen) ** 2
    gain[torch.rand(vertices, generator=gen) < 0.3] = 0  # pure-noise vertices
    y = torch.randn(rows, vertices, generator=gen)
    for start in range(0, vertices, 4096):  # bounded temporaries
        stop = min(start + 4096, vertices)
        w = torch.randn(features, stop - start, generator=gen) * gain[start:stop] / features**0.5
        y[:, start:stop] += x @ w
    return x.numpy(), y.numpy()


def pearson_cols(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    pred = pred - pred.mean(0)
    y = y - y.mean(0)
    return (pred * y).sum(0) / np.sqrt((pred**2).sum(0) * (y**2).sum(0))


def standardise(x: np.ndarray, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, ...]:
    """Train-statistics standardisation in float64 (RidgeCV returns float32 coefficients and
    predictions for float32 X, which would make the reference less exact than we are)."""
    x = x.astype(np.float64)
    mean, std = x[train].mean(0), x[train].std(0)
    std[std == 0] = 1
    return (x[train] - mean) / std, (x[test] - mean) / std


def run_sklearn(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray
                ) -> tuple[float, np.ndarray, np.ndarray]:
    from sklearn.linear_model import RidgeCV

    start = time.perf_counter()
    x_tr, x_te = standardise(x, train, test)
    model = RidgeCV(alphas=ALPHAS, alpha_per_target=True).fit(x_tr, y[train])
    r = pearson_cols(model.predict(x_te), y[test])
    return time.perf_counter() - start, np.asarray(model.alpha_), r


def sklearn_tie_gap(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
                    vertices: np.ndarray, theirs: np.ndarray, mine: np.ndarray) -> float:
    """Largest relative gap in sklearn's LOO mse between its alpha and ours, on vertices."""
    from sklearn.linear_model import RidgeCV

    x_tr, _ = standardise(x, train, test)
    model = RidgeCV(alphas=ALPHAS, alpha_per_target=True, store_cv_results=True)
    mse = model.fit(x_tr, y[train][:, vertices]).cv_results_.mean(0)  # (v, A)
    rows = np.arange(len(vertices))
    a = mse[rows, np.searchsorted(ALPHAS, theirs[vertices])]
    b = mse[rows, np.searchsorted(ALPHAS, mine[vertices])]
    return float(np.max(np.abs(a - b) / a))


def run_himalaya(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
                 device: torch.device) -> tuple[float, np.ndarray, np.ndarray]:
    from himalaya.backend import set_backend
    from himalaya.ridge import RidgeCV

    backend = set_backend("torch_cuda" if device.type == "cuda" else "torch", on_error="raise")
    start = time.perf_counter()
    x_tr, x_te = standardise(x, train, test)
    model = RidgeCV(alphas=ALPHAS, fit_intercept=True, solver="svd")  # inner cv=5 (KFold)
    model.fit(x_tr.astype(np.float32), y[train])
    pred = backend.to_numpy(model.predict(x_te.astype(np.float32)))
    _sync(device)
    elapsed = time.perf_counter() - start
    return elapsed, backend.to_numpy(model.best_alphas_), pearson_cols(pred, y[test])


def time_fold(x: np.ndarray, y: np.ndarray, fold, mode: str, args: argparse.Namespace,
              device: torch.device) -> float:
    """Seconds of one call of ours on one fold (its full pass over Y included)."""
    _sync(device)
    start = time.perf_counter()
    cross_validated_ridge(x, y, ALPHAS, [fold], mode, args.chunk_size, device)
    _sync(device)
    return time.perf_counter() - start


def flops_per_fold(mode: str, n_train: int, n_test: int, features: int, vertices: int) -> float:
    """GEMM flops our solver does per fold (SVD and elementwise work not counted)."""
    k = min(n_train - 1, features)
    a = len(ALPHAS)
    common = 2 * n_train * k * vertices + 2 * n_test * k * vertices + 2 * n_test * features * k
    if mode == "exact":
        return common + a * 2 * n_train * k * vertices
    return common + a * 2 * k * vertices


def _rss_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def probe_memory(args: argparse.Namespace) -> None:
    """Child process: peak memory of one solver call on data with --probe-memory vertices."""
    device = pick_device(args.device)
    x, y = synthetic(args.rows, args.features, args.probe_memory, args.seed)
    folds = kfold_contiguous(args.rows, args.folds)[:1]  # one fold shows the scaling
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        cross_validated_ridge(x, y, ALPHAS, folds, args.mode, args.chunk_size, device)
        peak, how = torch.cuda.max_memory_allocated(device) - base, "torch.cuda peak"
    else:
        try:  # hand freed heap back first, so the call cannot hide its peak in it
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass
        base = _rss_bytes("VmRSS")
        try:  # reset the kernel's high-water mark so it measures this call only
            Path("/proc/self/clear_refs").write_text("5")
            how = "VmHWM after clear_refs"
        except OSError:
            how = "ru_maxrss (includes data generation)"
        cross_validated_ridge(x, y, ALPHAS, folds, args.mode, args.chunk_size, device)
        peak = _rss_bytes("VmHWM") - base
    print(json.dumps({"peak_bytes": peak, "how": how, "y_bytes": y.nbytes}))


def memory_of(args: argparse.Namespace, vertices: int, mode: str, repeats: int = 3) -> dict:
    """Smallest peak of ``repeats`` fresh processes (allocator noise is tens of MiB)."""
    probes = [_memory_once(args, vertices, mode) for _ in range(repeats)]
    return min(probes, key=lambda probe: probe["peak_bytes"])


def _memory_once(args: argparse.Namespace, vertices: int, mode: str) -> dict:
    cmd = [sys.executable, __file__, "--probe-memory", str(vertices), "--mode", mode,
           "--rows", str(args.rows), "--features", str(args.features),
           "--folds", str(args.folds), "--seed", str(args.seed)]
    if args.chunk_size:
        cmd += ["--chunk-size", str(args.chunk_size)]
    if args.device:
        cmd += ["--device", args.device]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--vertices", type=int, default=20000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--peer-folds", type=int, default=1, help="folds to time the peers on")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--memory-vertices", type=int, nargs=2, default=None,
                        help="two vertex counts for the peak-memory check (default V/4, V)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", default="exact", help=argparse.SUPPRESS)
    parser.add_argument("--probe-memory", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_memory is not None:
        probe_memory(args)
        return

    device = pick_device(args.device)
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()} "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), cpus {os.cpu_count()}")
    peak = gemm_rate(device)
    print(f"float32 GEMM peak (4096² matmul, best of 5): {peak / 1e9:.1f} GFLOP/s")

    start = time.perf_counter()
    x, y = synthetic(args.rows, args.features, args.vertices, args.seed)
    folds = kfold_contiguous(args.rows, args.folds)
    print(f"data: X {x.shape}, Y {y.shape} float32, {len(ALPHAS)} alphas, {len(folds)} "
          f"contiguous folds (generated in {time.perf_counter() - start:.1f} s)")

    ours: dict[str, list] = {}
    n_tr, n_te = len(folds[0][0]), len(folds[0][1])
    for mode in ("exact", "gcv"):
        times, results = [], []
        for fold in folds:  # one call per fold: its time includes the full pass over Y
            _sync(device)
            start = time.perf_counter()
            results.append(cross_validated_ridge(x, y, ALPHAS, [fold], mode, args.chunk_size,
                                                 device))
            _sync(device)
            times.append(time.perf_counter() - start)
        _sync(device)
        start = time.perf_counter()
        cross_validated_ridge(x, y, ALPHAS, folds, mode, args.chunk_size, device)
        _sync(device)
        amortised = (time.perf_counter() - start) / len(folds)
        ours[mode] = [times, results]
        flops = flops_per_fold(mode, n_tr, n_te, args.features, args.vertices)
        rate = flops / np.median(times)
        print(f"ours {mode:5s}: per fold " + " ".join(f"{t:.2f}" for t in times)
              + f" s (median {np.median(times):.2f}; {amortised:.2f} s/fold when all "
              f"{len(folds)} folds run in one call); {flops / 1e9:.0f} GFLOP/fold -> "
              f"{rate / 1e9:.1f} GFLOP/s = {rate / peak:.0%} of GEMM peak")
    exact_r = np.concatenate([res.r for res in ours["exact"][1]])
    exact_alpha = np.concatenate([res.alpha for res in ours["exact"][1]])
    gcv_r = np.concatenate([res.r for res in ours["gcv"][1]])
    gcv_alpha = np.concatenate([res.alpha for res in ours["gcv"][1]])
    print(f"gcv vs exact: same alpha {np.mean(gcv_alpha == exact_alpha):.1%}, |dr| max "
          f"{np.abs(gcv_r - exact_r).max():.4f} mean {np.abs(gcv_r - exact_r).mean():.5f}; "
          f"mean r exact {exact_r.mean():.4f} gcv {gcv_r.mean():.4f}")

    t_exact = float(np.median(ours["exact"][0]))
    t_gcv = float(np.median(ours["gcv"][0]))
    ratios: dict[str, dict[str, list[float]]] = {}
    if not args.skip_peers:
        for name in ("scikit-learn", "himalaya"):
            ratios[name] = {"exact": [], "gcv": []}
            for i, (train, test) in enumerate(folds[: args.peer_folds]):
                before = {mode: time_fold(x, y, folds[i], mode, args, device)
                          for mode in ("exact", "gcv")}
                if name == "scikit-learn":
                    elapsed, alpha, r = run_sklearn(x, y, train, test)
                else:
                    elapsed, alpha, r = run_himalaya(x, y, train, test, device)
                for mode in ("exact", "gcv"):
                    paired = (before[mode] + time_fold(x, y, folds[i], mode, args, device)) / 2
                    ratios[name][mode].append(elapsed / paired)
                # himalaya reports alphas as float32 exp(-log alpha): compare to rounding.
                same = np.isclose(alpha, exact_alpha[i], rtol=1e-5)
                dr = np.abs(r - exact_r[i])
                print(f"{name} fold {i}: {elapsed:.2f} s; vs ours exact: same alpha "
                      f"{same.mean():.2%}, |dr| on same-alpha vertices max "
                      f"{dr[same].max() if same.any() else np.nan:.2e}, all vertices max "
                      f"{dr.max():.3f} median {np.median(dr):.2e}")
                if name == "scikit-learn" and not same.all():
                    gap = sklearn_tie_gap(x, y, train, test, np.flatnonzero(~same), alpha,
                                          exact_alpha[i])
                    print(f"  the {np.sum(~same)} differing alphas: sklearn's own LOO errors "
                          f"for its and our choice differ by at most {gap:.1e} (relative)")
                print(f"  paired with ours on fold {i} (before and after): exact "
                      f"{ratios[name]['exact'][-1]:.1f}x, gcv {ratios[name]['gcv'][-1]:.1f}x; "
                      f"against our per-fold medians: exact {elapsed / t_exact:.1f}x, "
                      f"gcv {elapsed / t_gcv:.1f}x")
        n_timed = min(args.peer_folds, len(folds))
        print(f"(peers timed on {n_timed} of {len(folds)} folds; paired ratios averaged)")

    print("\ntargets")
    for name, by_mode in ratios.items():
        for mode, target in (("exact", TARGET_EXACT_SPEEDUP), ("gcv", TARGET_GCV_SPEEDUP)):
            ratio = float(np.mean(by_mode[mode]))
            print(f"  {mode:5s} vs {name}: {ratio:.1f}x faster, paired (target >= {target}x) "
                  f"{verdict(ratio >= target)}")
    fraction = flops_per_fold("exact", n_tr, n_te, args.features, args.vertices) / t_exact / peak
    print(f"  exact GEMM-peak fraction: {fraction:.0%} (target >= {TARGET_GEMM_FRACTION:.0%}) "
          f"{verdict(fraction >= TARGET_GEMM_FRACTION)}")

    counts = args.memory_vertices or [max(1, args.vertices // 4), args.vertices]
    chunk = args.chunk_size or default_chunk_size(device)
    if min(counts) < chunk:
        print(f"  (note: V={min(counts)} is below the chunk size {chunk}: until a chunk is "
              "full, memory grows with V)")
    for mode in ("exact", "gcv"):
        probes = [memory_of(args, v, mode) for v in counts]
        text = ", ".join(f"V={v}: {p['peak_bytes'] / 2**20:.0f} MiB (Y itself "
                         f"{p['y_bytes'] / 2**20:.0f} MiB)" for v, p in zip(counts, probes))
        growth = probes[1]["peak_bytes"] - probes[0]["peak_bytes"]
        data_growth = probes[1]["y_bytes"] - probes[0]["y_bytes"]
        # Bounded: the solver's own peak grows by far less than the data it reads.
        bounded = growth < 0.25 * data_growth
        print(f"  peak memory {mode}, one fold, above the data ({probes[0]['how']}, min of "
              f"3 runs): {text}; "
              f"{growth / 2**20:+.0f} MiB while Y grows {data_growth / 2**20:+.0f} MiB: "
              f"bounded by chunk size {verdict(bounded)}")
    print(f"float32 GEMM peak re-measured at the end: {gemm_rate(device) / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
