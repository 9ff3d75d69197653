"""Cross-validated ridge encoding models: the held-out Pearson r behind a brain score.

Method (Millet et al. 2022), per outer fold ``(train, test)``:

* X standardised with the training rows' mean and population std (a zero-variance feature is
  left unscaled, as ``StandardScaler`` does); the test rows reuse the training statistics.
* Y is *not* robust-scaled: a per-vertex positive affine map of Y (``RobustScaler``'s
  median / IQR) moves the intercept and multiplies that vertex's LOO errors and predictions
  by one constant, so neither the chosen alpha nor the held-out r can change. Skipping it
  saves a median/quantile sort over (T, V).
* One economy decomposition of the standardised training design, ``X = U diag(s) Vᵀ``
  (float64, rank ``k ≤ min(n - 1, F)``), serves every alpha and every vertex. With
  ``f_j(α) = s_j²/(s_j²+α)`` the hat matrix of ridge with an unpenalised intercept is
  ``H = 11ᵀ/n + U diag(f) Uᵀ``.
* ``mode="exact"``: per alpha and vertex the mean squared efficient leave-one-out error,
  ``e_i = (y_i - ŷ_i) / (1 - H_ii)`` with ``ŷ = U diag(f) Uᵀ y`` on centred y — what
  ``RidgeCV(alphas, alpha_per_target=True)`` (``_RidgeGCV``) minimises; alpha is the first
  minimiser, as scikit-learn's strict ``>`` update keeps the first. The decomposition is an
  SVD.
* ``mode="gcv"``: generalised cross-validation — ``H_ii`` replaced by its mean ``tr(H)/n``,
  so the error is ``RSS(α) / (n (1 - tr H/n)²)`` with ``RSS`` from k-dim quantities only
  (no per-alpha (n, V) product). It is rotation-invariant where LOO is not: on rows with
  uneven leverage it can choose a neighbouring alpha, hence a slightly different r. The
  decomposition is an eigendecomposition of the smaller Gram matrix (~5-20x faster than the
  SVD of a tall design; directions with ``s² < 1e-13 s_max²`` are dropped, which moves RSS by
  less than ``2 s²/α`` of their share), and Y is read in place, rows as rows: the folds'
  training rows are multiplied as views, with no copy of Y unless a column's mean exceeds
  its std (raw BOLD), then one centred copy per block of columns.
* Predictions on the test rows with the chosen alpha per vertex; Pearson r per vertex.

Cost per fold (n train rows, k = rank, V vertices, A alphas): exact ``2nkV (A + 1)`` flops
of float32 GEMM; gcv ``2nkV``; both plus ``2 n_test k V`` for the test predictions. Vertices
are processed ``chunk_size`` at a time so memory is bounded by the chunk, not by V.
:func:`ridge_folds` decomposes a design once; :func:`solve_ridge` then scores any number of
response matrices against it (subjects who heard the same stories share their design).

Circularly shifted copies of a few series (the ROI null) have their own solver in
:mod:`brainlike.scores.shifts`.

Precision: float32 products, float64 where sums decide (LOO errors, r); the shifted-series
solver's LOO errors are float64 throughout (its ``Uᵀy_s``, for the predictions, float32 as
the plain solver's). Agreement with scikit-learn (float64): the same alpha except
where its own LOO errors tie within ~1e-6 relative, r within ~1e-6. For the same reason a
different ``chunk_size`` (GEMM blocking) can flip such a tie.

Degenerate vertices: where the held-out response or the prediction has zero variance (e.g. a
vertex constant over the training rows), Pearson r is undefined; it is reported as 0.0 and a
``RuntimeWarning`` counts such (fold, vertex) pairs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from brainlike.device import pick_device
from brainlike.scores.folds import Fold, kfold_contiguous, leave_one_group_out

__all__ = [
    "RidgeCVResult",
    "RidgeFolds",
    "cross_validated_ridge",
    "default_chunk_size",
    "kfold_contiguous",
    "leave_one_group_out",
    "ridge_folds",
    "solve_ridge",
]

_F64_EPS = float(np.finfo(np.float64).eps)
_GRAM_TOL = 1e-13  # eigenvalues below this share of the largest are dropped (gcv)

Mode = Literal["exact", "gcv"]


@dataclass(frozen=True)
class RidgeCVResult:
    """Per-fold outcome of :func:`cross_validated_ridge`.

    r: (n_folds, V) held-out Pearson r; alpha: (n_folds, V) chosen alpha;
    fold_sizes: (n_folds,) number of held-out rows per fold;
    predictions: with ``return_predictions``, per fold the (n_test, V) float32 held-out
    predictions in Y's units (intercept included; equal to fitting robust-scaled Y and
    transforming back, since ridge with an unpenalised intercept is equivariant to that).
    """

    r: np.ndarray
    alpha: np.ndarray
    fold_sizes: np.ndarray
    predictions: list[np.ndarray] | None = None

    @property
    def mean_r(self) -> np.ndarray:
        """(V,) r averaged over folds (unweighted, as in Millet et al.)."""
        return self.r.mean(axis=0)


@dataclass
class FoldBasis:
    """Everything a fold needs on the device, independent of the vertices (A alphas, rank k)."""

    train: torch.Tensor  # (n,) int64
    test: torch.Tensor  # (n_test,) int64
    train_runs: list[slice] | None  # the same rows as a few contiguous runs, when they are
    test_runs: list[slice] | None
    ut: torch.Tensor  # (k, n) float32: Uᵀ
    f: torch.Tensor  # (A, k) float32: s²/(s²+α)
    w: torch.Tensor  # (A, n) float32: 1/(1 - H_ii(α))
    coef: torch.Tensor  # (A, k) float32: s/(s²+α), ridge weights in the SVD basis
    pt: torch.Tensor  # (k, n_test) float32: (X_test V)ᵀ
    g2: torch.Tensor  # (A, k) float64: (1 - f)² = (α/(s²+α))², residual share per direction
    gcv_scale: torch.Tensor  # (A,) float64: 1 / (n (1 - tr H/n)²)
    spans_centred: bool  # rank == n - 1: every centred y lies in span(U)
    u64: torch.Tensor  # (n, k) float64: U, for the shifted-series solver
    f64: torch.Tensor  # (A, k) float64
    w64: torch.Tensor  # (A, n) float64


@dataclass
class RidgeFolds:
    """One design decomposed for every fold: :func:`solve_ridge` scores any Y against it.

    Build it with :func:`ridge_folds`. folds: the checked (train, test) row indices;
    alphas: (A,) float64; n_rows: T, the rows of X and of every Y solved against it.
    """

    alphas: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]
    mode: Mode
    n_rows: int
    device: torch.device
    bases: list[FoldBasis]

    @property
    def fold_sizes(self) -> np.ndarray:
        return np.array([len(test) for _, test in self.folds])


def as_2d(name: str, value: np.ndarray | torch.Tensor,
           expected: str) -> np.ndarray | torch.Tensor:
    if not isinstance(value, torch.Tensor):
        value = np.asarray(value)
    if value.ndim != 2:
        raise ValueError(f"{name} must be 2-D {expected}, got shape {tuple(value.shape)}")
    numeric = (not value.dtype.is_complex and value.dtype != torch.bool
               if isinstance(value, torch.Tensor) else np.issubdtype(value.dtype, np.number))
    if not numeric:
        raise ValueError(f"{name} must be numeric, got dtype {value.dtype}")
    return value


def _check_folds(folds: Sequence[Fold], n_rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if len(folds) == 0:
        raise ValueError("folds is empty")
    checked = []
    for i, fold in enumerate(folds):
        if len(fold) != 2:
            raise ValueError(f"fold {i} must be a (train_idx, test_idx) pair")
        train, test = (np.asarray(part) for part in fold)
        for part, name in ((train, "train"), (test, "test")):
            if part.ndim != 1 or not np.issubdtype(part.dtype, np.integer):
                raise ValueError(f"fold {i} {name} indices must be 1-D integers, "
                                 f"got shape {part.shape} dtype {part.dtype}")
            if part.size and (part.min() < 0 or part.max() >= n_rows):
                raise ValueError(f"fold {i} {name} indices outside [0, {n_rows})")
        # LOO needs 1 - 1/n > 0 and Pearson r needs two held-out rows.
        if len(train) < 3 or len(test) < 2:
            raise ValueError(f"fold {i} has {len(train)} train / {len(test)} test rows; "
                             "need at least 3 / 2")
        if np.intersect1d(train, test).size:
            raise ValueError(f"fold {i}: train and test rows overlap")
        checked.append((train.astype(np.int64), test.astype(np.int64)))
    return checked


def _svd(x_tr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Economy SVD of the standardised training rows (n, F), numerically null directions
    dropped: their f(α) is ~1e-25 anyway, and without them "rank == n - 1" is a clean test."""
    u, s, vh = torch.linalg.svd(x_tr, full_matrices=False)
    keep = s > (s[0] if len(s) else 0.0) * max(x_tr.shape) * _F64_EPS
    return u[:, keep], s[keep], vh[keep].T


