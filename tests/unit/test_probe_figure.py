"""The phone-probe figure keeps each family's own layer names (one panel per layout)."""

import xml.etree.ElementTree as ET

import pandas as pd

from brainlike.figures.probes import probe_profiles, probe_table


def _rows(model, layers, base):
    return [{"model": model, "layer": name, "layer_index": i, "fold": f,
             "accuracy": base + 0.01 * i + 0.001 * f, "chance": 0.06}
            for i, name in enumerate(layers) for f in range(3)]


def test_two_layouts_two_panels_with_their_own_ticks(tmp_path):
    logmel = ["conv1", "conv2", "transformer1"]
    raw = ["conv1", "conv2", "conv3", "conv4", "transformer1"]
    probes = pd.DataFrame(_rows("a", logmel, 0.5) + _rows("b", logmel, 0.6)
                          + _rows("c", raw, 0.2))
    table = probe_table(probes)
    assert table.loc[(table.model == "a") & (table.layer == "transformer1"),
                     "accuracy"].item() == 0.5 + 0.02 + 0.001
    path = tmp_path / "probe.svg"
    probe_profiles(probes, path)
    svg = ET.parse(path).getroot()
    text = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    axes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g")
            if (g.get("id") or "").startswith("axes_")]
    assert len(axes) == 2
    # matplotlib draws tick labels as glyph paths, so count the tick marks per axis instead
    ticks = [len([g for g in ax.iter("{http://www.w3.org/2000/svg}g")
                  if (g.get("id") or "").startswith("xtick_")]) for ax in axes]
    assert sorted(ticks) == [3, 5], (ticks, text)
