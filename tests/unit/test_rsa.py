"""RSA: the RDM against scipy's correlation distance, Kendall's tau-b against scipy's, the
split-half RDM ceiling and layer scores on simulated cells with known generating features."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import kendalltau

from brainlike.scores.rsa import kendall_tau, rdm, rdm_ceiling, rsa, rsa_scores


def _cells(bins: int, n_cells: int, repeats: int, noise: float, seed: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Generating features (bins, 20) and responses (repeats, bins, n_cells) = a linear map
    of them plus independent noise per repeat."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((bins, 20))
    signal = latent @ rng.standard_normal((20, n_cells))
    noisy = signal + noise * rng.standard_normal((repeats, bins, n_cells))
    return latent, noisy.astype(np.float32)


def test_rdm_equals_pdist_correlation() -> None:
    x = np.random.default_rng(0).standard_normal((30, 12)) * 5 + 3
    np.testing.assert_allclose(rdm(x), pdist(x, metric="correlation"), atol=1e-12)


def test_rdm_rejects_flat_rows_and_bad_shapes() -> None:
    x = np.random.default_rng(1).standard_normal((10, 6))
    x[[2, 7]] = 4.2
    with pytest.raises(ValueError, match="2 of 10 rows"):
        rdm(x)
    with pytest.raises(ValueError, match=r"\(5,\)"):
        rdm(np.ones(5))


def test_kendall_tau_matches_scipy_with_and_without_ties() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal(2000)
    b = a + rng.standard_normal(2000)
    assert kendall_tau(a, b) == pytest.approx(kendalltau(a, b).statistic, abs=1e-12)
    # Few distinct values: many ties in both vectors, where tau-b differs from tau-a.
    ai, bi = np.round(a), np.round(b)
    expected = kendalltau(ai, bi, variant="b").statistic
    assert kendall_tau(ai, bi) == pytest.approx(expected, abs=1e-12)
    n = len(ai)
    pairs = np.sign(ai[:, None] - ai[None]) * np.sign(bi[:, None] - bi[None])
    tau_a = pairs.sum() / (n * (n - 1))
    assert abs(kendall_tau(ai, bi) - tau_a) > 1e-3  # ties really are in play
    with pytest.raises(ValueError, match="constant"):
        kendall_tau(np.ones(10), b[:10])


def test_ceiling_high_for_reliable_and_low_for_noisy_cells() -> None:
    _, reliable = _cells(40, 60, 8, noise=0.5, seed=3)
    _, noisy = _cells(40, 60, 8, noise=30.0, seed=3)
    high = rdm_ceiling(reliable, n_splits=20, seed=0)
    low = rdm_ceiling(noisy, n_splits=20, seed=0)
    assert high.tau_mean > 0.8
    assert low.tau_mean < 0.25
    assert high.taus.shape == (20,)
    # Few repeats: every distinct split once (3 for 4 repeats), whatever n_splits asks.
    assert rdm_ceiling(reliable[:4], n_splits=20).taus.shape == (3,)


def test_true_features_beat_random_ones() -> None:
    latent, responses = _cells(50, 80, 6, noise=2.0, seed=4)
    random = np.random.default_rng(5).standard_normal(latent.shape)
    mean = responses.mean(axis=0)
    assert rsa(latent, mean) > 0.5
    assert abs(rsa(random, mean)) < 0.1
    table = rsa_scores({"true": latent, "random": random},
                       {"VISp": responses, "VISl": responses[:, :, :40]}, n_splits=10)
    assert list(table.columns) == ["layer", "area", "tau", "ceiling", "normalised"]
    assert len(table) == 4
    by = table.set_index(["layer", "area"])
    for area in ("VISp", "VISl"):
        assert by.loc[("true", area), "normalised"] > by.loc[("random", area), "normalised"] + 0.4
    np.testing.assert_allclose(table["normalised"], table["tau"] / table["ceiling"])


def test_rsa_scores_rejects_mismatched_bins() -> None:
    _, responses = _cells(20, 10, 4, noise=1.0, seed=6)
    with pytest.raises(ValueError, match="bins=20"):
        rsa_scores({"short": np.ones((19, 5))}, {"VISp": responses})
