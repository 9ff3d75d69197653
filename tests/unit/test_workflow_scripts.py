"""The workflow scripts run only inside snakemake jobs, the longest of them only in the
full-size workflow tests: a name they use but never bind (an import dropped in a refactor)
must fail here, in seconds, not after a 20-minute run."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "workflow_scripts").glob("*.py"))
#: What snakemake's ``script:`` directive injects.
INJECTED = {"snakemake"}


def _bound(tree: ast.AST) -> set[str]:
    """Every name the module binds anywhere (scope-blind: a script is one flat block)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_name_a_script_uses_is_bound(script: Path) -> None:
    tree = ast.parse(script.read_text(), filename=str(script))
    known = _bound(tree) | set(dir(builtins)) | INJECTED
    used = {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert not used - known, f"{script.name} uses names it never binds: {sorted(used - known)}"


def test_the_check_sees_a_dropped_import() -> None:
    tree = ast.parse("from x import A\nprint(A, B)\n")
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert used - _bound(tree) - set(dir(builtins)) == {"B"}
