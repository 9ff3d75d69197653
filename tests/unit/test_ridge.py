"""The brain-score ridge solver against scikit-learn's RidgeCV on the same data and folds:
ordinary columns, a decomposition reused for several Y, and circularly shifted series."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from brainlike.plan.specs import ScoreSpec
from brainlike.scores.ridge import (
    cross_validated_ridge,
    kfold_contiguous,
    leave_one_group_out,
    ridge_folds,
    solve_ridge,
)
from brainlike.scores.shifts import CircularShifts, shifted_ridge

ALPHAS = np.asarray(ScoreSpec.from_config({}).alphas)  # the schema's grid (Millet et al.)

TIE = 1e-6  # relative gap in sklearn's own LOO errors under which either alpha is right


def _synthetic(n_rows: int, n_features: int, n_vertices: int, seed: int,
               offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Correlated features (spread spectrum) and vertices from pure noise to high SNR."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_rows, 8))
    x = latent @ rng.standard_normal((8, n_features)) + 0.5 * rng.standard_normal(
        (n_rows, n_features))
    gain = rng.uniform(0, 1, n_vertices) ** 2
    gain[: n_vertices // 10] = 0  # pure noise vertices
    w = rng.standard_normal((n_features, n_vertices)) * gain / np.sqrt(n_features)
    y = x @ w + rng.standard_normal((n_rows, n_vertices))
    # Per-vertex scale and offset (raw BOLD is far from zero mean); robust scaling undoes them.
    y = y * rng.uniform(0.5, 3, n_vertices) + offset + rng.uniform(-5, 5, n_vertices)
    return x, y.astype(np.float32)


def _sklearn_fold(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pipeline(StandardScaler, RidgeCV) on robust-scaled y: alpha (V,), held-out r (V,),
    LOO mse (V, A) and held-out predictions (n_test, V) in y's units."""
    scaler = RobustScaler().fit(y[train])
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS, alpha_per_target=True,
                                                    store_cv_results=True))
    model.fit(x[train], scaler.transform(y[train]))
    pred = model.predict(x[test])
    in_y_units = scaler.inverse_transform(pred)
    truth = scaler.transform(y[test])
    pred = pred - pred.mean(0)
    truth = truth - truth.mean(0)
    r = (pred * truth).sum(0) / np.sqrt((pred**2).sum(0) * (truth**2).sum(0))
    ridge = model[-1]
    return ridge.alpha_, r, ridge.cv_results_.mean(0), in_y_units


