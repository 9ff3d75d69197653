"""Linear CKA: against the HSIC formula, and its invariances (orthogonal maps, isotropic
scaling), identity and independence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ortho_group

from brainlike.scores.cka import linear_cka


def _hsic_cka(x: np.ndarray, y: np.ndarray) -> float:
    """CKA from the biased HSIC estimator tr(K H L H) / (n - 1)² of linear kernels."""
    n = len(x)
    h = np.eye(n) - 1.0 / n

    def hsic(k: np.ndarray, l: np.ndarray) -> float:
        return np.trace(k @ h @ l @ h) / (n - 1) ** 2

    k, l = x @ x.T, y @ y.T
    return hsic(k, l) / np.sqrt(hsic(k, k) * hsic(l, l))


def _pair(n: int, p: int, q: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p)) + 2.0
    y = x[:, : min(p, q)] @ rng.standard_normal((min(p, q), q)) + rng.standard_normal((n, q))
    return x, y


@pytest.mark.parametrize("n,p,q", [(60, 8, 5), (12, 30, 40)])  # tall, and wide (Gram path)
def test_matches_hsic_formula(n: int, p: int, q: int) -> None:
    x, y = _pair(n, p, q, seed=n)
    value = linear_cka(x, y)
    assert 0.0 < value < 1.0
    assert value == pytest.approx(_hsic_cka(x, y), rel=1e-10)


def test_invariances_and_identity() -> None:
    x, y = _pair(50, 6, 9, seed=1)
    base = linear_cka(x, y)
    qx = ortho_group.rvs(6, random_state=2)
    qy = ortho_group.rvs(9, random_state=3)
    assert linear_cka(x @ qx, y) == pytest.approx(base, rel=1e-10)
    assert linear_cka(x, y @ qy) == pytest.approx(base, rel=1e-10)
    assert linear_cka(7.5 * x, 0.01 * y) == pytest.approx(base, rel=1e-10)
    assert linear_cka(x + 100.0, y) == pytest.approx(base, rel=1e-8)  # centred inside
    assert linear_cka(x, x) == pytest.approx(1.0, rel=1e-12)
    assert linear_cka(y, x) == pytest.approx(base, rel=1e-12)
    # A non-isotropic rescaling of the columns is NOT an invariance.
    assert abs(linear_cka(x * np.arange(1, 7), y) - base) > 1e-3


def test_independent_representations_score_low() -> None:
    rng = np.random.default_rng(4)
    related = _pair(400, 10, 10, seed=5)
    assert linear_cka(rng.standard_normal((400, 10)), rng.standard_normal((400, 10))) < 0.1
    assert linear_cka(*related) > 0.5


def test_rejects_bad_input() -> None:
    x, y = _pair(20, 4, 4, seed=6)
    with pytest.raises(ValueError, match="share n"):
        linear_cka(x, y[:-1])
    with pytest.raises(ValueError, match="constant"):
        linear_cka(np.full((20, 3), 0.1), y)
    with pytest.raises(ValueError, match=r"\(20,\)"):
        linear_cka(x[:, 0], y)
