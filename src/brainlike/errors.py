"""The one error type for bad input: it always names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input data: a truncated WAV, a run whose volumes disagree with its events, ...

    Raised with the offending path so a workflow log says which file to look at.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