CASES = {
    "tall": dict(n_rows=300, n_features=40, n_vertices=300, seed=1),
    "wide": dict(n_rows=150, n_features=300, n_vertices=300, seed=2),
    "raw-bold-offset": dict(n_rows=250, n_features=60, n_vertices=200, seed=3, offset=1000.0),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fold_kind", ["kfold", "stories"])
def test_exact_mode_matches_sklearn_ridgecv(case: str, fold_kind: str) -> None:
    x, y = _synthetic(**CASES[case])
    n_rows = len(y)
    if fold_kind == "kfold":
        folds = kfold_contiguous(n_rows, 5)
    else:
        folds = leave_one_group_out(np.repeat(np.arange(4), -(-n_rows // 4))[:n_rows])
    ours = cross_validated_ridge(x, y, ALPHAS, folds, mode="exact", chunk_size=128,
                                 return_predictions=True)
    n_mismatch = 0
    for i, (train, test) in enumerate(folds):
        alpha, r, mse, pred = _sklearn_fold(x, y, train, test)
        same = ours.alpha[i] == alpha
        # Where the choice differs, sklearn's own LOO errors must be tied.
        v = np.flatnonzero(~same)
        theirs = mse[v, np.searchsorted(ALPHAS, alpha[v])]
        mine = mse[v, np.searchsorted(ALPHAS, ours.alpha[i, v])]
        assert np.all(np.abs(mine - theirs) <= TIE * theirs), (i, v, mine, theirs)
        n_mismatch += len(v)
        np.testing.assert_allclose(ours.r[i, same], r[same], atol=1e-4, rtol=0)
        spread = y[test].std(0)[same]
        np.testing.assert_allclose(ours.predictions[i][:, same] / spread, pred[:, same] / spread,
                                   atol=1e-4, rtol=1e-5)
    assert n_mismatch <= 0.01 * ours.alpha.size
    np.testing.assert_array_equal(ours.fold_sizes, [len(test) for _, test in folds])


def _assert_sklearn_or_tie(x: np.ndarray, y: np.ndarray, folds, alpha: np.ndarray,
                           r: np.ndarray, atol: float = 1e-4) -> int:
    """Per fold: our alpha is sklearn's unless sklearn's own LOO errors tie (TIE), and r
    agrees where the alphas do. Returns the number of tied columns."""
    n_mismatch = 0
    for i, (train, test) in enumerate(folds):
        theirs, r_theirs, mse, _ = _sklearn_fold(x, y, train, test)
        same = alpha[i] == theirs
        v = np.flatnonzero(~same)
        a = mse[v, np.searchsorted(ALPHAS, theirs[v])]
        b = mse[v, np.searchsorted(ALPHAS, alpha[i, v])]
        assert np.all(np.abs(a - b) <= TIE * a), (i, v, a, b)
        np.testing.assert_allclose(r[i, same], r_theirs[same], atol=atol, rtol=0)
        n_mismatch += len(v)
    return n_mismatch


def test_gcv_mode_matches_a_float64_reference_on_raw_bold() -> None:
    """GCV (Gram eigendecomposition, Y read in place or, with an offset, a centred copy)
    against GCV written out in float64 numpy: same alpha except near-ties, same r."""
    x, y = _synthetic(**CASES["raw-bold-offset"])
    folds = kfold_contiguous(len(y), 5)
    ours = cross_validated_ridge(x, y, ALPHAS, folds, mode="gcv", chunk_size=64,
                                 return_predictions=True)
    for i, (train, test) in enumerate(folds):
        x_tr, x_te = x[train], x[test]
        mean, std = x_tr.mean(0), x_tr.std(0)
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
        u, s, vt = np.linalg.svd(x_tr, full_matrices=False)
        yc = y[train].astype(np.float64) - y[train].mean(0)
        z = u.T @ yc
        n = len(train)
        errors = []
        for alpha in ALPHAS:
            f = s**2 / (s**2 + alpha)
            rss = ((1 - f)[:, None] ** 2 * z**2).sum(0) + (yc**2).sum(0) - (z**2).sum(0)
            errors.append(rss / (n * (1 - (1 + f.sum()) / n) ** 2))
        errors = np.array(errors)
        best = errors.argmin(0)
        same = ALPHAS[best] == ours.alpha[i]
        gap = np.sort(errors, 0)[1] - errors.min(0)
        assert np.all(gap[~same] <= 1e-5 * errors.min(0)[~same])
        assert same.mean() > 0.99
        coef = vt.T @ ((s / (s**2 + ALPHAS[best][:, None])).T * z)  # (F, V)
        pred = x_te @ coef + y[train].mean(0)
        np.testing.assert_allclose(ours.predictions[i][:, same], pred[:, same],
                                   rtol=1e-4, atol=1e-4 * y.std())
        p, t = pred - pred.mean(0), y[test] - y[test].mean(0)
        r = (p * t).sum(0) / np.sqrt((p**2).sum(0) * (t**2).sum(0))
        np.testing.assert_allclose(ours.r[i, same], r[same], atol=1e-5, rtol=0)


@pytest.mark.parametrize("mode", ["exact", "gcv"])
def test_one_decomposition_serves_several_responses(mode: str) -> None:
    """ridge_folds once, solve_ridge per Y: the numbers of cross_validated_ridge (bit for bit:
    no column sees another)."""
    x, y = _synthetic(**CASES["tall"])
    design = ridge_folds(x, ALPHAS, kfold_contiguous(len(y), 5), mode, "cpu")
    for part in (y[:, :120], y[:, 120:]):
        alone = cross_validated_ridge(x, part, ALPHAS, kfold_contiguous(len(y), 5), mode,
                                      chunk_size=50, device="cpu")
        shared = solve_ridge(design, part, chunk_size=50)
        np.testing.assert_array_equal(shared.r, alone.r)
        np.testing.assert_array_equal(shared.alpha, alone.alpha)
    with pytest.raises(ValueError, match="300 rows.*\\(299, 5\\)"):
        solve_ridge(design, y[:-1, :5])


def _shift_case(n_series: int = 3, seed: int = 8):
    """Smooth features, and series driven by them, shifted by 40 lags."""
    x, _ = _synthetic(240, 30, 1, seed=seed)
    rng = np.random.default_rng(seed)
    series = x @ rng.standard_normal((30, n_series)) / 6 + rng.standard_normal((240, n_series))
    series = np.cumsum(series, axis=0) * 0.2 + 5.0  # autocorrelated, off zero
    return x, CircularShifts(series.astype(np.float32), np.arange(20, 220, 5))


@pytest.mark.parametrize("mode", ["exact", "gcv"])
@pytest.mark.parametrize("fold_kind", ["kfold", "stories"])
def test_shifted_series_spectral_equals_direct_and_sklearn(mode: str, fold_kind: str) -> None:
    """The spectral solver for circularly shifted series (every shift's LOO error from FFTs)
    gives the columns' own numbers: against solving them as columns, and in exact mode
    against scikit-learn: same alpha except near-ties, r to 1e-5."""
    x, shifts = _shift_case()
    n_rows = len(x)
    folds = (kfold_contiguous(n_rows, 5) if fold_kind == "kfold"
             else leave_one_group_out(np.tile(np.arange(4), n_rows // 4)))
    design = ridge_folds(x, ALPHAS, folds, mode, "cpu")
    columns = shifts.columns()
    assert columns.shape == (n_rows, 3 * 41)
    np.testing.assert_array_equal(columns[:, 3:6], np.roll(shifts.series, 20, axis=0))
    direct = shifted_ridge(design, shifts, method="direct")
    plain = solve_ridge(design, columns)
    np.testing.assert_array_equal(direct.r, plain.r)  # "direct" is solve_ridge itself
    spectral = shifted_ridge(design, shifts, method="spectral")
    assert spectral.r.shape == spectral.alpha.shape == direct.r.shape
    same = spectral.alpha == direct.alpha
    np.testing.assert_allclose(spectral.r[same], direct.r[same], atol=1e-5, rtol=0)
    if mode == "exact":  # float64 vs float32 LOO errors: they differ only on sklearn's ties
        for ours in (spectral, direct):
            n_ties = _assert_sklearn_or_tie(x, columns, folds, ours.alpha, ours.r)
            assert n_ties <= 0.02 * ours.alpha.size
    else:
        assert same.mean() > 0.99


def test_shifted_series_auto_and_errors() -> None:
    x, shifts = _shift_case(n_series=1)
    design = ridge_folds(x, ALPHAS, device="cpu")
    auto = shifted_ridge(design, shifts)  # one short series: solving the columns is cheaper
    np.testing.assert_array_equal(auto.r, shifted_ridge(design, shifts, method="direct").r)
    with pytest.raises(ValueError, match="method"):
        shifted_ridge(design, shifts, method="fft")
    with pytest.raises(ValueError, match="240 rows but the series have 239"):
        shifted_ridge(design, CircularShifts(shifts.series[:-1], [3]))
    with pytest.raises(ValueError, match=r"lags must lie in \[1, 240\)"):
        CircularShifts(shifts.series, [0, 5])
    with pytest.raises(ValueError, match="1-D integers"):
        CircularShifts(shifts.series, [1.5])
    bad = shifts.series.copy()
    bad[4, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CircularShifts(bad, [3])
    with pytest.raises(ValueError, match=r"series must be 2-D .*\(240,\)"):
        CircularShifts(shifts.series[:, 0], [3])


@pytest.mark.parametrize("mode", ["exact", "gcv"])
def test_chunked_equals_unchunked(mode: str) -> None:
    x, y = _synthetic(200, 30, 150, seed=4)
    whole = cross_validated_ridge(x, y, ALPHAS, mode=mode, chunk_size=10_000)
    chunked = cross_validated_ridge(x, y, ALPHAS, mode=mode, chunk_size=7)
    same = chunked.alpha == whole.alpha
    # GEMM blocking depends on the chunk's width, so float32 rounding differs a little and a
    # near-tied alpha may flip; in exact mode check with sklearn's errors that it is a tie.
    assert same.mean() > 0.99
    if mode == "exact":
        for i, v in zip(*np.nonzero(~same)):
            _, _, mse, _ = _sklearn_fold(x, y, *kfold_contiguous(len(y), 5)[i])
            a, b = np.searchsorted(ALPHAS, [chunked.alpha[i, v], whole.alpha[i, v]])
            assert abs(mse[v, a] - mse[v, b]) <= TIE * mse[v, b]
    np.testing.assert_allclose(chunked.r[same], whole.r[same], atol=1e-6, rtol=0)


@pytest.mark.parametrize("case", ["tall", "wide"])
def test_gcv_close_to_exact(case: str) -> None:
    x, y = _synthetic(**CASES[case])
    exact = cross_validated_ridge(x, y, ALPHAS, mode="exact")
    gcv = cross_validated_ridge(x, y, ALPHAS, mode="gcv")
    deviation = np.abs(gcv.r - exact.r)
    print(f"{case}: gcv vs exact |dr| max {deviation.max():.4f} mean {deviation.mean():.5f}; "
          f"same alpha {np.mean(gcv.alpha == exact.alpha):.1%}")
    # GCV is a different criterion: mostly the same alpha, a neighbouring one elsewhere.
    assert np.mean(gcv.alpha == exact.alpha) > 0.85
    assert deviation.mean() < 0.01
    assert np.abs(gcv.mean_r - exact.mean_r).mean() < 0.005


@pytest.mark.parametrize("mode", ["exact", "gcv"])
def test_recovers_planted_weights_and_not_noise(mode: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((600, 50))
    signal = x @ rng.standard_normal((50, 100)) / np.sqrt(50)
    y_signal = signal + 0.2 * rng.standard_normal(signal.shape)
    y_noise = rng.standard_normal((600, 100))
    result = cross_validated_ridge(x, np.hstack([y_signal, y_noise]), ALPHAS, mode=mode)
    r_signal, r_noise = result.mean_r[:100], result.mean_r[100:]
    assert r_signal.min() > 0.9
    assert abs(r_noise.mean()) < 0.02
    assert np.abs(r_noise).max() < 0.25
    # Noise is best predicted by (almost) nothing: the largest alphas win.
    assert np.median(result.alpha[:, 100:]) >= 1e6


@pytest.mark.parametrize("mode", ["exact", "gcv"])
def test_constant_vertex_gives_zero_r_with_warning(mode: str) -> None:
    x, y = _synthetic(200, 20, 10, seed=6)
    y[:, 3] = 7.0
    with pytest.warns(RuntimeWarning, match="constant"):
        result = cross_validated_ridge(x, y, ALPHAS, mode=mode)
    assert np.all(result.r[:, 3] == 0.0)
    assert np.all(np.isfinite(result.r))
    clean = cross_validated_ridge(x, np.delete(y, 3, axis=1), ALPHAS, mode=mode)
    np.testing.assert_allclose(np.delete(result.r, 3, axis=1), clean.r, atol=1e-6)


def test_shape_and_value_errors() -> None:
    x, y = _synthetic(100, 10, 5, seed=7)
    with pytest.raises(ValueError, match=r"X must be 2-D .*\(100,\)"):
        cross_validated_ridge(x[:, 0], y, ALPHAS)
    with pytest.raises(ValueError, match=r"Y must be 2-D .*\(100, 5, 1\)"):
        cross_validated_ridge(x, y[..., None], ALPHAS)
    with pytest.raises(ValueError, match=r"\(99, 10\).*\(100, 5\)"):
        cross_validated_ridge(x[:99], y, ALPHAS)
    bad = y.copy()
    bad[50, 2] = np.nan
    with pytest.raises(ValueError, match="Y contains NaN"):
        cross_validated_ridge(x, bad, ALPHAS)
    bad = x.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        cross_validated_ridge(bad, y, ALPHAS)
    with pytest.raises(ValueError, match="alphas"):
        cross_validated_ridge(x, y, alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match="mode"):
        cross_validated_ridge(x, y, ALPHAS, mode="loo")
    with pytest.raises(ValueError, match="outside"):
        cross_validated_ridge(x, y, ALPHAS, folds=[(np.arange(50), np.arange(50, 101))])
    with pytest.raises(ValueError, match="overlap"):
        cross_validated_ridge(x, y, ALPHAS, folds=[(np.arange(60), np.arange(50, 100))])


def test_fold_makers() -> None:
    folds = kfold_contiguous(23, 5)
    assert len(folds) == 5
    tests = [test for _, test in folds]
    np.testing.assert_array_equal(np.concatenate(tests), np.arange(23))  # blocks, in order
    assert all(np.all(np.diff(t) == 1) for t in tests)
    for train, test in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(23))
    groups = np.array(["b", "b", "a", "a", "a", "c"])
    story_folds = leave_one_group_out(groups)
    assert [list(test) for _, test in story_folds] == [[2, 3, 4], [0, 1], [5]]
    with pytest.raises(ValueError, match="2-D|1-D"):
        leave_one_group_out(groups[:, None])


@pytest.mark.parametrize("n, k", [(23, 5), (25, 5), (7, 2), (10, 10), (956, 5)])
def test_fold_makers_split_as_sklearn(n: int, k: int) -> None:
    from sklearn.model_selection import KFold, LeaveOneGroupOut
    ours = kfold_contiguous(n, k)
    theirs = list(KFold(k).split(np.zeros((n, 1))))
    assert len(ours) == len(theirs)
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs):
        assert a_train.dtype == a_test.dtype == np.int64
        np.testing.assert_array_equal(a_train, b_train)
        np.testing.assert_array_equal(a_test, b_test)
    groups = np.random.default_rng(n).integers(0, 4, size=n)
    if len(np.unique(groups)) >= 2:
        for (a_train, a_test), (b_train, b_test) in zip(
                leave_one_group_out(groups),
                LeaveOneGroupOut().split(np.zeros((n, 1)), groups=groups)):
            np.testing.assert_array_equal(a_train, b_train)
            np.testing.assert_array_equal(a_test, b_test)
