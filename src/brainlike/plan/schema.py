"""The configuration schema: the one source of every default.

Snakemake's ``validate`` fills the defaults it can reach, but not those inside a ``oneOf``
(a model's ``training``, a dataset's ``simulate``). :func:`with_defaults` fills every level
from the same schema, so code never carries a default of its own.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


@functools.cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def resolve(node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        node = {**schema()["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _object_branch(node: dict) -> dict | None:
    """The object alternative of a ``oneOf`` (null or an object)."""
    for branch in node.get("oneOf", []):
        branch = resolve(branch)
        if branch.get("type") == "object" or "properties" in branch:
            return branch
    return None


def _fill(value: Any, node: dict) -> Any:
    node = resolve(node)
    if "oneOf" in node:
        branch = _object_branch(node)
        return _fill(value, branch) if branch is not None and isinstance(value, dict) else value
    if isinstance(value, dict) and (node.get("type") == "object" or "properties" in node):
        out = dict(value)
        properties = node.get("properties", {})
        for key, sub in properties.items():
            if key not in out and "default" in resolve(sub):
                out[key] = copy.deepcopy(resolve(sub)["default"])
            if key in out:
                out[key] = _fill(out[key], sub)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            for key in out.keys() - properties.keys():
                out[key] = _fill(out[key], extra)
        return out
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_fill(v, node["items"]) for v in value]
    return value


def with_defaults(config: dict) -> dict:
    """A copy of a whole config with every default the schema gives filled in."""
    return _fill(copy.deepcopy(config), schema())


def section_defaults(definition: str, value: dict | None = None) -> dict:
    """``value`` (a section such as ``training``) with the defaults of ``$defs/<definition>``."""
    if definition not in schema()["$defs"]:
        raise KeyError(f"the schema has no definition {definition!r}")
    return _fill(copy.deepcopy(value or {}), {"$ref": f"#/$defs/{definition}"})


def validate_section(definition: str, value: Any, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` if ``value`` breaks ``$defs/<definition>``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        {"$defs": schema()["$defs"], "$ref": f"#/$defs/{definition}"})
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        path = ".".join(str(p) for p in error.absolute_path)
        raise ValueError(f"{where}{'.' + path if path else ''}: {error.message}")
