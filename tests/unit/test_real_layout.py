"""The loaders on files written as the published Narratives is: each failure a user met."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from brainlike.errors import InputError
from brainlike.features.story import Stimulus, story_frames
from brainlike.io.schemas import read_metadata
from brainlike.plan.specs import FeatureSpec
from brainlike.preprocess import listening
from brainlike.preprocess.events import Segment, StoryEvents, read_story_events, story_times
from tests.unit import real_layout as rl

SUB = "sub-001"


def _vertices(ds, root: Path, tmp: Path) -> Path:
    out = tmp / "vertices.parquet"
    listening.vertex_table(ds, root, out)
    return out


def test_music_lead_in_is_skipped_and_times_start_at_the_story(tmp_path):
    # pieman: music 0-13 s, then the story from 15 s (staging/compile_events.py)
    root, ds = tmp_path / "ds", rl.dataset(["pieman"])
    rl.write_stimulus(root, "pieman", 30)
    rl.write_events(root, ds, SUB, "pieman", [(0.0, 13.0, "music", "pieman_audio.wav"),
                                              (15.0, 30.0, "story", "pieman_audio.wav")])
    rl.write_run(root, ds, SUB, "pieman", n_volumes=34)
    out = tmp_path / "run.parquet"
    info = listening.run(ds, root, SUB, "pieman", _vertices(ds, root, tmp_path), out)
    assert info["story"] == "pieman" and info["segments"][0]["onset"] == 15.0
    times = pq.read_table(out).column("time").to_numpy()
    np.testing.assert_allclose(times, np.arange(34) * rl.TR - 15.0)


def test_events_whose_story_disagrees_with_the_audio_name_the_events_file(tmp_path):
    root, ds = tmp_path / "ds", rl.dataset(["pieman"])
    rl.write_stimulus(root, "pieman", 30)
    rl.write_events(root, ds, SUB, "pieman", [(15.0, 6.0, "story", "pieman_audio.wav")])
    rl.write_run(root, ds, SUB, "pieman", n_volumes=34)
    with pytest.raises(InputError, match="pieman_audio.wav lasts 30.00 s") as err:
        listening.run(ds, root, SUB, "pieman", _vertices(ds, root, tmp_path), tmp_path / "r")
    assert err.value.path.endswith("sub-001_task-pieman_events.tsv")


def test_two_part_story_drops_the_music_between_parts(tmp_path):
    # slumlordreach: music, story, music, story; the stimulus holds the parts back to back
    root, ds = tmp_path / "ds", rl.dataset(["slumlordreach"])
    rl.write_stimulus(root, "slumlordreach", 40)
    rows = [(0.0, 6.0, "music", "slumlordreach_audio.wav"),
            (7.5, 24.0, "story", "slumlordreach_audio.wav"),
            (33.0, 6.0, "music", "slumlordreach_audio.wav"),
            (40.5, 16.0, "story", "slumlordreach_audio.wav")]
    rl.write_events(root, ds, SUB, "slumlordreach", rows)
    rl.write_run(root, ds, SUB, "slumlordreach", n_volumes=44)
    out = tmp_path / "run.parquet"
    listening.run(ds, root, SUB, "slumlordreach", _vertices(ds, root, tmp_path), out)
    table = pq.read_table(out)
    volumes, times = table.column("volume").to_numpy(), table.column("time").to_numpy()
    scan = volumes * rl.TR
    assert not ((scan >= 31.5) & (scan < 40.5)).any()  # between the parts: dropped
    part2 = scan >= 40.5
    np.testing.assert_allclose(times[part2], scan[part2] - 40.5 + 24.0)
    np.testing.assert_allclose(times[~part2], scan[~part2] - 7.5)
    assert np.all(np.diff(times) > 0)


def test_the_stimulus_comes_from_stim_file_not_the_task(tmp_path):
    # milkyway: each listener heard one of three versions of the story
    versions = ["milkywayoriginal", "milkywayvodka", "milkywaysynonyms"]
    root = tmp_path / "ds"
    ds = rl.dataset(["milkyway"], stories={"milkyway": versions}, subjects=(SUB, "sub-002"))
    assert ds.stories == tuple(versions)
    assert f"stimuli/{versions[1]}_audio.wav" in ds.files_to_get()
    for story in versions:
        rl.write_stimulus(root, story, 20)
    for subject, story in ((SUB, "milkywayvodka"), ("sub-002", "milkywaysynonyms")):
        rl.write_events(root, ds, subject, "milkyway",
                        [(0.0, 3.0, "music", f"{story}_audio.wav"),
                         (4.5, 20.0, "story", f"{story}_audio.wav")])
        rl.write_run(root, ds, subject, "milkyway", n_volumes=20)
        out = tmp_path / f"{subject}.parquet"
        listening.run(ds, root, subject, "milkyway", _vertices(ds, root, tmp_path), out)
        assert read_metadata(out, "brainlike.run")["story"] == story


def test_stim_file_naming_no_stimulus_of_the_task_names_both_files(tmp_path):
    root, ds = tmp_path / "ds", rl.dataset(["pieman"])
    rl.write_stimulus(root, "pieman", 30)
    rl.write_events(root, ds, SUB, "pieman", [(15.0, 30.0, "story", "piemanpni_audio.wav")])
    rl.write_run(root, ds, SUB, "pieman", n_volumes=34)
    with pytest.raises(InputError, match="'piemanpni_audio.wav'.*pieman_audio.wav") as err:
        listening.run(ds, root, SUB, "pieman", _vertices(ds, root, tmp_path), tmp_path / "r")
    assert err.value.path.endswith("_events.tsv")


def test_events_without_story_rows_are_an_input_error(tmp_path):
    path = tmp_path / "events.tsv"
    path.write_text("onset\tduration\ttrial_type\tstim_file\n0\t13\tmusic\tx_audio.wav\n")
    with pytest.raises(InputError, match="no 'story' rows"):
        read_story_events(path, {"x_audio.wav": "x"})


@pytest.mark.parametrize("row", ["3.0\t0", "3.0\tn/a", "n/a\t120"])
def test_story_rows_with_bad_values_are_rejected(tmp_path, row):
    path = tmp_path / "events.tsv"
    path.write_text(f"onset\tduration\n{row}\n")
    with pytest.raises(InputError, match="onset"):
        read_story_events(path, {"x_audio.wav": "x"})


def test_events_without_stim_file_need_a_single_possible_story(tmp_path):
    path = tmp_path / "events.tsv"
    path.write_text("onset\tduration\n3.0\t120.5\n")
    events = read_story_events(path, {"x_audio.wav": "x"})
    assert events == StoryEvents("x", (Segment(3.0, 120.5, 0.0),))
    with pytest.raises(InputError, match="no 'stim_file' column"):
        read_story_events(path, {"x_audio.wav": "x", "y_audio.wav": "y"})


def test_story_times_before_the_first_part_are_negative():
    events = StoryEvents("x", (Segment(10.0, 5.0, 0.0), Segment(20.0, 5.0, 5.0)))
    times, keep = story_times(events, np.array([0.0, 12.0, 15.0, 19.0, 21.0, 30.0]))
    np.testing.assert_allclose(times, [-10.0, 2.0, 5.0, 9.0, 6.0, 15.0])
    assert keep.tolist() == [True, True, False, False, True, True]


def test_a_run_whose_vertices_are_all_nan_names_the_file(tmp_path):
    root, ds = tmp_path / "ds", rl.dataset(["pieman"])
    rl.write_stimulus(root, "pieman", 30)
    rl.write_events(root, ds, SUB, "pieman", [(15.0, 30.0, "story", "pieman_audio.wav")])
    rl.write_run(root, ds, SUB, "pieman", n_volumes=34, nan_vertices=slice(None))
    out = tmp_path / "run.parquet"
    with pytest.raises(InputError, match="every vertex .* is NaN or constant") as err:
        listening.run(ds, root, SUB, "pieman", _vertices(ds, root, tmp_path), out)
    assert "hemi-L" in err.value.path and not out.exists()


def test_gentle_phones_are_read_and_a_story_without_phones_stops_the_phoneme_baseline(
        tmp_path, caplog):
    root, ds = tmp_path / "ds", rl.dataset(["pieman", "lucy"])
    rl.write_stimulus(root, "pieman", 6)
    rl.write_stimulus(root, "lucy", 6, phones=False)
    stimuli = {}
    with caplog.at_level(logging.WARNING):
        for story in ("pieman", "lucy"):
            stimuli[story] = tmp_path / f"{story}.parquet"
            listening.stimulus(ds, root, story, stimuli[story])
    assert "lucy" in caplog.text and "no phones" in caplog.text
    read = {s: Stimulus.read(p) for s, p in stimuli.items()}
    assert read["pieman"].phonemes["phoneme"].tolist()[:2] == ["dh", "ah"]
    assert read["lucy"].phonemes.empty and "phoneme" in read["lucy"].phonemes.columns
    spec = FeatureSpec.from_config({})
    story_frames("words", read["lucy"], list(read.values()), spec)  # words need no phones
    with pytest.raises(InputError, match="no phone alignment.*drop it from `baselines`") as err:
        story_frames("phonemes", read["pieman"], list(read.values()), spec)
    assert err.value.path == str(stimuli["lucy"])
