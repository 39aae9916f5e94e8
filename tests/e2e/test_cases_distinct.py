"""The end-to-end module's cases keep their samples apart: a module-level name bound twice (two
runs both naming their sample ``LEDGER``) silently gives the earlier case the later one's files."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path


def test_no_module_level_name_is_bound_twice() -> None:
    tree = ast.parse((Path(__file__).parent / "test_codeflash_cli.py").read_text())
    names: Counter[str] = Counter()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] += 1
    assert [name for name, count in names.items() if count > 1] == []
