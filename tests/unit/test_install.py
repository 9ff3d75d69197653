"""The three places that pin dependencies agree: envs/brainlike.yaml, requirements.lock and
pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)\s*$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str], source: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # blank, comment, pip option (--index-url ...)
            continue
        match = PIN.match(line)
        assert match, f"{source}: {line!r} is not an exact name==version pin"
        name = _norm(match.group(1))
        assert name not in pins, f"{source}: {name} is pinned twice"
        pins[name] = match.group(2)
    return pins


@pytest.fixture(scope="module")
def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "envs" / "brainlike.yaml").read_text())
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1, "envs/brainlike.yaml needs exactly one pip section"
    return _pins([str(x) for x in pip[0]], "envs/brainlike.yaml")


@pytest.fixture(scope="module")
def lock_pins() -> dict[str, str]:
    return _pins((ROOT / "requirements.lock").read_text().splitlines(), "requirements.lock")


@pytest.fixture(scope="module")
def project_deps() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_pin_parser():
    assert _pins(["# c", "", "PyYAML==6.0.4", "jaraco.classes==3.4.0  # x"], "t") == {
        "pyyaml": "6.0.4", "jaraco-classes": "3.4.0"}
    with pytest.raises(AssertionError):
        _pins(["numpy>=2"], "t")


def test_conda_pins_are_in_the_lock(conda_pins, lock_pins):
    assert len(conda_pins) >= 10
    missing = sorted(set(conda_pins) - set(lock_pins))
    assert not missing, f"in envs/brainlike.yaml but not in requirements.lock: {missing}"
    differ = {n: (v, lock_pins[n]) for n, v in conda_pins.items() if lock_pins[n] != v}
    assert not differ, f"yaml vs lock versions differ: {differ}"


def test_torch_pair_is_matched(conda_pins, lock_pins):
    for pins in (conda_pins, lock_pins):
        assert "torch" in pins and "torchaudio" in pins
        assert pins["torch"] == pins["torchaudio"]
    assert conda_pins["torch"] == lock_pins["torch"]


def test_pyproject_pins_the_same_torch(project_deps, lock_pins):
    torch_deps = {}
    for dep in project_deps:
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$", dep)
        assert match
        name = _norm(match.group(1))
        if name in ("torch", "torchaudio"):
            torch_deps[name] = match.group(2).split(";")[0].strip()
    version = lock_pins["torch"]
    assert torch_deps == {"torch": f"=={version}", "torchaudio": f"=={version}"}
