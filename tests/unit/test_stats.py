"""Unit tests of brain-score statistics: permutation nulls at chance, bootstrap, FDR."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats as sps

from brainlike.scores.stats import (block_bootstrap_ci, bootstrap_ci, fdr_bh,
                                    permutation_p_value, permutation_test, roi_scores)
from tests.unit.test_ceiling import simulated_session, simulated_subjects


def _folds(x: np.ndarray, boundaries: np.ndarray) -> list[np.ndarray]:
    return [x[a:b] for a, b in zip(boundaries[:-1], boundaries[1:])]


@pytest.fixture(scope="module")
def honest():
    """Subject 0's responses and predictions from a model fitted on subject 1 only.

    Ordinary least squares on all three driver sets: nothing of subject 0 is used, so at
    noise-only vertices predictions and responses are independent, as the null requires,
    while planted ROIs share group weights and are predicted well.
    """
    drivers, labels = simulated_session()
    responses, _ = simulated_subjects()
    x = np.column_stack([np.ones(drivers.n_trs), *drivers.sets().values()])
    beta, *_ = np.linalg.lstsq(x, responses[1].astype(np.float64), rcond=None)
    b = drivers.boundaries
    return _folds(x @ beta, b), _folds(responses[0], b), labels


@pytest.mark.parametrize("method", ["circular", "block"])
def test_noise_only_at_chance_and_signal_significant(honest, method):
    preds, resps, labels = honest
    noise = np.flatnonzero((labels == 0) | (labels == 4))
    res = permutation_test([p[:, noise] for p in preds], [y[:, noise] for y in resps],
                           groups=np.arange(len(noise)), method=method, seed=1)
    p = res.p_values
    frac = np.mean(p <= 0.05)
    ks = sps.kstest(p, "uniform").pvalue
    print(f"{method}: {len(p)} noise vertices, {frac:.3f} with p <= 0.05, KS p = {ks:.3f}")
    assert len(p) >= 100 and frac <= 0.08 and ks > 0.01
    assert not fdr_bh(p)[0].any()

    rois = permutation_test(preds, resps, groups=labels, method=method, seed=1)
    assert rois.groups.tolist() == [0, 1, 2, 3, 4]
    rejected, adjusted = fdr_bh(rois.p_values)
    print(f"{method}: ROI scores {np.round(rois.observed, 3)}, p {np.round(rois.p_values, 4)}")
    assert rejected.tolist() == [False, True, True, True, False]
    assert np.all(rois.p_values[1:4] == 1 / 1001)  # nothing in the null reaches them
    assert np.all(rois.observed[1:4] > 0.3) and np.all(np.abs(rois.observed[[0, 4]]) < 0.02)


def test_fold_p_values_for_cross_validated_predictions():
    """Leave-one-run-out fits couple the folds' chance scores; per-fold p-values (and their
    Bonferroni combination) stay valid at noise-only vertices."""
    drivers, labels = simulated_session()
    responses, _ = simulated_subjects()
    noise = np.flatnonzero((labels == 0) | (labels == 4))
    y = responses[0][:, noise].astype(np.float64)
    x = np.column_stack([np.ones(drivers.n_trs), drivers.acoustic, drivers.phonetic])
    b = drivers.boundaries
    preds = []
    for f in range(drivers.n_runs):
        train = np.r_[0:b[f], b[f + 1]:b[-1]]
        beta, *_ = np.linalg.lstsq(x[train], y[train], rcond=None)
        preds.append(x[drivers.run(f)] @ beta)
    res = permutation_test(preds, _folds(y, b), groups=np.arange(len(noise)), seed=2)
    assert res.fold_p_values.shape == (3, len(noise))
    for p in res.fold_p_values:
        assert sps.kstest(p, "uniform").pvalue > 0.01
    frac = np.mean(res.bonferroni_p_values <= 0.05)
    print(f"CV predictions: fold-mean {np.mean(res.p_values <= 0.05):.3f}, "
          f"per fold {np.round(np.mean(res.fold_p_values <= 0.05, axis=1), 3)}, "
          f"Bonferroni {frac:.3f} with p <= 0.05")
    assert frac <= 0.08


def _brute_scores(p: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    r = np.array([np.corrcoef(p[:, v], y[:, v])[0, 1] for v in range(p.shape[1])])
    return np.array([r[groups == g].mean() for g in np.unique(groups)])


def test_nulls_match_brute_force():
    rng = np.random.default_rng(0)
    t, v, n = 130, 12, 40
    p = rng.standard_normal((t, v))
    y = rng.standard_normal((t, v)) + 0.3 * p
    groups = np.repeat([5, 7, 9], 4)
    np.testing.assert_allclose(roi_scores(p, y, groups), _brute_scores(p, y, groups))

    res = permutation_test(p, y, groups, n_permutations=n, method="circular", block=10, seed=3)
    shifts = np.random.default_rng(3).integers(10, t - 10 + 1, n)
    brute = [_brute_scores(p, np.roll(y, -k, axis=0), groups) for k in shifts]
    np.testing.assert_allclose(res.null, brute, atol=1e-12)

    res = permutation_test(p, y, groups, n_permutations=n, method="block", block=20, seed=3)
    perms = np.random.default_rng(3).permuted(np.tile(np.arange(6), (n, 1)), axis=1)
    brute = []
    for perm in perms:
        shuffled = y.copy()
        shuffled[:120] = y[:120].reshape(6, 20, v)[perm].reshape(120, v)  # last 10 TRs stay
        brute.append(_brute_scores(p, shuffled, groups))
    np.testing.assert_allclose(res.null, brute, atol=1e-12)
    np.testing.assert_allclose(res.observed, _brute_scores(p, y, groups), atol=1e-12)


def test_p_values_valid_and_deterministic():
    rng = np.random.default_rng(4)
    folds_p = [rng.standard_normal((150, 30)), rng.standard_normal((170, 30))]
    folds_y = [rng.standard_normal((150, 30)), rng.standard_normal((170, 30))]
    groups = np.arange(30) % 3
    for method in ("circular", "block"):
        a = permutation_test(folds_p, folds_y, groups, method=method, n_permutations=200,
                             seed=11)
        b = permutation_test(folds_p, folds_y, groups, method=method, n_permutations=200,
                             seed=np.random.default_rng(11))
        c = permutation_test(folds_p, folds_y, groups, method=method, n_permutations=200,
                             seed=12)
        np.testing.assert_array_equal(a.null, b.null)
        np.testing.assert_array_equal(a.p_values, b.p_values)
        assert not np.array_equal(a.null, c.null)
        for p in (a.p_values, a.fold_p_values, a.bonferroni_p_values):
            assert np.all((p > 0) & (p <= 1))
        assert np.all(a.p_values >= 1 / 201)
    # All-zero predictions tie with every null draw: p = 1, not a coin flip.
    zero = permutation_test(np.zeros((100, 4)), rng.standard_normal((100, 4)))
    assert zero.p_values.tolist() == [1.0]


def test_p_value_alternatives():
    null = np.array([[-0.3], [-0.1], [0.0], [0.2], [0.4]])
    assert permutation_p_value(np.array([0.2]), null).tolist() == [3 / 6]
    assert permutation_p_value(np.array([0.2]), null, "less").tolist() == [5 / 6]
    assert permutation_p_value(np.array([-0.3]), null, "two-sided").tolist() == [3 / 6]
    with pytest.raises(ValueError, match="alternative"):
        permutation_p_value(np.array([0.2]), null, "bigger")
    with pytest.raises(ValueError, match=r"\(5, 1\)"):
        permutation_p_value(np.array([0.2, 0.1]), null)


def test_permutation_speed():
    rng = np.random.default_rng(5)
    p, y = rng.standard_normal((900, 100)), rng.standard_normal((900, 100))
    for method in ("circular", "block"):
        permutation_test(p, y, method=method)  # warm-up (FFT plans, imports)
        start = time.perf_counter()
        permutation_test(p, y, method=method, n_permutations=1000)
        elapsed = time.perf_counter() - start
        print(f"{method}: 1000 permutations x 900 TRs x 100 vertices in {elapsed * 1e3:.1f} ms")
        assert elapsed < 1.0


def test_input_errors():
    with pytest.raises(ValueError, match=r"\(900,\)"):
        permutation_test(np.zeros(900), np.zeros(900))
    with pytest.raises(ValueError, match=r"\(100, 3\) and \(100, 4\)"):
        permutation_test(np.zeros((100, 3)), np.zeros((100, 4)))
    with pytest.raises(ValueError, match=r"\(3,\), found shape \(2,\)"):
        permutation_test(np.ones((100, 3)), np.ones((100, 3)), groups=[0, 1])
    with pytest.raises(ValueError, match=r"\(30, 2\)"):
        permutation_test(np.ones((30, 2)), np.ones((30, 2)), block=20)
    with pytest.raises(ValueError, match=r"\(30, 2\)"):
        permutation_test(np.ones((30, 2)), np.ones((30, 2)), method="block", block=20)
    with pytest.raises(ValueError, match="2 prediction folds but 1"):
        permutation_test([np.ones((50, 2))] * 2, [np.ones((50, 2))])
    with pytest.raises(ValueError, match="method"):
        permutation_test(np.ones((50, 2)), np.ones((50, 2)), method="shuffle")


def test_fdr_matches_scipy():
    rng = np.random.default_rng(6)
    p = np.concatenate([rng.uniform(size=150), rng.uniform(0, 1e-3, 50), [0.01, 0.01, 1.0]])
    rejected, adjusted = fdr_bh(p, alpha=0.05)
    np.testing.assert_allclose(adjusted, sps.false_discovery_control(p, method="bh"),
                               rtol=1e-12)
    np.testing.assert_array_equal(rejected, adjusted <= 0.05)
    assert 50 <= rejected.sum() < 60
    # Shape kept; NaN (untested) left out of m.
    grid = p[:200].reshape(10, 20)
    r2, a2 = fdr_bh(grid)
    assert a2.shape == (10, 20) and r2.dtype == bool
    with_nan = np.append(p, np.nan)
    r3, a3 = fdr_bh(with_nan)
    assert np.isnan(a3[-1]) and not r3[-1]
    np.testing.assert_allclose(a3[:-1], adjusted)
    # Textbook example: p_(i) <= i q / m holds up to rank 2.
    r4, _ = fdr_bh(np.array([0.01, 0.02, 0.04, 0.2]), alpha=0.05)
    assert r4.tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="p-values"):
        fdr_bh(np.array([0.5, 1.5]))


def test_bootstrap_ci_over_subjects():
    rng = np.random.default_rng(7)
    scores = 0.3 + 0.05 * rng.standard_normal((12, 4))  # subjects x layers
    ci = bootstrap_ci(scores, n_bootstrap=5000, seed=1)
    assert ci.low.shape == ci.high.shape == (4,) and ci.samples.shape == (5000, 4)
    np.testing.assert_allclose(ci.estimate, scores.mean(axis=0))
    assert np.all(ci.low < ci.estimate) and np.all(ci.estimate < ci.high)
    # The percentile interval's half-width is ~1.96 standard errors.
    half = (ci.high - ci.low) / 2
    se = scores.std(axis=0, ddof=1) / np.sqrt(12)
    np.testing.assert_allclose(half, 1.96 * se, rtol=0.2)
    again = bootstrap_ci(scores, n_bootstrap=5000, seed=1)
    np.testing.assert_array_equal(again.low, ci.low)
    single = bootstrap_ci(scores[:, 0], n_bootstrap=100, seed=1)
    assert single.low.shape == ()
    with pytest.raises(ValueError, match=r"\(1, 4\)"):
        bootstrap_ci(scores[:1])
    with pytest.raises(ValueError, match="finite"):
        bootstrap_ci(np.array([0.1, np.nan, 0.3]))


def test_block_bootstrap_ci_over_time(honest):
    preds, resps, labels = honest
    ci = block_bootstrap_ci(preds, resps, groups=labels, block=20, n_bootstrap=500, seed=3)
    np.testing.assert_allclose(ci.estimate, roi_scores(preds, resps, labels))
    assert np.all(ci.low <= ci.estimate) and np.all(ci.estimate <= ci.high)
    assert np.all(ci.low[1:4] > 0.2)  # planted ROIs: well above 0
    assert np.all((ci.low[[0, 4]] < 0) & (ci.high[[0, 4]] > 0))  # noise ROIs straddle 0
    again = block_bootstrap_ci(preds, resps, groups=labels, block=20, n_bootstrap=500, seed=3)
    np.testing.assert_array_equal(again.samples, ci.samples)
    # One resample, recomputed by hand from the TRs it drew.
    rng = np.random.default_rng(0)
    p, y = rng.standard_normal((60, 3)), rng.standard_normal((60, 3))
    one = block_bootstrap_ci(p, y, block=7, n_bootstrap=1, seed=9)
    starts = np.random.default_rng(9).integers(0, 60, size=(1, 9))
    rows = ((starts[0][:, None] + np.arange(7)) % 60).ravel()[:60]
    expected = np.mean([np.corrcoef(p[rows, v], y[rows, v])[0, 1] for v in range(3)])
    assert one.samples[0, 0] == pytest.approx(expected, abs=1e-12)
