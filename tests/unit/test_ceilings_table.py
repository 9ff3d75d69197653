"""A dataset's noise ceilings from responses/1 runs: shared tasks, shared vertices, alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from brainlike.errors import InputError
from brainlike.io.schemas import read_table, write_table
from brainlike.preprocess.responses import write_responses
from brainlike.scores.ceiling import split_half
from brainlike.scores.ceilings_table import dataset_ceilings
from brainlike.scores.design import load_subject

TR = 1.5
N_VOL = {"taskA": 200, "taskB": 160}
VERTICES = np.arange(10, 40)  # 30 vertices
NOISE = {"sub-01": 0.5, "sub-02": 1.0, "sub-03": 2.0, "sub-04": 4.0}


SIGNALS = {task: np.random.default_rng(12345 + i).standard_normal((n, len(VERTICES)))
           for i, (task, n) in enumerate(N_VOL.items())}  # shared by every subject


def _write(root, subject: str, task: str, noise: float, seed: int, vertices=VERTICES,
           time_offset: float = 0.0, n_vol: int | None = None):
    rng = np.random.default_rng(seed)
    n = N_VOL[task] if n_vol is None else n_vol
    signal = SIGNALS[task][:n]
    keep = np.isin(VERTICES, vertices)
    data = signal[:, keep] + noise * rng.standard_normal((n, keep.sum()))
    k = int(subject[-2:])
    data = data * (0.5 * k) + 100.0 * k  # each subject in its own scanner units
    path = root / f"{subject}_task-{task}.parquet"
    write_responses(path, data.astype(np.float32), np.arange(n) + 3,
                    np.arange(n) * TR + time_offset, np.asarray(vertices),
                    {"subject": subject, "task": task, "tr": TR})
    return path


def _runs(root) -> dict[str, dict[str, object]]:
    runs = {}
    for i, (subject, noise) in enumerate(NOISE.items()):
        runs[subject] = {task: _write(root, subject, task, noise, seed=10 * i + j)
                         for j, task in enumerate(N_VOL)}
    return runs


def test_inter_subject_ceilings_follow_noise(tmp_path):
    runs = _runs(tmp_path)
    table = dataset_ceilings(runs)
    assert list(table.columns) == ["subject", "vertex", "ceiling", "method"]
    assert len(table) == len(NOISE) * len(VERTICES)
    assert (table["method"] == "inter_subject").all()
    assert table["vertex"].dtype == np.int32
    for subject in NOISE:
        np.testing.assert_array_equal(table.loc[table["subject"] == subject, "vertex"],
                                      VERTICES)
    assert table["ceiling"].between(0, 1).all()
    mean = table.groupby("subject")["ceiling"].mean()
    ordered = [mean[s] for s in NOISE]  # increasing noise
    assert all(a > b for a, b in zip(ordered, ordered[1:])), mean
    # close to the planted ceilings 1 / sqrt(1 + noise^2)
    truth = np.array([1 / np.sqrt(1 + n ** 2) for n in NOISE.values()])
    np.testing.assert_allclose(ordered, truth, atol=0.08)
    # writes as ceilings/1
    path = tmp_path / "ceilings.parquet"
    write_table(pa.Table.from_pandas(table, preserve_index=False), path, "ceilings/1")
    back = read_table(path, "ceilings/1").to_pandas()
    pd.testing.assert_frame_equal(back, table)


def test_only_tasks_every_subject_has(tmp_path):
    runs = _runs(tmp_path)
    full = dataset_ceilings(runs)
    del runs["sub-03"]["taskB"]
    table = dataset_ceilings(runs)
    only_a = dataset_ceilings({s: {"taskA": r["taskA"]} for s, r in runs.items()})
    pd.testing.assert_frame_equal(table, only_a)
    assert len(table) == len(NOISE) * len(VERTICES)
    # the two-task estimate differs: taskB really was left out for everyone
    assert not np.allclose(full["ceiling"], table["ceiling"])


def test_no_shared_task_raises(tmp_path):
    runs = _runs(tmp_path)
    runs["sub-02"] = {"taskB": runs["sub-02"]["taskB"]}
    runs["sub-01"] = {"taskA": runs["sub-01"]["taskA"]}
    with pytest.raises(ValueError, match="share no task"):
        dataset_ceilings(runs)


def test_misaligned_volume_times_name_the_file(tmp_path):
    runs = _runs(tmp_path)
    bad = tmp_path / "shifted"
    bad.mkdir()
    runs["sub-03"]["taskA"] = _write(bad, "sub-03", "taskA", 2.0, seed=99, time_offset=TR)
    with pytest.raises(InputError, match="not aligned") as info:
        dataset_ceilings(runs)
    assert info.value.path == str(runs["sub-03"]["taskA"])


def test_different_volume_counts_name_the_file(tmp_path):
    runs = _runs(tmp_path)
    bad = tmp_path / "short"
    bad.mkdir()
    runs["sub-02"]["taskA"] = _write(bad, "sub-02", "taskA", 1.0, seed=98,
                                     n_vol=N_VOL["taskA"] - 5)
    with pytest.raises(InputError, match="not aligned") as info:
        dataset_ceilings(runs)
    assert "sub-02" in info.value.path


def test_vertex_dropped_by_one_subject_is_dropped_for_all(tmp_path):
    runs = _runs(tmp_path)
    kept = np.setdiff1d(VERTICES, [17, 30])
    dropped = tmp_path / "dropped"
    dropped.mkdir()
    runs["sub-04"]["taskB"] = _write(dropped, "sub-04", "taskB", 4.0, seed=97, vertices=kept)
    table = dataset_ceilings(runs)
    assert len(table) == len(NOISE) * len(kept)
    for subject in NOISE:
        np.testing.assert_array_equal(table.loc[table["subject"] == subject, "vertex"], kept)
    assert not table["vertex"].isin([17, 30]).any()


def test_split_half_one_value_per_vertex(tmp_path):
    runs = _runs(tmp_path)
    table = dataset_ceilings(runs, method="split_half", seed=3)
    assert len(table) == len(NOISE) * len(VERTICES)
    assert (table["method"] == "split_half").all()
    per_vertex = table.groupby("vertex")["ceiling"].nunique()
    assert (per_vertex == 1).all()
    first = table[table["subject"] == "sub-01"].set_index("vertex")["ceiling"]
    for subject in NOISE:
        np.testing.assert_array_equal(
            table[table["subject"] == subject].set_index("vertex")["ceiling"], first)
    stack = np.stack([load_subject(runs[s]).responses for s in sorted(NOISE)])
    np.testing.assert_allclose(first.to_numpy(), split_half(stack, target_repeats=1, seed=3))
    # a typical single subject: between the best and worst inter-subject ceilings
    inter = dataset_ceilings(runs).groupby("subject")["ceiling"].mean()
    assert inter.min() < first.mean() < inter.max()


def test_groups_get_their_own_ceiling(tmp_path):
    runs = _runs(tmp_path)
    extra = tmp_path / "extra"
    extra.mkdir()
    for i, (subject, noise) in enumerate([("sub-05", 0.5), ("sub-06", 1.0)]):
        runs[subject] = {task: _write(extra, subject, task, noise, seed=200 + 10 * i + j)
                         for j, task in enumerate(N_VOL)}
    groups = {"sub-01": "x", "sub-02": "x", "sub-03": "x", "sub-04": "y", "sub-05": "y",
              "sub-06": "y"}
    grouped = dataset_ceilings(runs, groups=groups)
    x_only = dataset_ceilings({s: runs[s] for s in ("sub-01", "sub-02", "sub-03")})
    got = grouped[grouped["subject"].isin(["sub-01", "sub-02", "sub-03"])]
    np.testing.assert_allclose(got["ceiling"].to_numpy(), x_only["ceiling"].to_numpy())
    with pytest.raises(ValueError, match="at least 3"):
        dataset_ceilings(runs, groups={**groups, "sub-04": "x"})
