"""The model roster: what each configured model is in the comparisons.

Role: ``pretrained`` (a published checkpoint, imported), ``random`` (untrained),
``non-speech`` (trained on non-speech sounds only, whatever the objective), else the
objective's role from :data:`brainlike.objectives.OBJECTIVES` (``self-supervised`` or
``supervised``). Control: the untrained model of the same family and preset, the copy a
trained model's layers are judged against (a pretrained model has none). Language: the
training collections joined with "+".
"""

from __future__ import annotations

from dataclasses import dataclass

from brainlike.objectives import objective
from brainlike.plan.specs import ModelSpec

ROLES = ("pretrained", "self-supervised", "supervised", "non-speech", "random")
NONSPEECH = "nonspeech"


@dataclass(frozen=True)
class RosterEntry:
    model: str
    role: str
    objective: str | None
    language: str | None
    control: str  # "" when the model is untrained or has no untrained twin among the scored


def role(spec: ModelSpec) -> str:
    # Published models are judged beside ours, not as ours: their data and recipe differ.
    if spec.pretrained is not None:
        return "pretrained"
    if spec.training is None:
        return "random"
    # Non-speech means no speech at all: a model that also heard speech tests speech.
    if set(spec.training.collections) == {NONSPEECH}:
        return "non-speech"
    return objective(spec.training.objective).role


def roster(models: dict[str, ModelSpec], names: list[str]) -> dict[str, RosterEntry]:
    """An entry for each of ``names``; controls are chosen among ``names`` (first match)."""
    untrained = [n for n in names if models[n].untrained]
    entries = {}
    for name in names:
        spec = models[name]
        control = ""
        if spec.training is not None:
            same = [n for n in untrained
                    if (models[n].family, models[n].preset) == (spec.family, spec.preset)]
            control = same[0] if same else ""
        collections = list(dict.fromkeys(spec.training.collections)) if spec.training else []
        entries[name] = RosterEntry(
            model=name, role=role(spec),
            objective=spec.training.objective if spec.training else None,
            language="+".join(collections) or None, control=control)
    return entries
