"""The probe's verdict: best layer, its margin over the first layer and over the untrained
control's same layer, and the folds that agree."""

import numpy as np
import pandas as pd
import pytest

from brainlike.probes.summary import probe_summary

LAYERS = ["conv1", "conv2", "transformer1"]


def _rows(model, accuracies):
    """accuracies: per layer, one value per fold."""
    return [{"model": model, "layer": LAYERS[i], "layer_index": i, "fold": f, "accuracy": a}
            for i, folds in enumerate(accuracies) for f, a in enumerate(folds)]


def test_deeper_layer_beating_control_passes_with_fold_counts():
    probes = pd.DataFrame(
        _rows("trained", [[.80, .82, .81], [.81, .81, .83], [.70, .70, .70]])
        + _rows("random", [[.79, .80, .80], [.78, .79, .80], [.70, .70, .70]]))
    summary = probe_summary(probes, {"trained": "random", "random": ""}).set_index("model")
    row = summary.loc["trained"]
    assert row.best_layer == "conv2" and row.best_index == 1
    assert row.accuracy == pytest.approx(np.mean([.81, .81, .83]))
    assert row.over_first == pytest.approx((.01 - .01 + .02) / 3)
    assert row.folds_over_first == 2  # fold 1 ties: it does not count as a win
    assert row.control_accuracy == pytest.approx(np.mean([.78, .79, .80]))
    assert row.folds_over_control == 3 and row.n_folds == 3
    assert row.deeper and row.beats_control and row.passes
    control = summary.loc["random"]
    assert control.best_layer == "conv1" and not control.deeper and not control.passes
    assert control.control == "" and np.isnan(control.control_accuracy)


def test_first_layer_best_or_no_gain_over_control_fails():
    first_best = pd.DataFrame(_rows("m", [[.85] * 3, [.84] * 3, [.80] * 3])
                              + _rows("r", [[.80] * 3, [.79] * 3, [.70] * 3]))
    row = probe_summary(first_best, {"m": "r"}).set_index("model").loc["m"]
    assert not row.deeper and row.beats_control and not row.passes
    no_gain = pd.DataFrame(_rows("m", [[.80] * 3, [.84] * 3, [.80] * 3])
                           + _rows("r", [[.80] * 3, [.85] * 3, [.70] * 3]))
    row = probe_summary(no_gain, {"m": "r"}).set_index("model").loc["m"]
    assert row.deeper and not row.beats_control and not row.passes
    assert row.over_control == pytest.approx(-.01) and row.folds_over_control == 0


def test_control_with_other_layers_is_refused():
    probes = pd.DataFrame(_rows("m", [[.8] * 3, [.9] * 3, [.7] * 3])
                          + [{**r, "layer": "conv0"} for r in _rows("r", [[.8] * 3] * 3)])
    with pytest.raises(ValueError, match="not a control"):
        probe_summary(probes, {"m": "r"})
