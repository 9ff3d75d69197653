"""The brain-score ridge solver against scikit-learn's RidgeCV on the same data and folds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from brainlike.scores.ridge import (
    ALPHAS,
    cross_validated_ridge,
    kfold_contiguous,
    leave_one_group_out,
)

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


@pytest.mark.parametrize("mode", ["exact", "gcv"])
def test_chunked_equals_unchunked(mode: str) -> None:
    x, y = _synthetic(200, 30, 150, seed=4)
    whole = cross_validated_ridge(x, y, mode=mode, chunk_size=10_000)
    chunked = cross_validated_ridge(x, y, mode=mode, chunk_size=7)
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
    exact = cross_validated_ridge(x, y, mode="exact")
    gcv = cross_validated_ridge(x, y, mode="gcv")
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
    result = cross_validated_ridge(x, np.hstack([y_signal, y_noise]), mode=mode)
    r_signal, r_noise = result.mean_r[:100], result.mean_r[100:]
    assert r_signal.min() > 0.9
    assert abs(r_noise.mean()) < 0.02
    assert np.abs(r_noise).max() < 0.25
    # Noise is best predicted by (almost) nothing: the largest alphas win.
    assert np.median(result.alpha[:, 100:]) >= 1e6


def test_constant_vertex_gives_zero_r_with_warning() -> None:
    x, y = _synthetic(200, 20, 10, seed=6)
    y[:, 3] = 7.0
    with pytest.warns(RuntimeWarning, match="constant"):
        result = cross_validated_ridge(x, y)
    assert np.all(result.r[:, 3] == 0.0)
    assert np.all(np.isfinite(result.r))
    clean = cross_validated_ridge(x, np.delete(y, 3, axis=1))
    np.testing.assert_allclose(np.delete(result.r, 3, axis=1), clean.r, atol=1e-6)


def test_shape_and_value_errors() -> None:
    x, y = _synthetic(100, 10, 5, seed=7)
    with pytest.raises(ValueError, match=r"X must be 2-D .*\(100,\)"):
        cross_validated_ridge(x[:, 0], y)
    with pytest.raises(ValueError, match=r"Y must be 2-D .*\(100, 5, 1\)"):
        cross_validated_ridge(x, y[..., None])
    with pytest.raises(ValueError, match=r"\(99, 10\).*\(100, 5\)"):
        cross_validated_ridge(x[:99], y)
    bad = y.copy()
    bad[50, 2] = np.nan
    with pytest.raises(ValueError, match="Y contains NaN"):
        cross_validated_ridge(x, bad)
    bad = x.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        cross_validated_ridge(bad, y)
    with pytest.raises(ValueError, match="alphas"):
        cross_validated_ridge(x, y, alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match="mode"):
        cross_validated_ridge(x, y, mode="loo")
    with pytest.raises(ValueError, match="outside"):
        cross_validated_ridge(x, y, folds=[(np.arange(50), np.arange(50, 101))])
    with pytest.raises(ValueError, match="overlap"):
        cross_validated_ridge(x, y, folds=[(np.arange(60), np.arange(50, 100))])


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
