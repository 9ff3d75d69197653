"""Parquet schemas (brainlike.io.schemas) and atomic writes (brainlike.io.atomic)."""

from __future__ import annotations

import json
import os
import shutil
import stat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_directory, atomic_path, remove_tree, write_json
from brainlike.io.schemas import (GROUNDTRUTH, SCHEMA_KEY, UTTERANCE, VERTICES, check_schema,
                                  read_metadata, read_table, write_table)
from brainlike.preprocess.responses import write_responses
from brainlike.preprocess.utterances import make_row, row_audio, rows_to_table


# -- helpers -----------------------------------------------------------------------------------

def _utterance_table() -> pa.Table:
    words = pd.DataFrame({"word": ["hello", "world"], "onset": [0.1, 0.6],
                          "offset": [0.5, 0.9], "sentence": [0, 0], "position": [0, 1]})
    phonemes = pd.DataFrame({"phoneme": ["HH", "AH", "W"], "onset": [0.1, 0.3, 0.6],
                             "offset": [0.3, 0.5, 0.9], "word_index": [0, 0, 1]})
    rows = [
        make_row("story1", "en", "spk-a", np.array([0, 1, -1, 32767, -32768], np.int16),
                 16000, words, phonemes),
        # no alignment; a Gentle-like words frame without sentence/position gets -1
        make_row("story2", "fr", "spk-b", np.array([5, 6, 7], np.int16), 16000,
                 pd.DataFrame({"word": ["bonjour"], "onset": [0.0], "offset": [0.2]}), None),
    ]
    return rows_to_table(rows)


def _vertices_table() -> pa.Table:
    return pa.table({"vertex": [0, 1, 2], "hemi": ["L", "L", "R"], "index": [0, 1, 0],
                     "roi": [3, 3, 7], "roi_name": ["A1", "A1", "STG"],
                     "label": ["G_temp_sup-G_T_transv", "S_temporal_transverse",
                               "G_temp_sup-Lateral"]})


def _groundtruth_table() -> pa.Table:
    return pa.table({"subject": ["sub-001", "sub-001"], "vertex": [0, 5], "roi": [1, 2],
                     "driver": ["envelope", "word"], "signal_var": [1.0, 0.5],
                     "noise_var": [2.0, 1.0], "snr": [0.5, 0.5], "ceiling_r": [0.4, 0.45]})


def _tag(schema_name: str) -> dict:
    return {SCHEMA_KEY: schema_name.encode()}


# -- round trips -------------------------------------------------------------------------------

def test_utterance_round_trip(tmp_path):
    path = tmp_path / "stimuli.parquet"
    write_table(_utterance_table(), path, "utterance/1")
    table = read_table(path, "utterance/1")
    assert table.schema.remove_metadata().equals(UTTERANCE)
    assert table.column("utt_id").to_pylist() == ["story1", "story2"]
    assert table.column("n_samples").to_pylist() == [5, 3]
    assert table.column("audio").to_pylist()[0] == [0, 1, -1, 32767, -32768]
    np.testing.assert_array_equal(row_audio(table, 1), np.array([5, 6, 7]) / 32768.0)
    words = table.column("words").to_pylist()
    assert words[0][1] == {"word": "world", "onset": 0.6, "offset": 0.9,
                           "sentence": 0, "position": 1}
    assert words[1] == [{"word": "bonjour", "onset": 0.0, "offset": 0.2,
                         "sentence": -1, "position": -1}]
    phonemes = table.column("phonemes").to_pylist()
    assert [p["word_index"] for p in phonemes[0]] == [0, 0, 1]
    assert phonemes[1] == []


def test_make_row_rejects_float_audio():
    with pytest.raises(ValueError, match="int16"):
        make_row("u", "en", "s", np.zeros(4, np.float32), 16000)


def test_vertices_round_trip_casts_to_schema(tmp_path):
    path = tmp_path / "vertices.parquet"
    write_table(_vertices_table(), path, "vertices/1")  # int64 columns cast to int32/int16
    table = read_table(path, "vertices/1")
    assert table.schema.remove_metadata().equals(VERTICES)
    assert table.column("roi_name").to_pylist() == ["A1", "A1", "STG"]
    assert table.column("roi").type == pa.int16()