def _gram_eigh(x_tr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(U, s, V) from the eigendecomposition of the smaller Gram matrix of x_tr (n, F)."""
    n, n_features = x_tr.shape
    tall = n >= n_features
    gram = x_tr.T @ x_tr if tall else x_tr @ x_tr.T
    if gram.device.type == "cpu":  # numpy's LAPACK: ~4x faster than torch's for 512² on CPU
        lam, vecs = (torch.from_numpy(a) for a in np.linalg.eigh(gram.numpy()))
    else:
        lam, vecs = torch.linalg.eigh(gram)
    lam, vecs = lam.flip(0), vecs.flip(1)  # descending, as the SVD's
    keep = lam > (lam[0] if len(lam) else 0.0) * _GRAM_TOL
    s = lam[keep].sqrt()
    if tall:
        v = vecs[:, keep]
        return x_tr @ v / s, s, v
    u = vecs[:, keep]
    return u, s, x_tr.T @ u / s


def _decompose(x: torch.Tensor, train: np.ndarray, test: np.ndarray, alphas: torch.Tensor,
               mode: Mode = "exact") -> FoldBasis:
    """Decomposition of the standardised training rows of ``x`` (T, F) float64, and the
    per-alpha factors. ``mode`` picks the SVD (exact) or the Gram eigendecomposition (gcv)."""
    device = x.device
    tr = torch.as_tensor(train, device=device)
    te = torch.as_tensor(test, device=device)
    n = len(train)
    x_tr = x.index_select(0, tr)
    mean = x_tr.mean(0)
    var = x_tr.var(0, correction=0)
    # StandardScaler's test for "indistinguishable from constant" (Chan, Golub & LeVeque).
    constant = var <= n * _F64_EPS * var + (n * mean * _F64_EPS) ** 2
    scale = torch.where(constant, torch.ones_like(var), var.sqrt())
    x_tr = (x_tr - mean) / scale
    # float64: O(n F min(n, F)) is small next to the O(n k V) products, and it keeps U
    # orthonormal to float32 precision after the cast.
    u, s, v = _gram_eigh(x_tr) if mode == "gcv" else _svd(x_tr)
    if mode == "gcv" and len(s) >= n - 1:
        u, s, v = _svd(x_tr)  # U must be exactly orthonormal when it spans the centred rows
    s2 = s.square()
    f = s2 / (s2 + alphas[:, None])  # (A, k)
    h = 1.0 / n + u.square() @ f.T  # (n, A): diag of the hat matrix, intercept included
    trace = 1.0 + f.sum(1)
    dof_left = 1.0 - trace / n
    gcv_scale = torch.where(dof_left > 0, 1.0 / (n * dof_left.square()),
                            torch.full_like(dof_left, torch.inf))
    x_te = (x.index_select(0, te) - mean) / scale
    w = (1.0 / (1.0 - h)).T.contiguous()
    return FoldBasis(
        train=tr, test=te, train_runs=_runs(train), test_runs=_runs(test),
        ut=u.T.contiguous().float(),
        f=f.float(),
        w=w.float(),
        coef=(s / (s2 + alphas[:, None])).float(),
        pt=(x_te @ v).T.contiguous().float(),
        g2=(alphas[:, None] / (s2 + alphas[:, None])).square(),
        gcv_scale=gcv_scale,
        spans_centred=len(s) >= n - 1,
        u64=u, f64=f, w64=w,
    )


def _runs(idx: np.ndarray, max_runs: int = 8) -> list[slice] | None:
    """Sorted contiguous row indices as slices (KFold blocks, stories), else None."""
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    if len(breaks) >= max_runs:
        return None
    return [slice(int(run[0]), int(run[-1]) + 1) for run in np.split(idx, breaks)]


def _take_columns(y: torch.Tensor, idx: torch.Tensor, runs: list[slice] | None) -> torch.Tensor:
    """A new (V, len(idx)) tensor of y's columns idx; copying runs is ~3x faster than a gather."""
    if runs is None:
        return y.index_select(1, idx)
    return torch.cat([y[:, run] for run in runs], dim=1)  # cat always copies


def _centre_rows_(y: torch.Tensor) -> torch.Tensor:
    """Subtract each row's mean in place, y: (V, n) float32; returns the means (V,).

    Two passes: the first mean is off by up to eps·|mean|, which for raw BOLD (mean ≫ std)
    would leave a visible constant in every residual; the mean of what is left is exact to
    eps·std. (Summing in float64 would instead cast the whole block.)
    """
    means = [y.sum(1, keepdim=True) / y.shape[1]]
    y.sub_(means[0])
    means.append(y.sum(1, keepdim=True) / y.shape[1])
    y.sub_(means[1])
    return (means[0] + means[1])[:, 0]


def _loo_mse(basis: FoldBasis, yc: torch.Tensor, zt: torch.Tensor) -> torch.Tensor:
    """Mean squared efficient-LOO error, (A, V) float64; yc: (V, n) centred, zt = yc U: (V, k).

    One GEMM per alpha over the whole chunk: scaling the rows of y and the columns of Uᵀ by
    w = 1/(1 - H_ii) first makes the GEMM's output the LOO residuals themselves, so only one
    (V, n) buffer is touched per alpha. A single (A, V, n) batched product would do the same
    flops with A times the memory.
    """
    n_alphas, n = basis.f.shape[0], yc.shape[1]
    mse = torch.empty(n_alphas, yc.shape[0], dtype=torch.float64, device=yc.device)
    resid = torch.empty_like(yc)
    ut_w = torch.empty_like(basis.ut)
    for a in range(n_alphas):
        torch.mul(basis.ut, basis.w[a], out=ut_w)
        torch.mul(yc, basis.w[a], out=resid)
        resid.addmm_(zt * basis.f[a], ut_w, alpha=-1.0)
        # The row norm reduces along contiguous memory and accumulates with blocked partial
        # sums (~4e-7 relative); square(sum) in float32 would be a second pass.
        mse[a] = torch.linalg.vector_norm(resid, dim=1).double().square() / n
    return mse


def pearson_rows(pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row-wise Pearson r of (V, m) float32 tensors, both centred in place.

    Returns (r float64, degenerate mask); r is 0 where either row has zero variance.
    """
    _centre_rows_(pred)
    _centre_rows_(y)
    p, t = pred, y
    pp = torch.linalg.vecdot(p, p).double()
    tt = torch.linalg.vecdot(t, t).double()
    pt = torch.linalg.vecdot(p, t).double()
    return _pearson_from_sums(pt, pp, tt)


def _pearson_from_sums(pt: torch.Tensor, pp: torch.Tensor,
                       tt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    den = (pp * tt).sqrt()
    degenerate = den == 0
    r = pt / torch.where(degenerate, torch.ones_like(den), den)
    return torch.where(degenerate, torch.zeros_like(r), r), degenerate


def _check_finite_block(block: torch.Tensor, dim: int, start: int, stop: int) -> None:
    # A NaN or inf anywhere makes its vertex's sum non-finite; the elementwise test runs only
    # then (a sum can also overflow on finite data), saving a full boolean pass over Y.
    if not torch.isfinite(block.sum(dim)).all() and not torch.isfinite(block).all():
        raise ValueError(f"Y contains NaN or inf (in vertex columns {start}:{stop})")


def _vertex_chunk(y: np.ndarray | torch.Tensor, start: int, stop: int,
                  device: torch.device) -> torch.Tensor:
    """Columns start:stop of y (T, V) as a (stop - start, T) float32 tensor on device."""
    if isinstance(y, np.ndarray) and not (y.flags.writeable and y.dtype == np.float32):
        # torch cannot wrap a read-only memmap; one transposing, converting copy in numpy.
        block = torch.from_numpy(np.ascontiguousarray(y[:, start:stop].T, dtype=np.float32))
        block = block.to(device)
    else:
        source = torch.from_numpy(y) if isinstance(y, np.ndarray) else y
        source = source[:, start:stop].to(device=device, dtype=torch.float32)
        if device.type == "cpu":
            # Transposing a few hundred rows at a time stays in cache: ~2x faster on CPU.
            block = torch.empty(stop - start, source.shape[0], dtype=torch.float32)
            for row in range(0, source.shape[0], 256):
                block[:, row:row + 256].copy_(source[row:row + 256].T)
        else:
            block = source.T.contiguous()
    _check_finite_block(block, 1, start, stop)
    return block


def _centred_block(y: np.ndarray | torch.Tensor, start: int, stop: int, device: torch.device
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Columns start:stop of y (T, V) as a (T, Vc) float32 tensor on device — rows stay rows,
    so folds take their rows as views — with (offset (Vc,), column sums and column sums of
    squares of the block (Vc,) float64). Never written to: it may be a view of y.

    Where every column's mean is within one std of 0 the block is y itself (offset 0): a
    float32 product with it is then as exact as with centred data, to a factor of 2. Else
    (raw BOLD, mean ≫ std) the block is y less its column means, a copy."""
    if isinstance(y, np.ndarray):
        if y.flags.writeable and y.dtype == np.float32:
            source = torch.from_numpy(y)[:, start:stop]
        else:  # torch cannot wrap a read-only memmap
            source = torch.from_numpy(np.asarray(y[:, start:stop], dtype=np.float32))
    else:
        source = y[:, start:stop]
    source = source.to(device=device, dtype=torch.float32)
    sums, squares = _column_sums(source)
    # A NaN or inf anywhere makes its column's sum non-finite (a sum can also overflow).
    if not (torch.isfinite(sums).all() and torch.isfinite(squares).all()) \
            and not torch.isfinite(source).all():
        raise ValueError(f"Y contains NaN or inf (in vertex columns {start}:{stop})")
    n_rows = source.shape[0]
    mean = sums / n_rows
    if bool((mean.square() <= squares / n_rows - mean.square()).all()):
        return source, torch.zeros_like(mean, dtype=torch.float32), sums, squares
    offset = mean.float()
    block = source - offset
    return (block, offset) + _column_sums(block)


def _column_sums(block: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Σ block, Σ block²) over rows, (Vc,) float64; each reduces in float32 with cascaded
    partial sums (~2e-7 relative), ~3x faster than a float64 dtype (which casts first)."""
    return block.sum(0).double(), torch.linalg.vecdot(block, block, dim=0).double()


def default_chunk_size(device: torch.device) -> int:
    """Vertices per block: ~80 MB of float32 work buffers per 2048 vertices at T = 3000."""
    # On CPU, blocks near the L3 size keep the elementwise passes cheap; a GPU wants width.
    return 16384 if device.type == "cuda" else 2048


def ridge_folds(
    X: np.ndarray | torch.Tensor,
    alphas: Sequence[float] | np.ndarray,
    folds: Sequence[Fold] | None = None,
    mode: Mode = "exact",
    device: str | torch.device | None = None,
) -> RidgeFolds:
    """Decompose the design X (T, F) once per fold, for :func:`solve_ridge` and
    :func:`brainlike.scores.shifts.shifted_ridge`. alphas: (A,) positive; folds: [(train_idx, test_idx), ...] row
    indices, default 5 contiguous blocks; mode: "exact" or "gcv" (see the module docstring);
    device: where to compute (default :func:`brainlike.device.pick_device`)."""
    X = as_2d("X", X, "(T, F)")
    n_rows = X.shape[0]
    alphas = np.asarray(alphas, dtype=np.float64)
    if alphas.ndim != 1 or alphas.size == 0 or not np.all(np.isfinite(alphas) & (alphas > 0)):
        raise ValueError(f"alphas must be a non-empty 1-D array of positive numbers, got {alphas}")
    if mode not in ("exact", "gcv"):
        raise ValueError(f"mode must be 'exact' or 'gcv', got {mode!r}")
    folds = _check_folds(kfold_contiguous(n_rows, 5) if folds is None else folds, n_rows)
    device = pick_device(None if device is None else str(device))
    with torch.inference_mode():
        x = torch.as_tensor(X).to(device=device, dtype=torch.float64)
        if not torch.isfinite(x).all():
            raise ValueError("X contains NaN or inf")
        alphas_t = torch.as_tensor(alphas, device=device)
        bases = [_decompose(x, train, test, alphas_t, mode) for train, test in folds]
    return RidgeFolds(alphas=alphas, folds=folds, mode=mode, n_rows=n_rows, device=device,
                      bases=bases)


def solve_ridge(design: RidgeFolds, Y: np.ndarray | torch.Tensor, chunk_size: int | None = None,
                return_predictions: bool = False) -> RidgeCVResult:
    """Held-out r of every column of Y (T, V) against a decomposed design, alpha per column
    and fold. chunk_size: vertices per block (default 2048 on CPU, 16384 on CUDA);
    return_predictions: also return each fold's (n_test, V) held-out predictions."""
    Y = as_2d("Y", Y, "(T, V)")
    n_rows, n_vertices = Y.shape
    if n_rows != design.n_rows:
        raise ValueError(f"X (T, F) has {design.n_rows} rows but Y (T, V) has shape "
                         f"{tuple(Y.shape)}: their T differ")
    device = design.device
    if chunk_size is None:
        chunk_size = default_chunk_size(device)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    folds = design.folds
    r = torch.empty(len(folds), n_vertices, dtype=torch.float64)
    best = torch.empty(len(folds), n_vertices, dtype=torch.int64)
    predictions = ([np.empty((len(test), n_vertices), np.float32) for _, test in folds]
                   if return_predictions else None)
    solve = _solve_exact_chunk if design.mode == "exact" else _solve_gcv_chunk
    n_degenerate = 0
    with torch.inference_mode():
        for start in range(0, n_vertices, chunk_size):
            stop = min(start + chunk_size, n_vertices)
            n_degenerate += solve(design.bases, Y, start, stop, device, r, best, predictions)
    if n_degenerate:
        warnings.warn(f"{n_degenerate} (fold, vertex) pairs have a constant prediction or "
                      "held-out response; their r is reported as 0", RuntimeWarning,
                      stacklevel=2)
    return RidgeCVResult(r=r.numpy(), alpha=design.alphas[best.numpy()],
                         fold_sizes=design.fold_sizes, predictions=predictions)


def _solve_exact_chunk(bases: list[FoldBasis], Y, start: int, stop: int, device, r, best,
                       predictions) -> int:
    """Exact LOO for columns start:stop; fills r and best, returns degenerate (fold, vertex)s."""
    n_degenerate = 0
    y = _vertex_chunk(Y, start, stop, device)  # (Vc, T)
    for i, basis in enumerate(bases):
        yc = _take_columns(y, basis.train, basis.train_runs)  # (Vc, n)
        y_mean = _centre_rows_(yc)
        zt = yc @ basis.ut.T  # (Vc, k)
        idx = _loo_mse(basis, yc, zt).argmin(0)  # first minimum, like scikit-learn
        del yc
        pred = (zt * basis.coef[idx]) @ basis.pt  # (Vc, n_test), centred units
        if predictions is not None:
            predictions[i][:, start:stop] = (pred + y_mean[:, None]).T.cpu().numpy()
        r_chunk, degenerate = pearson_rows(pred, _take_columns(y, basis.test, basis.test_runs))
        r[i, start:stop] = r_chunk.cpu()
        best[i, start:stop] = idx.cpu()
        n_degenerate += int(degenerate.sum())
    return n_degenerate


def _rows(y: torch.Tensor, idx: torch.Tensor, runs: list[slice] | None) -> list[torch.Tensor]:
    """Rows idx of y (T, Vc) as views (one per contiguous run), else one gathered copy."""
    return [y.index_select(0, idx)] if runs is None else [y[run] for run in runs]


def _solve_gcv_chunk(bases: list[FoldBasis], Y, start: int, stop: int, device, r, best,
                     predictions) -> int:
    """GCV for columns start:stop, Y's rows kept as rows: per fold no copy of the training
    rows, only GEMMs on their views and passes over the test rows."""
    n_degenerate = 0
    y, offset, sum_all, sq_all = _centred_block(Y, start, stop, device)  # (T, Vc), (Vc,)
    for i, basis in enumerate(bases):
        n = basis.train.numel()
        test = _rows(y, basis.test, basis.test_runs)
        sum_te = sum(part.sum(0).double() for part in test)
        sq_te = sum(torch.linalg.vecdot(part, part, dim=0).double() for part in test)
        train_mean = (sum_all - sum_te) / n  # (Vc,) of the offset block
        # z = Uᵀ (y_train - mean): Uᵀ1 is 0 up to float32 rounding; its share is removed.
        zt = _train_product(basis, y)
        zt.addr_(basis.ut.sum(1), train_mean.float(), alpha=-1.0)  # (k, Vc)
        zz = zt.double().square()
        rss = basis.g2 @ zz  # (A, Vc)
        if not basis.spans_centred:  # else every centred y lies in span(U): y_⊥ = 0
            yy = sq_all - sq_te - n * train_mean.square()
            rss += (yy - zz.sum(0)).clamp_min(0)
        idx = (rss * basis.gcv_scale[:, None]).argmin(0)  # first minimum
        pred = basis.pt.T @ (basis.coef.T[:, idx] * zt)  # (n_test, Vc), centred units
        if predictions is not None:
            intercept = (offset.double() + train_mean).float()
            predictions[i][:, start:stop] = (pred + intercept).cpu().numpy()
        truth = torch.cat(test) if len(test) > 1 else test[0].clone()
        r_chunk, degenerate = _pearson_cols(pred, truth)
        r[i, start:stop] = r_chunk.cpu()
        best[i, start:stop] = idx.cpu()
        n_degenerate += int(degenerate.sum())
    return n_degenerate


def _train_product(basis: FoldBasis, y: torch.Tensor) -> torch.Tensor:
    """Uᵀ y_train (k, Vc) from y (T, Vc): one GEMM per contiguous run of training rows, on
    views of y and of the matching columns of Uᵀ."""
    if basis.train_runs is None:
        return basis.ut @ y.index_select(0, basis.train)
    out, at = None, 0
    for run in basis.train_runs:
        cols = basis.ut[:, at:at + run.stop - run.start]
        out = cols @ y[run] if out is None else out.addmm_(cols, y[run])
        at += run.stop - run.start
    return out


def _pearson_cols(pred: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Column-wise Pearson r of (m, Vc) float32 tensors, both centred in place (one pass:
    their offsets are already small)."""
    for t in (pred, y):
        t.sub_(t.mean(0))
    return _pearson_from_sums(*(torch.linalg.vecdot(a, b, dim=0).double()
                                for a, b in ((pred, y), (pred, pred), (y, y))))


def cross_validated_ridge(
    X: np.ndarray | torch.Tensor,
    Y: np.ndarray | torch.Tensor,
    alphas: Sequence[float] | np.ndarray,
    folds: Sequence[Fold] | None = None,
    mode: Mode = "exact",
    chunk_size: int | None = None,
    device: str | torch.device | None = None,
    return_predictions: bool = False,
) -> RidgeCVResult:
    """Held-out Pearson r of a ridge encoding model, alpha chosen per vertex and fold.

    X: (T, F) features; Y: (T, V) responses; alphas: (A,) positive;
    folds: [(train_idx, test_idx), ...] row indices, default 5 contiguous blocks;
    mode: "exact" (efficient LOO, as scikit-learn's RidgeCV) or "gcv" (faster, approximate);
    chunk_size: vertices per block (default 2048 on CPU, 16384 on CUDA);
    device: where to compute (default :func:`brainlike.device.pick_device`);
    return_predictions: also return each fold's (n_test, V) held-out predictions.
    Returns r and alpha of shape (n_folds, V). Equal to ``solve_ridge(ridge_folds(X, ...), Y)``.
    """
    X = as_2d("X", X, "(T, F)")
    Y = as_2d("Y", Y, "(T, V)")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X (T, F) has shape {tuple(X.shape)} but Y (T, V) has shape "
                         f"{tuple(Y.shape)}: their T differ")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    design = ridge_folds(X, alphas, folds, mode, device)
    return solve_ridge(design, Y, chunk_size, return_predictions)
