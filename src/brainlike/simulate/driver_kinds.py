"""Which definition each planted driver set uses; light enough for the plan to import at parse.

The definitions themselves: ``brainlike.simulate.driver_frames``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Driver set -> its definitions, the current world's first.
KINDS = {"acoustic": ("modulation", "logmel"), "phonetic": ("articulatory", "hashed"),
         "word": ("concepts", "hashed")}


@dataclass(frozen=True)
class DriverKinds:
    """One definition per set; the defaults are the first world's (the config's are the
    current world's, from the schema)."""

    acoustic: str = "logmel"
    phonetic: str = "hashed"
    word: str = "hashed"

    def __post_init__(self) -> None:
        for name, allowed in KINDS.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"driver {name}: {getattr(self, name)!r} is none of {allowed}")