def test_groundtruth_round_trip_with_metadata(tmp_path):
    path = tmp_path / "gt.parquet"
    write_table(_groundtruth_table(), path, "groundtruth/1", metadata={"note": {"a": [1, 2]}})
    table = read_table(path, "groundtruth/1")
    assert table.schema.remove_metadata().equals(GROUNDTRUTH)
    assert table.column("snr").to_pylist() == [0.5, 0.5]
    assert read_metadata(path, "note") == {"a": [1, 2]}
    with pytest.raises(InputError, match="missing metadata key 'absent'"):
        read_metadata(path, "absent")


def test_responses_round_trip(tmp_path):
    path = tmp_path / "sub-001_task-x.parquet"
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 4)).astype(np.float32)
    volumes = np.arange(2, 8)
    times = volumes * 1.5 - 3.0
    run = {"subject": "sub-001", "task": "x", "tr": 1.5}
    write_responses(path, data, volumes, times, np.array([10, 11, 13, 20]), run)
    table = read_table(path, "responses/1")
    assert table.column("volume").to_pylist() == list(range(2, 8))
    np.testing.assert_allclose(table.column("time").to_numpy(), times)
    stored = np.stack(table.column("data").to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(stored, data)
    assert table.schema.field("data").type == pa.list_(pa.float32(), 4)
    assert read_metadata(path, "brainlike.vertices") == [10, 11, 13, 20]
    assert read_metadata(path, "brainlike.run") == run


def test_write_responses_rejects_mismatched_lengths(tmp_path):
    with pytest.raises(ValueError):
        write_responses(tmp_path / "r.parquet", np.zeros((3, 2), np.float32), np.arange(3),
                        np.arange(2), np.arange(2), {})
    assert not (tmp_path / "r.parquet").exists()


# -- rejections --------------------------------------------------------------------------------

def test_wrong_schema_names_path_and_both_schemas(tmp_path):
    path = tmp_path / "vertices.parquet"
    write_table(_vertices_table(), path, "vertices/1")
    with pytest.raises(InputError) as err:
        read_table(path, "groundtruth/1")
    message = str(err.value)
    assert str(path) in message
    assert "groundtruth/1" in message and "vertices/1" in message
    assert err.value.path == str(path)


def test_wrong_column_type_is_named(tmp_path):
    path = tmp_path / "vertices.parquet"
    table = _vertices_table()  # vertex is int64 here; vertices/1 needs int32
    pq.write_table(table.replace_schema_metadata(_tag("vertices/1")), path)
    with pytest.raises(InputError, match="'vertex'") as err:
        check_schema(path, "vertices/1")
    assert str(path) in str(err.value)
    assert "int32" in str(err.value)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "vertices.parquet"
    table = _vertices_table().cast(VERTICES).drop_columns(["roi_name"])
    pq.write_table(table.replace_schema_metadata(_tag("vertices/1")), path)
    with pytest.raises(InputError, match="missing column 'roi_name'"):
        check_schema(path, "vertices/1")


def test_correctly_typed_tagged_file_passes(tmp_path):
    # the positive control for the two tests above: the same table, cast, is accepted
    path = tmp_path / "vertices.parquet"
    pq.write_table(_vertices_table().cast(VERTICES).replace_schema_metadata(_tag("vertices/1")),
                   path)
    assert check_schema(path, "vertices/1").names == VERTICES.names


def test_untagged_parquet_is_rejected(tmp_path):
    path = tmp_path / "plain.parquet"
    pq.write_table(_vertices_table().cast(VERTICES), path)
    with pytest.raises(InputError, match="untagged") as err:
        read_table(path, "vertices/1")
    assert str(path) in str(err.value)


def test_non_parquet_file_is_rejected(tmp_path):
    path = tmp_path / "notes.parquet"
    path.write_text("this is not parquet\n" * 10)
    with pytest.raises(InputError, match="not a readable Parquet file") as err:
        read_table(path, "utterance/1")
    assert str(path) in str(err.value)


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(InputError):
        check_schema(tmp_path / "absent.parquet", "vertices/1")


def test_responses_need_fixed_size_float32_data(tmp_path):
    path = tmp_path / "r.parquet"
    table = pa.table({"volume": pa.array([0, 1], pa.int32()), "time": [0.0, 1.5],
                      "data": pa.array([[1.0, 2.0], [3.0, 4.0]], pa.list_(pa.float64()))})
    meta = {**_tag("responses/1"), b"brainlike.vertices": b"[0, 1]"}
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(InputError, match="fixed_size_list<float32>"):
        check_schema(path, "responses/1")


def test_responses_vertex_ids_must_match_columns(tmp_path):
    path = tmp_path / "r.parquet"
    flat = pa.array(np.zeros(4, np.float32))
    table = pa.table({"volume": pa.array([0, 1], pa.int32()), "time": [0.0, 1.5],
                      "data": pa.FixedSizeListArray.from_arrays(flat, 2)})
    meta = {**_tag("responses/1"), b"brainlike.vertices": b"[0, 1, 2]"}
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(InputError, match="one id per column"):
        check_schema(path, "responses/1")


# -- atomic writes -----------------------------------------------------------------------------

class Boom(RuntimeError):
    pass


def test_atomic_path_success_leaves_only_final_file(tmp_path):
    target = tmp_path / "sub" / "out.json"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("new")
        assert not target.exists()  # nothing under the final name until the body finishes
    assert target.read_text() == "new"
    assert os.listdir(target.parent) == ["out.json"]


def test_atomic_path_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(Boom):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise Boom
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_path_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(Boom):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise Boom
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_write_table_failure_leaves_no_file(tmp_path):
    # a table missing a column cannot be cast: no output, no temporary file
    with pytest.raises(KeyError):
        write_table(pa.table({"vertex": [1]}), tmp_path / "v.parquet", "vertices/1")
    assert os.listdir(tmp_path) == []


def test_write_json_is_sorted_and_complete(tmp_path):
    write_json(tmp_path / "a.json", {"b": 1, "a": [1, 2]})
    text = (tmp_path / "a.json").read_text()
    assert json.loads(text) == {"a": [1, 2], "b": 1}
    assert text.index('"a"') < text.index('"b"') and text.endswith("\n")


def test_atomic_directory_failure_keeps_old_content(tmp_path):
    out = tmp_path / "shards"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(Boom):
        with atomic_directory(out) as tmp:
            (tmp / "new.txt").write_text("new")
            raise Boom
    assert sorted(os.listdir(out)) == ["old.txt"]
    assert (out / "old.txt").read_text() == "old"
    assert os.listdir(tmp_path) == ["shards"]  # the temporary directory is gone


def test_atomic_directory_failure_without_previous_leaves_nothing(tmp_path):
    out = tmp_path / "shards"
    with pytest.raises(Boom):
        with atomic_directory(out) as tmp:
            (tmp / "new.txt").write_text("new")
            raise Boom
    assert os.listdir(tmp_path) == []


def test_atomic_directory_success_replaces_content(tmp_path):
    out = tmp_path / "shards"
    out.mkdir()
    (out / "old.txt").write_text("old")
    (out / "nested").mkdir()
    (out / "nested" / "x").write_text("x")
    with atomic_directory(out) as tmp:
        assert tmp != out and tmp.parent == out.parent
        assert os.listdir(tmp) == []
        (tmp / "new.txt").write_text("new")
        assert (out / "old.txt").exists()  # old content stays until the body finishes
    assert sorted(os.listdir(out)) == ["new.txt"]
    assert (out / "new.txt").read_text() == "new"
    assert os.listdir(tmp_path) == ["shards"]


def _read_only_tree(root):
    (root / "objects" / "ab").mkdir(parents=True)
    f = root / "objects" / "ab" / "key"
    f.write_text("annexed content")
    os.chmod(f, stat.S_IRUSR)
    os.chmod(root / "objects" / "ab", stat.S_IRUSR | stat.S_IXUSR)
    os.chmod(root / "objects", stat.S_IRUSR | stat.S_IXUSR)
    (root / "top.txt").write_text("t")
    os.chmod(root / "top.txt", stat.S_IRUSR)


def test_remove_tree_removes_read_only_files(tmp_path):
    root = tmp_path / "annex"
    _read_only_tree(root)
    if os.geteuid() != 0:  # as root the permissions are not enforced: skip the control
        control = tmp_path / "control"
        _read_only_tree(control)
        with pytest.raises(PermissionError):
            shutil.rmtree(control)
        remove_tree(control)
    remove_tree(root)
    assert not root.exists()
    assert os.listdir(tmp_path) == []
    remove_tree(root)  # a missing tree is fine


def test_atomic_directory_replaces_read_only_tree(tmp_path):
    out = tmp_path / "annex"
    _read_only_tree(out)
    with atomic_directory(out) as tmp:
        (tmp / "fresh").write_text("f")
    assert os.listdir(out) == ["fresh"]
