"""Published checkpoints in the plan: their role, their inputs, and loose ends caught."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from brainlike.plan import Plan, PlanError, paths

REPO = Path(__file__).resolve().parents[2]
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())


def _with(**models: dict) -> dict:
    config = copy.deepcopy(DEFAULT)
    config["models"].update(models)
    config["targets"]["models"] = [*config["targets"]["models"], *models]
    return config


def test_a_pretrained_model_is_its_own_role_with_no_control() -> None:
    plan = Plan.from_config(_with(
        hub={"family": "pretrained", "pretrained": {"hub": "facebook/hubert-base-ls960"}},
        local={"family": "pretrained", "pretrained": {"path": "checkpoints/wav2vec2"}}))
    for name in ("hub", "local"):
        entry = plan.roster[name]
        assert (entry.role, entry.objective, entry.language, entry.control) == (
            "pretrained", None, None, "")
    # published models are never anyone's untrained control
    assert plan.roster["hubert-en"].control == "logmel-small-random"
    assert plan.pretrained_models() == ("hub", "local")
    assert plan.pretrained_models(hub_only=True) == ("hub",)
    assert plan.pretrained_inputs("hub") == {"source": paths.PRETRAINED.path(model="hub")}
    assert plan.pretrained_inputs("local") == {"source": "checkpoints/wav2vec2"}
    assert plan.model("hub").pretrained.format == "huggingface"
    with pytest.raises(PlanError, match="'hubert-en' is not a pretrained model"):
        plan.pretrained_inputs("hubert-en")


def test_the_wildcard_matches_exactly_the_pretrained_models() -> None:
    import re

    plan = Plan.from_config(_with(
        hf={"family": "pretrained", "pretrained": {"hub": "facebook/wav2vec2-base"}}))
    regex = re.compile(plan.pretrained_wildcard())
    assert regex.fullmatch("hf") and not regex.fullmatch("hubert-en")
    none = re.compile(Plan.from_config(DEFAULT).pretrained_wildcard())
    assert not any(none.fullmatch(m) for m in [*DEFAULT["models"], ""])


@pytest.mark.parametrize("entry, message", [
    ({"family": "pretrained"}, "needs both `family: pretrained`"),
    ({"family": "logmel", "pretrained": {"hub": "a/b"}}, "needs both `family: pretrained`"),
    ({"family": "pretrained", "pretrained": {}}, "exactly one of pretrained.hub"),
    ({"family": "pretrained", "pretrained": {"hub": "a/b", "path": "x"}}, "exactly one"),
    ({"family": "pretrained", "pretrained": {"hub": "a/b", "format": "fairseq"}},
     "read from a local path"),
    ({"family": "pretrained", "pretrained": {"path": "x", "revision": "main"}},
     "revision applies to a hub download only"),
    ({"family": "pretrained", "pretrained": {"path": "x"},
      "training": {"objective": "hubert", "corpus": "speech-sim", "collections": ["en"]}},
     "imported, not trained"),
])
def test_loose_ends_fail_naming_the_model(entry: dict, message: str) -> None:
    with pytest.raises(PlanError, match=f"models.published: .*{message}"):
        Plan.from_config(_with(published=entry))


def test_the_paper_scale_preset_scores_the_published_models() -> None:
    preset = yaml.safe_load((REPO / "config" / "presets" / "paper-scale.yaml").read_text())
    config = copy.deepcopy(DEFAULT)
    config["models"].update(preset["models"])
    config["targets"].update(preset["targets"])
    plan = Plan.from_config(config)
    hubs = {plan.model(m).pretrained.hub for m in plan.pretrained_models(hub_only=True)}
    assert hubs == {"facebook/wav2vec2-base", "facebook/hubert-base-ls960",
                    "facebook/wav2vec2-large-xlsr-53"}
    assert set(plan.pretrained_models()) <= set(plan.target_models)


def test_every_role_has_its_colour_in_the_comparison_figure() -> None:
    from brainlike.figures.comparisons import ROLE_COLOURS
    from brainlike.plan.roster import ROLES

    assert set(ROLE_COLOURS) == set(ROLES)
