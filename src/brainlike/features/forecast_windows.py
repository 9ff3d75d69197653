"""The names of forecast feature sets, both ways, and which layers get windows.

A forecast features file's "layers" are feature sets: ``<layer>``, the layer alone, and
``<layer>+d<k>`` (a text model's layer with the state ``k`` words ahead) or
``<layer>+<s>s`` (a speech model's layer with its frame ``s`` seconds ahead). :class:`Window`
writes and reads these names in one place, so the gain table takes them apart without
guessing. No heavy imports: the gain table's job reads only names.
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = ("words", "seconds")
_SEP = "+"


@dataclass(frozen=True)
class Window:
    """A feature set: ``layer`` alone (``ahead`` None) or with the window ``ahead`` words or
    seconds (``unit``) ahead."""

    layer: str
    ahead: float | None
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown window unit {self.unit!r}; choose from {UNITS}")
        if _SEP in self.layer:
            raise ValueError(f"layer name {self.layer!r} contains {_SEP!r}")
        if self.ahead is not None and not self.ahead > 0:
            raise ValueError(f"a window looks ahead: need ahead > 0, found {self.ahead}")
        if self.ahead is not None and self.unit == "words" and self.ahead != int(self.ahead):
            raise ValueError(f"a window of words is a whole number of them, found {self.ahead}")

    @property
    def name(self) -> str:
        if self.ahead is None:
            return self.layer
        if self.unit == "words":
            return f"{self.layer}{_SEP}d{int(self.ahead)}"
        return f"{self.layer}{_SEP}{self.ahead:g}s"

    @classmethod
    def parse(cls, name: str, unit: str) -> Window:
        """The window a set's ``name`` stands for (``unit``: the model's)."""
        layer, sep, ahead = name.partition(_SEP)
        if not sep:
            return cls(layer, None, unit)
        prefix, suffix = ("d", "") if unit == "words" else ("", "s")
        number = ahead.removeprefix(prefix).removesuffix(suffix)
        if not ahead.startswith(prefix) or not ahead.endswith(suffix) or not number:
            raise ValueError(f"{name!r} is not a {unit} window name")
        return cls(layer, float(number), unit)


def chosen_layers(names: list[str], chosen: tuple[str, ...] | None) -> list[str]:
    """The layers to analyse: ``chosen`` (checked against ``names``), else the model's last
    (each layer's windows are feature sets to score, so every extra layer multiplies the
    cost)."""
    if chosen:
        unknown = [n for n in chosen if n not in names]
        if unknown:
            raise ValueError(f"forecast layers {unknown} are not layers of the model "
                             f"({names})")
        return [n for n in names if n in chosen]
    return names[-1:]


def windows(layers: list[str], aheads: tuple[float, ...], unit: str) -> list[Window]:
    """Every layer alone, then with each window, layer by layer."""
    return [Window(layer, ahead, unit) for layer in layers for ahead in (None, *aheads)]
