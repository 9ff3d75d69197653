"""The model roster: what each configured model is in the comparisons.

Role: ``pretrained`` (a published checkpoint, imported), ``shuffled-context`` (a language
model's own checkpoint reading each sentence's words in a random order: its ``reference`` is
that model), ``random`` (untrained), ``non-speech`` (trained on non-speech sounds only,
whatever the objective), else the objective's role from
:data:`brainlike.objectives.OBJECTIVES` (``self-supervised``, ``supervised`` or
``language-model``). Control: the untrained model of the same family and preset (and, for a
model whose vocabulary comes from its corpus, the same corpus and collections), the copy a
trained model's layers are judged against (a pretrained model has none). Language: the
training collections joined with "+".
"""

from __future__ import annotations

from dataclasses import dataclass

from brainlike.objectives import objective
from brainlike.plan.specs import ModelSpec

ROLES = ("pretrained", "self-supervised", "supervised", "language-model", "shuffled-context",
         "non-speech", "random")
NONSPEECH = "nonspeech"


@dataclass(frozen=True)
class RosterEntry:
    model: str
    role: str
    objective: str | None
    language: str | None
    control: str  # "" when the model is untrained or has no untrained twin among the scored
    reference: str  # whose checkpoint a context control reads differently ("" for the rest)


def role(spec: ModelSpec) -> str:
    # Published models are judged beside ours, not as ours: their data and recipe differ.
    if spec.pretrained is not None:
        return "pretrained"
    if spec.context == "shuffled":
        return "shuffled-context"
    if spec.untrained:
        return "random"
    # Non-speech means no speech at all: a model that also heard speech tests speech.
    if set(spec.training.collections) == {NONSPEECH}:
        return "non-speech"
    return objective(spec.training.objective).role


def _twin_key(spec: ModelSpec) -> tuple:
    # A text model's untrained twin must share its vocabulary, i.e. its training text.
    source = (spec.training.corpus, tuple(spec.training.collections)) \
        if spec.text and spec.training is not None else None
    return spec.family, spec.preset, source


def roster(models: dict[str, ModelSpec], names: list[str]) -> dict[str, RosterEntry]:
    """An entry for each of ``names``; controls are chosen among ``names`` (first match)."""
    untrained = [n for n in names if models[n].untrained]
    entries = {}
    for name in names:
        spec = models[name]
        of = models[spec.of] if spec.of else None
        reads = of or spec  # whose weights and training the layers come from
        control = ""
        if reads.trained and spec.context == "intact":
            same = [n for n in untrained if _twin_key(models[n]) == _twin_key(spec)]
            control = same[0] if same else ""
        collections = list(dict.fromkeys(reads.training.collections)) if reads.training else []
        entries[name] = RosterEntry(
            model=name, role=role(spec),
            objective=reads.training.objective if reads.training else None,
            language="+".join(collections) or None, control=control,
            reference=spec.of or "")
    return entries
