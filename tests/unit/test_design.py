"""One subject's encoding problem: responses across runs, and each layer's design on them."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from brainlike.errors import InputError
from brainlike.features.store import write_features
from brainlike.preprocess.responses import write_responses
from brainlike.scores.design import SubjectData, layer_design, load_subject

TR = 1.5


def _run(tmp_path, name, data, vertices, times):
    path = tmp_path / f"{name}.parquet"
    write_responses(path, np.asarray(data, np.float32), np.arange(len(times)) + 5,
                    np.asarray(times, float), np.asarray(vertices),
                    {"subject": "01", "task": name, "tr": TR})
    return path


@pytest.fixture()
def two_runs(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4)).astype(np.float32)  # vertices 10, 11, 12, 13
    b = rng.normal(size=(3, 3)).astype(np.float32)  # vertex 11 dropped, the rest reordered
    runs = {"taskB": _run(tmp_path, "taskB", b, [13, 10, 12], [0.0, 1.5, 3.0]),
            "taskA": _run(tmp_path, "taskA", a, [10, 11, 12, 13], [-1.5, 0.0, 1.5, 3.0])}
    return runs, a, b


def test_load_subject_concatenates_runs_on_common_vertices(two_runs):
    runs, a, b = two_runs
    data = load_subject(runs)
    np.testing.assert_array_equal(data.vertices, [10, 12, 13])
    assert data.responses.shape == (7, 3) and data.responses.dtype == np.float32
    # runs in the order given: taskB's three volumes, then taskA's four
    np.testing.assert_array_equal(data.responses[:3], b[:, [1, 2, 0]])  # columns 10, 12, 13
    np.testing.assert_array_equal(data.responses[3:], a[:, [0, 2, 3]])
    assert list(data.tasks) == ["taskB"] * 3 + ["taskA"] * 4
    np.testing.assert_array_equal(data.times, [0.0, 1.5, 3.0, -1.5, 0.0, 1.5, 3.0])


def test_load_subject_single_run_and_no_runs(two_runs):
    runs, a, _ = two_runs
    data = load_subject({"taskA": runs["taskA"]})
    np.testing.assert_array_equal(data.vertices, [10, 11, 12, 13])
    np.testing.assert_array_equal(data.responses, a)
    with pytest.raises(ValueError, match="no runs"):
        load_subject({})


def test_load_subject_rejects_a_foreign_file(tmp_path, two_runs):
    runs, _, _ = two_runs
    features = tmp_path / "features.parquet"
    write_features(features, {"conv1": np.zeros((3, 2), np.float32)}, TR, {})
    with pytest.raises(InputError, match="features.parquet.*responses/1"):
        load_subject({**runs, "taskC": features})


@pytest.fixture()
def grids(tmp_path):
    rng = np.random.default_rng(1)
    values = {"taskA": rng.normal(size=(10, 3)).astype(np.float32),
              "taskB": rng.normal(size=(8, 3)).astype(np.float32)}
    paths = {}
    for task, v in values.items():
        paths[task] = tmp_path / f"features_{task}.parquet"
        write_features(paths[task], {"conv1": v, "other": -v[:, :1]}, TR, {"rate": 50.0})
    return paths, values


def _subject(times_by_task: dict[str, list[float]]) -> SubjectData:
    tasks = np.concatenate([[t] * len(x) for t, x in times_by_task.items()])
    times = np.concatenate([np.asarray(x, float) for x in times_by_task.values()])
    return SubjectData(responses=np.zeros((len(times), 2), np.float32),
                       vertices=np.array([0, 1]), tasks=tasks, stories=tasks, times=times)


def test_layer_design_on_grid_rows_and_zeros_before_onset(grids):
    paths, values = grids
    data = _subject({"taskA": [-3.0, -1.5, 0.0, 1.5, 6.0, 13.5],
                     "taskB": [0.0, 3.0, 10.5]})
    x = layer_design(paths, "conv1", data)
    assert x.shape == (9, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:2], 0.0)  # volumes before the story onset
    np.testing.assert_array_equal(x[2:6], values["taskA"][[0, 1, 4, 9]])
    np.testing.assert_array_equal(x[6:], values["taskB"][[0, 2, 7]])
    other = layer_design(paths, "other", data)
    assert other.shape == (9, 1)
    np.testing.assert_array_equal(other[2:6, 0], -values["taskA"][[0, 1, 4, 9], 0])


def test_layer_design_interpolates_off_grid_times(grids):
    paths, values = grids
    data = _subject({"taskB": [-0.75, 0.75, 3.0, 4.0, 10.5]})
    x = layer_design(paths, "conv1", data)
    v = values["taskB"]
    np.testing.assert_array_equal(x[0], 0.0)
    np.testing.assert_allclose(x[1], (v[0] + v[1]) / 2, rtol=1e-6)
    np.testing.assert_allclose(x[2], v[2], rtol=1e-6)
    np.testing.assert_allclose(x[3], v[2] + (v[3] - v[2]) * (1.0 / 1.5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x[4], v[7], rtol=1e-6)


def test_layer_design_run_beyond_the_grid_names_the_file(grids):
    paths, _ = grids
    data = _subject({"taskA": [0.0, 1.5], "taskB": [0.0, 10.5, 12.0]})  # taskB grid ends 10.5 s
    with pytest.raises(InputError, match="features_taskB.parquet.*ends at 10.5 s.*12.0 s") as e:
        layer_design(paths, "conv1", data)
    assert e.value.path == str(paths["taskB"])
    with pytest.raises(InputError, match="no layer 'conv9'"):
        layer_design(paths, "conv9", _subject({"taskA": [0.0]}))


def test_load_then_design_end_to_end(two_runs, grids):
    runs, _, _ = two_runs
    paths, values = grids
    data = load_subject(runs)
    x = layer_design(paths, "conv1", data)
    assert x.shape == (len(data.times), 3)
    np.testing.assert_array_equal(x[:3], values["taskB"][[0, 1, 2]])
    np.testing.assert_array_equal(x[3], 0.0)
    np.testing.assert_array_equal(x[4:], values["taskA"][[0, 1, 2]])


def _with_metadata(path, **changes):
    """Rewrite a features/1 file with its brainlike.features metadata changed (None: drop)."""
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    info = json.loads(meta[b"brainlike.features"])
    for key, value in changes.items():
        if value is None:
            info.pop(key)
        else:
            info[key] = value
    meta[b"brainlike.features"] = json.dumps(info).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


def test_layer_design_takes_the_tr_from_the_metadata(tmp_path):
    """A one-row grid has no time step to read a TR from; the file's TR places the volumes."""
    path = tmp_path / "features_one.parquet"
    write_features(path, {"conv1": np.array([[2.0, 3.0]], np.float32)}, 2.0, {})
    x = layer_design({"taskA": path}, "conv1", _subject({"taskA": [-4.0, -2.0, 0.0]}))
    np.testing.assert_array_equal(x, [[0.0, 0.0], [0.0, 0.0], [2.0, 3.0]])


@pytest.mark.parametrize("tr, match", [
    (None, r"no positive 'tr' \(found None\)"),
    (0.0, r"no positive 'tr' \(found 0.0\)"),
    ("1.5", r"no positive 'tr' \(found '1.5'\)"),
    (2.0, r"time column disagrees with its metadata tr = 2.0 s: volume 1 is at 1.5 s, not 2.0 s"),
])
def test_layer_design_rejects_a_missing_or_wrong_tr(grids, tr, match):
    paths, _ = grids
    _with_metadata(paths["taskB"], tr=tr)
    with pytest.raises(InputError, match=match) as e:
        layer_design(paths, "conv1", _subject({"taskA": [0.0], "taskB": [0.0, 1.5]}))
    assert e.value.path == str(paths["taskB"])
