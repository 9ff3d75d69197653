"""A cortical atlas as the plan sees it: its own DataLad source, its files, its ROI table.

An atlas is acquired like a dataset (the ``acquire`` rule, keyed by its name) and read by
:mod:`brainlike.preprocess.atlas`. Defaults come from the schema (``from_config``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brainlike.plan.schema import section_defaults

#: Placeholder -> the spelling of each hemisphere (BIDS/TemplateFlow, FreeSurfer).
HEMI_SPELLINGS: dict[str, dict[str, str]] = {"hemi": {"L": "L", "R": "R"},
                                             "fshemi": {"L": "lh", "R": "rh"}}

#: File suffix -> format, when the config leaves `format` null.
SUFFIX_FORMATS: dict[str, str] = {".annot": "annot", ".label.gii": "gifti", ".gii": "gifti"}


@dataclass(frozen=True)
class Atlas:
    """A surface parcellation, one file per hemisphere, with its labels grouped into ROIs.

    groups: ROI name -> the atlas labels it pools, in the config's order (empty: every atlas
    label is its own ROI). unmapped: the ROI of vertices whose label no group lists.
    """

    name: str
    source: str
    files: str
    format: str | None
    groups: dict[str, tuple[str, ...]]
    unmapped: str

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> Atlas:
        d = section_defaults("atlas", d)
        return cls(name=name, source=d["source"], files=d["files"], format=d["format"],
                   groups={g: tuple(labels) for g, labels in d["groups"].items()},
                   unmapped=d["unmapped"])

    def file(self, hemi: str) -> str:
        """The hemisphere's (``L``/``R``) file, relative to the atlas dataset's root."""
        return self.files.format(**{k: v[hemi] for k, v in HEMI_SPELLINGS.items()})

    def files_to_get(self) -> list[str]:
        return [self.file(h) for h in ("L", "R")]

    @property
    def file_format(self) -> str:
        """``annot`` or ``gifti``: the configured one, else the one the suffix names."""
        if self.format is not None:
            return self.format
        for suffix, fmt in SUFFIX_FORMATS.items():
            if self.files.endswith(suffix):
                return fmt
        raise ValueError(f"cannot tell the format of {self.files!r} from its suffix "
                         f"({', '.join(SUFFIX_FORMATS)}): set `format`")

    def group_of(self) -> dict[str, str]:
        """Atlas label -> its ROI, for every label the groups list."""
        return {label: group for group, labels in self.groups.items() for label in labels}

    def check(self) -> None:
        """Raise ValueError for a table that cannot be read one way only."""
        self.file_format  # noqa: B018 -- raises when the format cannot be told
        try:
            self.file("L")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"files {self.files!r}: only {{hemi}} and {{fshemi}} may be "
                             f"filled ({error!r})") from None
        if self.file("L") == self.file("R"):
            raise ValueError(f"files {self.files!r} names the same file for both hemispheres "
                             "(use {hemi} or {fshemi})")
        seen: dict[str, str] = {}
        for group, labels in self.groups.items():
            for label in labels:
                if label in seen:
                    raise ValueError(f"label {label!r} is in groups {seen[label]!r} and "
                                     f"{group!r}")
                seen[label] = group
        if self.unmapped in self.groups:
            raise ValueError(f"unmapped ROI {self.unmapped!r} is also a group's name")
