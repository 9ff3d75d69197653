"""participants.tsv lookups: a value per subject, and a clear error for a missing column."""

from pathlib import Path

import pytest

from brainlike.preprocess.participants import participant_column


def _tsv(tmp_path: Path) -> Path:
    path = tmp_path / "participants.tsv"
    path.write_text("participant_id\tnative_language\tage\nsub-001\ten\t30\nsub-002\t\t25\n"
                    "sub-003\tzh\t41\n")
    return path


def test_values_per_subject_skip_missing(tmp_path):
    assert participant_column(_tsv(tmp_path), "native_language") == {"sub-001": "en",
                                                                      "sub-003": "zh"}


def test_missing_column_names_the_file_or_gives_nothing(tmp_path):
    path = _tsv(tmp_path)
    with pytest.raises(ValueError, match=r"participants\.tsv.*'handedness'"):
        participant_column(path, "handedness")
    assert participant_column(path, "handedness", required=False) == {}
