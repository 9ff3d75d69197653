"""Ridge on circularly shifted copies of a few series: the ROI null of brain scores.

Circularly shifted copies of a few series (the ROI null of brain scores, one column per lag)
have their own solver, :func:`shifted_ridge`. Their LOO error is a quadratic form
``q(s) = y_sᵀ B y_s`` with ``B = (I-H)ᵀ W² (I-H)`` (W = diag 1/(1-H_ii)), so for every shift
at once ``q̂(ω) = Σ_d b̂_d(ω) conj(ρ̂_d(ω))`` where ``b_d`` is the d-th wrapped diagonal of B
and ``ρ_d(u) = y(u) y(u+d)``: per alpha one (T, T) matrix and its diagonals' FFTs, shared by
every series, then one small batched product per series — instead of ``2nk`` flops per
alpha per shifted column. ``Uᵀy_s`` for every shift is a correlation, also by FFT. It pays
from about ten series on (two subjects' ROIs); below that the shifted columns are built and
solved as ordinary columns, which reproduces the plain solver bit for bit.

The decompositions are :mod:`brainlike.scores.ridge`'s (:func:`ridge_folds`); the plain
solver is that module's :func:`solve_ridge`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from brainlike.scores.ridge import (
    FoldBasis,
    Mode,
    RidgeCVResult,
    RidgeFolds,
    as_2d,
    default_chunk_size,
    pearson_rows,
    solve_ridge,
)

__all__ = ["CircularShifts", "shifted_ridge"]


class CircularShifts:
    """The columns ``[y, roll(y, lag_1), ..., roll(y, lag_L)]`` of a few series, lag-major.

    series: (T, G) — e.g. every subject's ROI-mean responses side by side; lags: (L,) ints in
    [1, T). Column ``l * G + g`` is series g rolled by ``lags[l - 1]`` (l = 0: unshifted), as
    ``np.roll(series, lag, axis=0)``. The spectra :func:`shifted_ridge` needs are computed
    once and kept (about ``T² / 4`` complex128 numbers per series), so one object serves
    every layer of a model.
    """

    def __init__(self, series: np.ndarray, lags: np.ndarray | Sequence[int]) -> None:
        series = as_2d("series", series, "(T, G)")
        series = series.cpu().numpy() if isinstance(series, torch.Tensor) else series
        lags = np.asarray(lags)
        n_rows = series.shape[0]
        if lags.ndim != 1 or not np.issubdtype(lags.dtype, np.integer):
            raise ValueError(f"lags must be 1-D integers, got shape {lags.shape} "
                             f"dtype {lags.dtype}")
        if lags.size and (lags.min() < 1 or lags.max() >= n_rows):
            raise ValueError(f"lags must lie in [1, {n_rows}), got {lags.min()}..{lags.max()}")
        if not np.isfinite(series).all():
            raise ValueError("series contains NaN or inf")
        self.series = np.asarray(series, dtype=np.float32)
        self.lags = lags.astype(np.int64)
        self._cache: dict = {}

    @property
    def shifts(self) -> np.ndarray:
        """(1 + L,) the shift of each block of G columns, 0 first."""
        return np.concatenate([[0], self.lags])

    def columns(self) -> np.ndarray:
        """(T, G (1 + L)) float32, the columns themselves."""
        return np.concatenate([self.series] + [np.roll(self.series, int(k), axis=0)
                                               for k in self.lags], axis=1)

    def _spectra(self, device: torch.device, rho: bool) -> dict[str, torch.Tensor]:
        """Spectra of the series less their mean (every statistic used is blind to it):
        y_hat, y2_hat (W, G) complex128 of y and y², and with ``rho`` conj ρ̂ (W, D, G),
        ρ_d(u) = y(u) y(u + d) for d = 0..T//2; W = T//2 + 1."""
        key = (device, rho)
        if key not in self._cache:
            n_rows = self.series.shape[0]
            y = torch.as_tensor(self.series, device=device).double()
            y = (y - y.mean(0)).T  # (G, T)
            out = {"y_hat": torch.fft.rfft(y, dim=1).T.contiguous(),
                   "y2_hat": torch.fft.rfft(y.square(), dim=1).T.contiguous()}
            if rho:
                d = torch.arange(n_rows // 2 + 1, device=device)[:, None]
                t = torch.arange(n_rows, device=device)[None, :]
                out["rho_hat"] = torch.fft.rfft(y[:, None, :] * y[:, (t + d) % n_rows], dim=2
                                                ).permute(2, 1, 0).conj().contiguous()
            self._cache[key] = out
        return self._cache[key]


def shifted_ridge(design: RidgeFolds, shifts: CircularShifts, chunk_size: int | None = None,
                  method: Literal["auto", "direct", "spectral"] = "auto") -> RidgeCVResult:
    """``solve_ridge(design, shifts.columns(), chunk_size)``, by the cheaper method.

    method: "direct" solves the columns as ordinary ones (bit for bit), "spectral" uses the
    shift structure (module docstring; float64 LOO errors, so the alpha of a column can
    differ from the float32 direct solver's only where its LOO errors tie to ~1e-6, and r
    agrees to ~1e-6 elsewhere), "auto" the spectral one where it is clearly cheaper (many
    series). The spectral method keeps ``shifts``' spectra for the next layer.
    Returns r and alpha (n_folds, G (1 + L)), lag-major as the columns.
    """
    n_rows, n_series = shifts.series.shape
    if n_rows != design.n_rows:
        raise ValueError(f"the design has {design.n_rows} rows but the series have {n_rows}")
    n_shifts = 1 + len(shifts.lags)
    if method == "auto":
        method = "spectral" if _spectral_pays(design, n_series, n_shifts) else "direct"
    if method == "direct":
        return solve_ridge(design, shifts.columns(), chunk_size)
    if method != "spectral":
        raise ValueError(f"method must be 'auto', 'direct' or 'spectral', got {method!r}")
    if chunk_size is None:
        chunk_size = default_chunk_size(design.device)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    r = np.empty((len(design.folds), n_shifts * n_series))
    best = np.empty(r.shape, dtype=np.int64)
    n_degenerate = 0
    with torch.inference_mode():
        spectra = shifts._spectra(design.device, rho=design.mode == "exact")
        for i, (basis, (train, test)) in enumerate(zip(design.bases, design.folds)):
            r_fold, idx, degenerate = _shifted_fold(basis, train, test, shifts, spectra,
                                                    design.mode, chunk_size)
            r[i], best[i] = r_fold.cpu().numpy().ravel(), idx.cpu().numpy().ravel()
            n_degenerate += degenerate
    if n_degenerate:
        warnings.warn(f"{n_degenerate} (fold, column) pairs have a constant prediction or "
                      "held-out response; their r is reported as 0", RuntimeWarning,
                      stacklevel=2)
    return RidgeCVResult(r=r, alpha=design.alphas[best], fold_sizes=design.fold_sizes)


def _spectral_pays(design: RidgeFolds, n_series: int, n_shifts: int) -> bool:
    """Whether the spectral method is clearly (2x by estimate) cheaper than solving the
    columns; near a tie the direct method wins, which reproduces :func:`solve_ridge`.

    Units: float32 GEMM flops; a float64 GEMM flop counts 2, an element of an FFT or gather
    25 per log2 T. The estimate overstates the spectral method's advantage by ~1.5x against
    times measured on a 2-core Xeon (T = 918; exact mode: even at 5 series, 10 and more
    are 1.5-3.5x faster; gcv mode: 2-5x faster from 5 series on)."""
    n_alphas, n_rows = len(design.alphas), design.n_rows
    fft = 25 * math.log2(n_rows)
    direct = spectral = 0.0
    for basis in design.bases:
        k, n = basis.ut.shape
        n_cols = n_series * n_shifts
        direct += n_cols * (2 * n * k * (n_alphas + 1 if design.mode == "exact" else 1)
                            + 8 * 25 * n)  # GEMMs, and copies and passes over (n, column)
        spectral += n_series * (k + 2) * n_rows * fft  # Uᵀ y_s for every shift, by FFT
        if design.mode == "exact":
            spectral += n_alphas * (2 * (4 * n * k * k + 2 * n * n * k) + n_rows * n_rows * fft)
            spectral += n_series * n_alphas * n_rows * n_rows * 2  # batched products
    return direct > 2 * spectral


def _loo_errors(basis: FoldBasis, train: np.ndarray, n_rows: int,
                rho_hat: torch.Tensor) -> torch.Tensor:
    """(A, G, T) n × the exact LOO mse of every series (conj ρ̂: (W, D, G)) at every shift.

    Per alpha, B = (I-H)ᵀ W² (I-H) on the centred training rows is embedded in (T, T) at the
    training rows; the FFTs of its wrapped diagonals d = 0..T//2 (weighted so that d and
    T - d both count) meet every series' ρ̂ in one batched product. B = C + Cᵀ with
    C = [U, w², 1] [N; -1ᵀ/n; Σw²/(2n²) 1ᵀ] + diag(w²)/2, N = F (½ M F Uᵀ - VᵀP₀), V = W²U,
    M = UᵀV, P₀ = I - 11ᵀ/n (U ⟂ 1): 4nk² + 2n²k flops per alpha, in float64.
    """
    device = basis.u64.device
    u, n = basis.u64, len(train)
    k = u.shape[1]
    n_diag = n_rows // 2 + 1
    # Position of every row of the (T, T) embedding among the training rows; n = outside.
    pos = torch.full((n_rows,), n, dtype=torch.int64, device=device)
    pos[torch.as_tensor(train, device=device)] = torch.arange(n, device=device)
    t = torch.arange(n_rows, device=device)
    d = torch.arange(n_diag, device=device)[:, None]
    flat = pos[None, :] * (n + 1) + pos[(t[None, :] + d) % n_rows]  # (D, T)
    weight = torch.full((n_diag, 1), 2.0, dtype=torch.float64, device=device)
    weight[0] = 1.0
    if n_rows % 2 == 0:
        weight[-1] = 1.0
    padded = torch.zeros(n + 1, n + 1, dtype=torch.float64, device=device)
    lhs = torch.cat([u, torch.zeros(n, 1, dtype=u.dtype, device=device),
                     torch.ones(n, 1, dtype=u.dtype, device=device)], dim=1)
    rhs = torch.empty(k + 2, n, dtype=torch.float64, device=device)
    spectra = torch.empty(n_diag, len(basis.f64), n_diag, dtype=torch.complex128,
                          device=device)  # (W, A, D)
    for a, (f, w) in enumerate(zip(basis.f64, basis.w64)):
        w2 = w.square()
        v = u * w2[:, None]
        torch.mm(u.T @ v * f, u.T, out=rhs[:k])
        rhs[:k].mul_(0.5).sub_(v.T).add_((v.sum(0) / n)[:, None]).mul_(f[:, None])
        rhs[k] = -1.0 / n
        rhs[k + 1] = w2.sum() / (2 * n**2)
        lhs[:, k] = w2
        c = lhs @ rhs
        c.diagonal().add_(0.5 * w2)
        torch.add(c, c.T, out=padded[:n, :n])
        spectra[:, a] = torch.fft.rfft(padded.view(-1)[flat] * weight, dim=1).T
    q_hat = torch.bmm(spectra, rho_hat)  # (W, A, G): reads the series' spectra once
    return torch.fft.irfft(q_hat.permute(1, 2, 0), n=n_rows, dim=2)


def _shifted_fold(basis: FoldBasis, train: np.ndarray, test: np.ndarray,
                  shifts: CircularShifts, spectra: dict[str, torch.Tensor], mode: Mode,
                  chunk_size: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(1 + L, G) held-out r and alpha index of every series at every shift, for one fold,
    and the number of degenerate (constant) columns.

    Correlations with the training rows, c(s) = Σ_t a(t) y(t - s), are ĉ = â conj(ŷ):
    Σ_train y_s (and y_s²) in float64, Uᵀ y_s in complex64 (float32 precision, as the
    direct solver's GEMM). The alpha is chosen at every shift, predictions are made for
    every shift and kept at the requested ones."""
    device = basis.u64.device
    n_rows, n_series = shifts.series.shape
    n, k = basis.u64.shape
    shift_idx = torch.as_tensor(shifts.shifts, device=device)
    tr = torch.as_tensor(train, device=device)
    y_hat = spectra["y_hat"]  # (W, G)
    indicator = torch.zeros(n_rows, dtype=torch.float64, device=device)
    indicator[tr] = 1.0
    ind_hat = torch.fft.rfft(indicator)[:, None]
    if mode == "exact":
        err = _loo_errors(basis, train, n_rows, spectra["rho_hat"])  # (A, G, T)
    else:
        train_sum = torch.fft.irfft(ind_hat * y_hat.conj(), n=n_rows, dim=0).T  # (G, T)
        train_sq = torch.fft.irfft(ind_hat * spectra["y2_hat"].conj(), n=n_rows, dim=0).T
        yy = train_sq - train_sum.square() / n  # (G, T): ‖y_s - mean‖² on the training rows
    embedded = torch.zeros(n_rows, k, dtype=torch.float64, device=device)
    embedded[tr] = basis.u64
    u_hat = torch.fft.rfft(embedded, dim=0).T.to(torch.complex64)  # (k, W)
    y_conj = y_hat.conj().T.to(torch.complex64)  # (G, W)
    g2_ones = torch.cat([basis.g2, torch.ones(1, k, dtype=torch.float64, device=device)])
    series_t = torch.as_tensor(shifts.series.T.copy(), device=device)  # (G, T) float32
    te = torch.as_tensor(test, device=device)
    rows = (te[None, :] - shift_idx[:, None]) % n_rows  # (S, n_test): y_s(t) = y(t - s)
    r = torch.empty(len(shift_idx), n_series, dtype=torch.float64, device=device)
    best = torch.empty(len(shift_idx), n_series, dtype=torch.int64, device=device)
    n_degenerate = 0
    batch = max(1, chunk_size // (k + 1))
    for g0 in range(0, n_series, batch):
        g1 = min(g0 + batch, n_series)
        z = torch.fft.irfft(u_hat[:, None, :] * y_conj[None, g0:g1], n=n_rows, dim=2)
        if mode == "exact":
            idx = err[:, g0:g1].argmin(0)  # (Gb, T), first minimum
        else:
            sums = (g2_ones @ z.double().square().view(k, -1)).view(-1, g1 - g0, n_rows)
            rss = sums[:-1]
            if not basis.spans_centred:
                rss += (yy[g0:g1] - sums[-1]).clamp_min(0)
            idx = (rss * basis.gcv_scale[:, None, None]).argmin(0)
        z *= basis.coef.T.index_select(1, idx.view(-1)).view(k, g1 - g0, n_rows)
        pred = (z.view(k, -1).T @ basis.pt).view(g1 - g0, n_rows, -1)  # centred units
        pred = pred.index_select(1, shift_idx).view(-1, len(test))  # (Gb S, n_test)
        truth = series_t[g0:g1][:, rows].view(-1, len(test))
        r_b, degenerate = pearson_rows(pred, truth)
        r[:, g0:g1] = r_b.view(g1 - g0, -1).T
        best[:, g0:g1] = idx.index_select(1, shift_idx).T
        n_degenerate += int(degenerate.sum())
    return r, best, n_degenerate
