"""Per-cell ridge encoding scores on planted linear cells: a model holding the generating
features reaches the ceiling, a noise model scores nothing, and the FIR delays find a lag."""

from __future__ import annotations

import numpy as np
import pytest

from brainlike.scores.cells import cell_scores, delayed

ALPHAS = np.logspace(-2, 4, 7)


def _planted(bins: int, n_cells: int, repeats: int, lag: int, seed: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Features (bins, 10) and responses (repeats, bins, n_cells): a linear map of the
    features ``lag`` bins earlier, each repeat with independent noise of four times the
    signal's variance (a repeat-mean ceiling near 0.8); a few cells are noise only."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((bins, 10)).astype(np.float32)
    w = rng.standard_normal((10, n_cells)) / np.sqrt(10)
    w[:, :3] = 0.0
    signal = np.zeros((bins, n_cells))
    signal[lag:] = features[:bins - lag] @ w
    noise = 2.0 * rng.standard_normal((repeats, bins, n_cells))
    return features, (signal + noise).astype(np.float32)


def test_true_features_reach_the_ceiling_and_noise_scores_nothing() -> None:
    features, responses = _planted(400, 24, 8, lag=1, seed=0)
    true = cell_scores(features, responses, ALPHAS, n_folds=5, seed=0)
    noise = cell_scores(np.random.default_rng(1).standard_normal((400, 10)), responses,
                        ALPHAS, n_folds=5, seed=0)
    assert list(true.columns) == ["cell", "r", "alpha", "ceiling", "normalised"]
    assert true["cell"].tolist() == list(range(24))
    driven = true.iloc[3:]
    assert driven["ceiling"].min() > 0.5
    assert driven["normalised"].median() == pytest.approx(1.0, abs=0.1)
    assert noise.iloc[3:]["normalised"].abs().median() < 0.1
    # Noise-only cells: far lower ceilings (not 0: the square root of a reliability near 0
    # is noisy), left unnormalised (NaN) at or below the floor.
    silent = true.iloc[:3]
    assert silent["ceiling"].max() < driven["ceiling"].min() - 0.2
    below = silent["ceiling"] <= 0.1
    assert silent["normalised"][below].isna().all() and silent["normalised"][~below].notna().all()
    strict = cell_scores(features, responses, ALPHAS, n_folds=5, seed=0, floor=0.4)
    assert strict["normalised"].iloc[:3].isna().all()
    assert strict["normalised"].iloc[3:].notna().all()
    np.testing.assert_allclose(driven["normalised"], driven["r"] / driven["ceiling"])


def test_delays_find_a_lagged_response() -> None:
    features, responses = _planted(300, 10, 6, lag=2, seed=2)
    instant = cell_scores(features, responses, ALPHAS, n_folds=4, delays=(0,))
    fir = cell_scores(features, responses, ALPHAS, n_folds=4, delays=(0, 1, 2))
    assert fir["r"].iloc[3:].min() > 0.45
    assert instant["r"].iloc[3:].abs().max() < 0.25


def test_delayed_is_causal() -> None:
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    out = delayed(x, (0, 2))
    np.testing.assert_array_equal(out[:, :2], x)
    np.testing.assert_array_equal(out[2:, 2:], x[:4])
    np.testing.assert_array_equal(out[:2, 2:], 0)
    with pytest.raises(ValueError, match="delays"):
        delayed(x, (-1,))
    with pytest.raises(ValueError, match="delays"):
        delayed(x, (1, 1))


def test_rejects_mismatched_bins() -> None:
    features, responses = _planted(100, 4, 4, lag=0, seed=3)
    with pytest.raises(ValueError, match="99 bins"):
        cell_scores(features[:99], responses, ALPHAS)
    with pytest.raises(ValueError, match="repeats"):
        cell_scores(features, responses[0], ALPHAS)
