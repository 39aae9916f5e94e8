"""The text layer is the bottom layer: it imports nothing from the engine but itself."""

from __future__ import annotations

import ast
from pathlib import Path

import codeflash_engine.text

TEXT = Path(codeflash_engine.text.__file__).parent


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.append(node.module)
    return names


def test_text_imports_only_itself_from_the_engine() -> None:
    modules = sorted(TEXT.glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        for name in _imports(path):
            if name.split(".")[0] == "codeflash_engine":
                assert name.startswith("codeflash_engine.text"), f"{path.name} imports {name}"
