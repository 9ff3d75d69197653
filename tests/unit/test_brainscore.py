"""Brain scores: shift lags, the refitted ROI null, score_subject end to end, and
score_subjects (subjects sharing a design) against score_subject."""

from __future__ import annotations

import numpy as np
import pytest

import brainlike.scores.shifts as shifts
from brainlike.features.store import write_features
from brainlike.plan.specs import ScoreSpec
from brainlike.preprocess.responses import write_responses
from brainlike.scores.brainscore import (
    circular_shifts,
    folds_for,
    roi_null_test,
    score_subject,
    score_subjects,
)
from brainlike.scores.design import SubjectData, layer_design, load_subject
from brainlike.scores.folds import kfold_contiguous
from brainlike.scores.ridge import cross_validated_ridge

TR = 1.5
FAST_ALPHAS = (1.0, 100.0, 1e4)


def _smooth(rng: np.random.Generator, n: int, f: int, width: int = 5) -> np.ndarray:
    """(n, f) random features smoothed over time (moving average), z-scored."""
    raw = rng.standard_normal((n + width - 1, f))
    kernel = np.ones(width) / width
    x = np.stack([np.convolve(raw[:, j], kernel, mode="valid") for j in range(f)], axis=1)
    return (x - x.mean(0)) / x.std(0)


