"""Syntax checks and the piecewise parse of long sources."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine_python import syntax


def module(functions: int, *, string_at: int | None = None) -> str:
    parts = []
    for k in range(functions):
        if k == string_at:
            parts.append('TEXT = """\n' + "\n".join(f"def fake_{i}():" for i in range(500)) + '\n"""\n')
        parts.append(
            f"@decorate({k})\ndef f_{k}(x):\n" + "".join(f"    x = x + {i}\n" for i in range(20)) + "    return x\n"
        )
    return "\n\n".join(parts)


@pytest.mark.parametrize("string_at", [None, 30])
def test_parse_large_equals_parse(string_at: int | None) -> None:
    code = module(120, string_at=string_at)
    assert len(code.splitlines()) > 3 * syntax.CHUNK_LINES
    pieces = syntax.parse_large(code)
    whole = syntax.parse(code)
    assert ast.dump(pieces, include_attributes=True) == ast.dump(whole, include_attributes=True)


def test_parse_large_raises_like_parse() -> None:
    with pytest.raises(SyntaxError):
        syntax.parse_large(module(60) + "\ndef broken(:\n    pass\n")


@pytest.mark.parametrize(
    ("code", "version", "ok"),
    [
        ("x = 1\n", "3.11.7", True),
        ("return 1\n", None, False),
        ("def f():\n    await g()\n", None, False),
        ("match x:\n    case 1:\n        pass\n", "3.9.18", False),
        ("match x:\n    case 1:\n        pass\n", "3.10.4", True),
        ("x = (\n", None, False),
    ],
)
def test_validate_python(code: str, version: str | None, ok: bool) -> None:
    assert (syntax.validate_python(code, version) == []) is ok


def test_top_level_starts_group_decorators_and_skip_continuations() -> None:
    code = (
        "import os\n"  # 0
        "@d\n"  # 1: the decorated definition starts here
        "@e(1,\n"
        "   2)\n"
        "def f(x):\n"
        "    return (x +\n"
        "1)\n"  # inside brackets: not a statement
        "x = [1,\n"  # 7
        "2]\n"
        "class A:\n"  # 9
        "    pass\n"
        "def g():\n"  # 11
        '    s = """abc\n'  # an unclosed string: tokenizing stops here
    )
    assert syntax.top_level_starts(code) == [0, 1, 7, 9, 11]


def test_top_level_starts_is_linear_on_long_decorator_runs() -> None:
    assert syntax.top_level_starts("@d\n" * 50_000 + "def f(") == [0]
