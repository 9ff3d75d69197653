"""The allen2p side table: built from the Brain Observatory's experiment containers, read by
the plan as the real preset's session list."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from brainlike.errors import InputError
from brainlike.plan.viewing import ViewingDataset
from brainlike.preprocess.allen import SIDE_COLUMNS, read_side_table
from brainlike.preprocess.allen_containers import main, side_table

REPO = Path(__file__).resolve().parents[2]
PRESET = REPO / "config" / "presets" / "allen2p.yaml"


def _container(cid: int, specimen: int, area: str, depth: int, cre: str,
               experiments: dict[str, int], failed: bool = False) -> dict:
    """One container as the Brain Observatory API returns it (the fields the reader uses)."""
    return {
        "id": cid, "failed": failed, "imaging_depth": depth, "specimen_id": specimen,
        "targeted_structure": {"acronym": area},
        "specimen": {"donor": {"transgenic_lines": [
            {"name": cre, "transgenic_line_type_name": "driver"},
            {"name": "Camk2a-tTA", "transgenic_line_type_name": "driver"},
            {"name": "Ai93(TITL-GCaMP6f)", "transgenic_line_type_name": "reporter"}]}},
        "ophys_experiments": [{"id": eid, "stimulus_name": stim}
                              for stim, eid in experiments.items()],
    }


CONTAINERS = [
    _container(1, 101, "VISpm", 175, "Cux2-CreERT2",
               {"three_session_A": 11, "three_session_B": 12, "three_session_C": 13}),
    _container(2, 102, "VISp", 275, "Cux2-CreERT2", {"three_session_B": 22}),
    _container(3, 103, "VISp", 175, "Cux2-CreERT2", {"three_session_B": 32}),
    _container(4, 104, "VISp", 350, "Cux2-CreERT2", {"three_session_B": 42}),   # too deep
    _container(5, 105, "VISl", 175, "Rorb-IRES2-Cre", {"three_session_B": 52}),  # other line
    _container(6, 106, "VISal", 175, "Cux2-CreERT2", {"three_session_B": 62}, failed=True),
    _container(7, 107, "VISal", 275, "Cux2-CreERT2", {"three_session_A": 71}),  # no B
]


def test_the_selection_is_the_b_session_of_each_matching_container():
    table = side_table(CONTAINERS, ["Cux2-CreERT2"], [175, 275])
    assert list(table.columns) == list(SIDE_COLUMNS)
    # the six areas' order, then depth, then session
    assert table["session"].tolist() == ["ses-32", "ses-22", "ses-12"]
    assert table["subject"].tolist() == ["sub-103", "sub-102", "sub-101"]
    assert table["area"].tolist() == ["VISp", "VISp", "VISpm"]
    assert table["depth_um"].tolist() == [175, 275, 175]
    assert set(table["cre_line"]) == {"Cux2-CreERT2"}
    only_deep = side_table(CONTAINERS, ["Cux2-CreERT2", "Rorb-IRES2-Cre"], [175],
                           areas=["VISl"])
    assert only_deep["session"].tolist() == ["ses-52"]
    assert side_table(CONTAINERS, ["Cux2-CreERT2"], [175], stimulus="three_session_C") \
        ["session"].tolist() == ["ses-13"]


def test_the_command_writes_a_table_the_reader_and_the_plan_accept(tmp_path):
    source = tmp_path / "experiment_containers.json"
    source.write_text(json.dumps(CONTAINERS))
    out = tmp_path / "side.tsv"
    main([str(source), "--cre-line", "Cux2-CreERT2", "--depth", "175", "--depth", "275",
          "-o", str(out)])
    table = read_side_table(out)
    assert table.index.tolist() == ["ses-32", "ses-22", "ses-12"]
    dataset = ViewingDataset.from_config("real", {"source": "https://example.org/x",
                                                  "side_table": str(out)})
    assert dataset.sessions == ("sub-103_ses-32", "sub-102_ses-22", "sub-101_ses-12")
    # nothing matches: an error naming the file, and no table written
    with pytest.raises(InputError, match="experiment_containers.json.*no session"):
        main([str(source), "--cre-line", "Vip-IRES-Cre", "--depth", "175",
              "-o", str(tmp_path / "none.tsv")])
    assert not (tmp_path / "none.tsv").exists()


def test_an_unreadable_containers_file_names_itself(tmp_path):
    bad = tmp_path / "containers.json"
    bad.write_text('{"id": 1')
    with pytest.raises(InputError, match="containers.json"):
        main([str(bad), "--cre-line", "Cux2-CreERT2", "--depth", "175",
              "-o", str(tmp_path / "x.tsv")])
    bad.write_text('{"id": 1}')
    with pytest.raises(InputError, match="list of experiment containers"):
        main([str(bad), "--cre-line", "Cux2-CreERT2", "--depth", "175",
              "-o", str(tmp_path / "x.tsv")])


def test_the_plan_checks_the_sessions_a_side_table_lists(tmp_path):
    side = tmp_path / "side.tsv"
    pd.DataFrame({"session": ["ses-1;rm"], "subject": ["sub-2"], "area": ["VISp"],
                  "depth_um": [175], "cre_line": [""]}).to_csv(side, sep="\t", index=False)
    with pytest.raises(ValueError, match="sessions of"):
        ViewingDataset.from_config("real", {"source": "https://example.org/x",
                                            "side_table": str(side)})
    with pytest.raises(ValueError, match="cannot read"):
        ViewingDataset.from_config("real", {"source": "https://example.org/x",
                                            "side_table": str(tmp_path / "absent.tsv")})
    # a side table inside the dataset is not there before acquisition: list the sessions
    with pytest.raises(ValueError, match="list its `sessions`"):
        ViewingDataset.from_config("real", {"source": "https://example.org/x"})


def test_the_real_preset_selects_the_papers_cells_in_all_six_areas():
    """Bakhtiari et al.'s selection: Cux2-CreERT2 at 175 and 275 um, every area."""
    config = yaml.safe_load(PRESET.read_text())["viewing"]["allen2p"]
    dataset = ViewingDataset.from_config("allen2p", config)
    table = read_side_table(REPO / config["side_table"])
    assert len(dataset.sessions) == len(table) > 6
    assert {a for a in table["area"]} == {"VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm"}
    assert set(table["depth_um"]) == {175, 275}
    assert set(table["cre_line"]) == {"Cux2-CreERT2"}
    for session, (ses, row) in zip(dataset.sessions, table.iterrows()):
        assert session == f"{row['subject']}_{ses}"
    # every file the plan fetches is named as DANDI 000728 names it
    assert all(p.endswith("-StimB_behavior+image+ophys.nwb")
               for p in dataset.files_to_get()[1:])