def _ar1(rng: np.random.Generator, n: int, v: int, phi: float = 0.7) -> np.ndarray:
    e = rng.standard_normal((n, v))
    out = np.empty_like(e)
    out[0] = e[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + np.sqrt(1 - phi ** 2) * e[t]
    return out


# --------------------------------------------------------------------------- circular_shifts

def test_circular_shifts_all_lags_when_n_covers_them():
    rng = np.random.default_rng(0)
    lags = circular_shifts(50, 1000, 10, rng)
    np.testing.assert_array_equal(lags, np.arange(10, 41))  # [block, T - block], exact test
    # exactly as many requested as admissible: still all of them
    np.testing.assert_array_equal(circular_shifts(50, 31, 10, rng), np.arange(10, 41))


def test_circular_shifts_draws_distinct_sorted_lags():
    rng = np.random.default_rng(1)
    lags = circular_shifts(300, 99, 20, rng)
    assert len(lags) == 99
    assert len(np.unique(lags)) == 99
    assert np.all(np.diff(lags) > 0)
    assert lags.min() >= 20 and lags.max() <= 280
    # seeded: the same generator state gives the same lags, another gives others
    np.testing.assert_array_equal(lags, circular_shifts(300, 99, 20, np.random.default_rng(1)))
    assert not np.array_equal(lags, circular_shifts(300, 99, 20, np.random.default_rng(2)))


def test_circular_shifts_boundary_and_too_few_volumes():
    np.testing.assert_array_equal(circular_shifts(41, 5, 20, np.random.default_rng(0)), [20, 21])
    with pytest.raises(ValueError, match="too few"):
        circular_shifts(39, 10, 20, np.random.default_rng(0))


# ----------------------------------------------------------------------------- roi_null_test

def _spec(**kw) -> ScoreSpec:
    return ScoreSpec.from_config({"alphas": list(FAST_ALPHAS), "cv": "kfold", "n_folds": 5,
                                  "solver": "exact", "permutations": 99, "block_trs": 20, **kw})


def test_roi_null_test_detects_signal_not_noise():
    rng = np.random.default_rng(3)
    t, f = 240, 8
    X = _smooth(rng, t, f)
    signal = X @ rng.standard_normal(f)
    signal /= signal.std()
    n_a, n_b = 6, 6
    ya = signal[:, None] + 0.8 * _ar1(rng, t, n_a)
    yb = 3.0 * _ar1(rng, t, n_b) + 10.0  # offset and scale: z-scored away
    Y = np.concatenate([ya, yb], axis=1).astype(np.float32)
    names = np.array(["sig"] * n_a + ["noise"] * n_b)
    spec = _spec()
    lags = circular_shifts(t, spec.permutations, spec.block_trs, np.random.default_rng(0))
    out = roi_null_test(X, Y, names, kfold_contiguous(t, 5), spec, lags, device="cpu")
    assert list(out.columns) == ["roi", "roi_r", "p_value"]
    assert sorted(out["roi"]) == ["noise", "sig"]
    row = out.set_index("roi")
    assert row.loc["sig", "p_value"] == pytest.approx(1 / (len(lags) + 1))
    assert row.loc["sig", "roi_r"] > 0.3
    assert row.loc["noise", "p_value"] > 0.05
    assert row.loc["noise", "roi_r"] < row.loc["sig", "roi_r"]
    assert np.all((out["p_value"] > 0) & (out["p_value"] <= 1))


def test_roi_null_test_is_calibrated_on_noise():
    """Pure AR(1) noise against smooth features: p roughly uniform, few false positives."""
    t, f, n_datasets = 240, 8, 40
    spec = _spec()
    folds = kfold_contiguous(t, 5)
    pvals = []
    for i in range(n_datasets):
        rng = np.random.default_rng(1000 + i)
        X = _smooth(rng, t, f)
        Y = _ar1(rng, t, 4).astype(np.float32)
        lags = circular_shifts(t, spec.permutations, spec.block_trs, rng)
        out = roi_null_test(X, Y, np.array(["r"] * 4), folds, spec, lags, device="cpu")
        pvals.append(out["p_value"].iloc[0])
    pvals = np.array(pvals)
    false_positive = np.mean(pvals <= 0.05)
    print(f"calibration: {n_datasets} datasets, fraction p<=0.05 = {false_positive:.3f}, "
          f"mean p = {pvals.mean():.3f}")
    assert false_positive <= 0.15
    assert 0.35 <= pvals.mean() <= 0.65


# ----------------------------------------------------------------------------- score_subject

N_VOL, N_VERT = 150, 40


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """One subject, 2 tasks; ROI a (vertices 100-119) driven by l0, ROI b (120-139) by l1."""
    root = tmp_path_factory.mktemp("planted")
    rng = np.random.default_rng(7)
    vertices = np.arange(100, 100 + N_VERT)
    runs, features = {}, {}
    w0 = rng.standard_normal((6, 20))
    w1 = rng.standard_normal((5, 20))
    for task in ("storyA", "storyB"):
        n_grid = N_VOL + 10  # the grid covers every volume
        l0 = _smooth(rng, n_grid, 6)
        l1 = _smooth(rng, n_grid, 5)
        features[task] = root / f"features_{task}.parquet"
        write_features(features[task], {"l0": l0.astype(np.float32),
                                        "l1": l1.astype(np.float32)}, TR, {"rate": 50.0})
        sa = l0[:N_VOL] @ w0
        sb = l1[:N_VOL] @ w1
        data = np.concatenate([sa / sa.std(0), sb / sb.std(0)], axis=1)
        data = data + 0.7 * _ar1(rng, N_VOL, N_VERT, 0.5)
        runs[task] = root / f"sub-01_task-{task}.parquet"
        write_responses(runs[task], data.astype(np.float32), np.arange(N_VOL),
                        np.arange(N_VOL) * TR, vertices,
                        {"subject": "01", "task": task, "tr": TR})
    data = load_subject(runs)
    roi_names = np.where(data.vertices < 120, "a", "b")
    return data, features, roi_names


def test_score_subject_planted_layers(planted):
    data, features, roi_names = planted
    spec = _spec(permutations=49)
    vertex, rois = score_subject(data, features, ["l0", "l1"], roi_names, spec, seed=0,
                                 device="cpu")
    n_folds = 5
    assert list(vertex.columns) == ["layer", "layer_index", "vertex", "fold", "r", "alpha"]
    assert len(vertex) == 2 * n_folds * N_VERT
    counts = vertex.groupby(["layer", "fold"]).size()
    assert (counts == N_VERT).all() and len(counts) == 2 * n_folds
    assert set(vertex["vertex"]) == set(range(100, 100 + N_VERT))
    assert dict(vertex.groupby("layer")["layer_index"].first()) == {"l0": 0, "l1": 1}
    assert vertex["alpha"].isin(FAST_ALPHAS).all()
    assert vertex["r"].between(-1, 1).all()

    assert list(rois.columns) == ["layer", "roi", "mean_r", "roi_r", "p_value"]
    assert len(rois) == 4
    # mean_r is the ROI mean of the fold-averaged vertex r
    per_vertex = vertex.groupby(["layer", "vertex"])["r"].mean().reset_index()
    per_vertex["roi"] = np.where(per_vertex["vertex"] < 120, "a", "b")
    expected = per_vertex.groupby(["layer", "roi"])["r"].mean()
    got = rois.set_index(["layer", "roi"])["mean_r"]
    np.testing.assert_allclose(got.loc[expected.index], expected, rtol=1e-6)

    best = rois.loc[rois.groupby("roi")["mean_r"].idxmax()].set_index("roi")["layer"]
    assert best["a"] == "l0" and best["b"] == "l1"
    table = rois.set_index(["layer", "roi"])
    p_min = 1 / (spec.permutations + 1)
    assert table.loc[("l0", "a"), "p_value"] == pytest.approx(p_min)
    assert table.loc[("l1", "b"), "p_value"] == pytest.approx(p_min)
    assert table.loc[("l0", "a"), "roi_r"] > 0.5 and table.loc[("l1", "b"), "roi_r"] > 0.5
    # the unplanted pairs are far weaker
    assert table.loc[("l1", "a"), "mean_r"] < table.loc[("l0", "a"), "mean_r"] - 0.3
    assert table.loc[("l0", "b"), "mean_r"] < table.loc[("l1", "b"), "mean_r"] - 0.3


def test_score_subject_one_solver_call_equals_separate_vertex_and_null_fits(planted):
    """Vertices and null columns share one ridge call; each column still gets its own
    alpha, so the numbers are those of fitting the vertices and the null apart."""
    data, features, roi_names = planted
    spec = _spec(permutations=29)
    vertex, rois = score_subject(data, features, ["l0"], roi_names, spec, seed=3, device="cpu")
    X = layer_design(features, "l0", data)
    folds = folds_for(data, spec)
    alone = cross_validated_ridge(X, data.responses, spec.alphas, folds, device="cpu")
    np.testing.assert_allclose(vertex["r"].to_numpy(), alone.r.ravel(), atol=1e-5)
    np.testing.assert_array_equal(vertex["alpha"].to_numpy(), alone.alpha.ravel())
    lags = circular_shifts(len(data.tasks), spec.permutations, spec.block_trs,
                           np.random.default_rng(3))
    null = roi_null_test(X, data.responses, roi_names, folds, spec, lags, device="cpu")
    got = rois.set_index("roi")
    for row in null.itertuples():
        assert got.loc[row.roi, "roi_r"] == pytest.approx(row.roi_r, abs=1e-5)
        assert got.loc[row.roi, "p_value"] == pytest.approx(row.p_value)


def test_score_subject_without_permutations_and_leave_one_story_out(planted):
    data, features, roi_names = planted
    spec = _spec(cv="leave_one_story_out", permutations=0)
    vertex, rois = score_subject(data, features, ["l1"], roi_names, spec, device="cpu")
    assert sorted(vertex["fold"].unique()) == [0, 1]  # one fold per story
    assert len(vertex) == 1 * 2 * N_VERT
    assert rois["p_value"].isna().all() and rois["roi_r"].isna().all()
    assert rois["mean_r"].notna().all()
    assert list(rois.columns) == ["layer", "roi", "mean_r", "roi_r", "p_value"]


def test_score_subject_rejects_misaligned_roi_names(planted):
    data, features, roi_names = planted
    with pytest.raises(ValueError, match="roi_names"):
        score_subject(data, features, ["l0"], roi_names[:-1], _spec(permutations=0),
                      device="cpu")


# ---------------------------------------------------------------------------- score_subjects

@pytest.fixture(scope="module")
def listeners(planted):
    """Three listeners of the planted stories, eight ROIs of five vertices each: s1 (the
    planted subject) and s2 (new noise) share tasks and volume times, s3 heard storyB only."""
    data, features, _ = planted
    rng = np.random.default_rng(11)
    signal = np.concatenate([layer_design(features, "l0", data) @ rng.standard_normal((6, 20)),
                             layer_design(features, "l1", data) @ rng.standard_normal((5, 20))],
                            axis=1)
    s2 = SubjectData(responses=(signal / signal.std(0) + 0.7 * _ar1(rng, len(signal), N_VERT))
                     .astype(np.float32), vertices=data.vertices, tasks=data.tasks,
                     stories=data.stories, times=data.times)
    b = data.tasks == "storyB"
    s3 = SubjectData(responses=data.responses[b][:, ::-1].copy(), vertices=data.vertices,
                     tasks=data.tasks[b], stories=data.stories[b], times=data.times[b])
    subjects = {"s1": data, "s2": s2, "s3": s3}
    rois = np.repeat(list("abcdefgh"), N_VERT // 8)
    return subjects, features, {name: rois for name in subjects}


@pytest.mark.parametrize("solver", ["exact", "gcv"])
def test_score_subjects_equals_score_subject(listeners, solver, monkeypatch):
    """One design per group and the null of every subject's ROIs solved together through the
    shift structure (forced here: at this size solving the columns is cheaper) give each
    subject's score_subject numbers: same alphas and p-values, r to 1e-5."""
    subjects, features, rois = listeners
    spec = _spec(solver=solver, permutations=49)
    alone = {name: score_subject(data, features, ["l0", "l1"], rois[name], spec, seed=2,
                                 device="cpu") for name, data in subjects.items()}
    monkeypatch.setattr(shifts, "_spectral_pays", lambda *args: True)
    together = score_subjects(subjects, features, ["l0", "l1"], rois, spec, seed=2,
                              device="cpu")
    assert list(together) == ["s1", "s2", "s3"]
    for name, (vertex, roi_rows) in together.items():
        vertex_alone, rois_alone = alone[name]
        assert list(vertex.columns) == list(vertex_alone.columns)
        np.testing.assert_array_equal(vertex["alpha"], vertex_alone["alpha"])
        np.testing.assert_allclose(vertex["r"], vertex_alone["r"], atol=1e-5, rtol=0)
        assert list(roi_rows.columns) == list(rois_alone.columns)
        pd_cols = ["layer", "roi"]
        np.testing.assert_array_equal(roi_rows[pd_cols], rois_alone[pd_cols])
        np.testing.assert_allclose(roi_rows["mean_r"], rois_alone["mean_r"], atol=1e-5, rtol=0)
        np.testing.assert_allclose(roi_rows["roi_r"], rois_alone["roi_r"], atol=1e-5, rtol=0)
        np.testing.assert_array_equal(roi_rows["p_value"], rois_alone["p_value"])
    assert len(together["s3"][0]) == 2 * 5 * N_VERT  # scored on its own 150 volumes


def test_score_subjects_rejects_misaligned_roi_names(listeners):
    subjects, features, rois = listeners
    with pytest.raises(ValueError, match="roi_names of s2 has 39 entries for 40 vertices"):
        score_subjects(subjects, features, ["l0"], {**rois, "s2": rois["s2"][:-1]},
                       _spec(permutations=0), device="cpu")


# ---------------------------------------------------------------------------------- folds_for

def _dummy(tasks: list[str]) -> SubjectData:
    n = len(tasks)
    return SubjectData(responses=np.zeros((n, 1), np.float32), vertices=np.array([0]),
                       tasks=np.array(tasks), stories=np.array(tasks), times=np.zeros(n))


def test_folds_for_kfold_and_leave_one_story_out():
    data = _dummy(["b"] * 4 + ["a"] * 6)
    kfold = folds_for(data, ScoreSpec.from_config({"cv": "kfold", "n_folds": 5}))
    assert len(kfold) == 5
    np.testing.assert_array_equal(np.concatenate([te for _, te in kfold]), np.arange(10))
    loso = folds_for(data, ScoreSpec.from_config({"cv": "leave_one_story_out"}))
    assert len(loso) == 2
    tests = sorted(tuple(te) for _, te in loso)
    assert tests == [tuple(range(4)), tuple(range(4, 10))]
    for train, test in loso:
        assert len(set(data.tasks[test])) == 1
        assert set(data.tasks[train]).isdisjoint(data.tasks[test])
    with pytest.raises(ValueError, match="unknown cross-validation"):
        folds_for(data, ScoreSpec.from_config({"cv": "shuffle"}))


# ------------------------------------------------------------------- every listener, one job

def test_score_listeners_writes_each_listener_in_batches(listeners, monkeypatch):
    """The job-level loop: a row group per listener equal to score_subject's rows, listeners
    batched by the stories they heard and by the memory budget."""
    import pyarrow as pa

    from brainlike.scores import dataset_scores

    subjects, features, rois = listeners
    by_path = {f"{name}/{task}": data for name, data in subjects.items()
               for task in dict.fromkeys(data.tasks)}
    runs = {name: {t: f"{name}/{t}" for t in dict.fromkeys(data.tasks)}
            for name, data in subjects.items()}
    batches = []
    real = dataset_scores.score_subjects

    def spy(batch, *args, **kwargs):
        batches.append(sorted(batch))
        return real(batch, *args, **kwargs)

    monkeypatch.setattr(dataset_scores, "load_subject", lambda r: by_path[next(iter(r.values()))])
    monkeypatch.setattr(dataset_scores, "score_subjects", spy)
    monkeypatch.setattr(dataset_scores, "feature_info", lambda path: {"layers": ["l0", "l1"]})
    one = subjects["s1"].responses.nbytes
    monkeypatch.setattr(dataset_scores, "BATCH_BYTES", one + 1)  # one listener per batch
    spec = _spec(permutations=19)
    roi_of_vertex = pa.array(rois["s1"]).to_pandas().set_axis(subjects["s1"].vertices)
    written, written_rois = [], []
    dataset_scores.score_listeners("m", runs, features, roi_of_vertex, spec, 2,
                                   written.append, written_rois.append, device="cpu")
    # storyA+B listeners first (sorted by stories heard), each alone: the budget holds one
    assert batches == [["s1"], ["s2"], ["s3"]]
    assert [t.column("subject")[0].as_py() for t in written] == ["s1", "s2", "s3"]
    for table, name in zip(written, ["s1", "s2", "s3"]):
        alone, _ = score_subject(subjects[name], features, ["l0", "l1"], rois[name], spec,
                                 seed=2, device="cpu")
        frame = table.to_pandas()
        assert set(frame["model"]) == {"m"} and set(frame["subject"]) == {name}
        np.testing.assert_array_equal(frame["alpha"], alone["alpha"])
        np.testing.assert_allclose(frame["r"], alone["r"], atol=1e-6, rtol=0)
    monkeypatch.setattr(dataset_scores, "BATCH_BYTES", 10 * one)
    batches.clear()
    dataset_scores.score_listeners("m", runs, features, roi_of_vertex, spec, 2,
                                   lambda t: None, lambda t: None, device="cpu")
    assert batches == [["s1", "s2"], ["s3"]]  # cut where the stories heard change
    with pytest.raises(ValueError, match="no listeners"):
        dataset_scores.score_listeners("m", {}, features, roi_of_vertex, spec, 2,
                                       lambda t: None, lambda t: None)
