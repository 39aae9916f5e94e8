"""Syntax checks and the piecewise parse of long sources."""

from __future__ import annotations

import ast
import itertools

import pytest

from codeflash_engine_python import syntax
from codeflash_engine_python.syntax import without_stray_characters


def module(functions: int, *, string_at: int | None = None) -> str:
    parts = []
    for k in range(functions):
        if k == string_at:
            parts.append('TEXT = """\n' + "\n".join(f"def fake_{i}():" for i in range(500)) + '\n"""\n')
        parts.append(
            f"@decorate({k})\ndef f_{k}(x):\n" + "".join(f"    x = x + {i}\n" for i in range(20)) + "    return x\n"
        )
    return "\n\n".join(parts)


def whole(code: str) -> ast.Module:
    return ast.parse(code)


PIECE_TRAPS = {
    "decorated definitions": module(120),
    "a string spanning cuts": module(120, string_at=30),
    "short statements": "x = 1\n" * 20_000,
    "brackets across a cut": ("x = [\n" + "1,\n" * 15_000 + "]\ny = 2\n") * 2,
    "compound statements": "if x:\n    pass\n"
    + ("else:\n    y = 1\n" * 1)
    + "try:\n    pass\nexcept E:\n    pass\n"
    + "z = 3\n" * 6000
    + "if a:\n    b = 1\nelif c:\n    d = 1\n" * 800,
    "one statement longer than a piece can grow": "a = 1\nDATA = [\n" + "1,\n" * 40_000 + "]\nb = 2\n",
    "backslash continuations": "x = 1 + \\\n2\n" * 5000,
    "comments and blank lines at column 0": "# note\n\nx = (1,\n# inside\n2)\n" * 3000,
}


@pytest.mark.parametrize("code", list(PIECE_TRAPS.values()), ids=list(PIECE_TRAPS))
def test_a_long_source_parsed_in_pieces_gives_the_same_tree(code: str) -> None:
    assert len(code) > 2 * syntax.PIECE_CHARS
    assert len(syntax._cuts(code)) > 1 or "string" in code
    assert ast.dump(syntax.parse(code), include_attributes=True) == ast.dump(whole(code), include_attributes=True)


def test_a_syntax_error_in_a_later_piece_is_reported_at_its_line() -> None:
    code = module(60) + "\ndef broken(:\n    pass\n"
    with pytest.raises(SyntaxError) as pieces:
        syntax.parse(code)
    with pytest.raises(SyntaxError) as at_once:
        whole(code)
    assert pieces.value.lineno == at_once.value.lineno and pieces.value.msg == at_once.value.msg


def test_no_piece_holds_the_gil_long() -> None:
    """Every piece is a bounded slice of the source: the loop gets the GIL back in between."""
    code = "x = 1\n" * 100_000
    cuts = [*syntax._cuts(code), len(code)]
    assert max(b - a for a, b in itertools.pairwise(cuts)) <= syntax.PIECE_CHARS + 16


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


def test_a_source_over_the_limit_is_refused_as_unparsable() -> None:
    code = "x = 1\n" * (syntax.MAX_SOURCE_CHARS // 6 + 1)
    with pytest.raises(SyntaxError, match="KB parsed at once"):
        syntax.parse(code)
    assert syntax.validate_python(code, None)[0].message.startswith(f"{len(code) // 1024} KB of Python")


NBSP, ZWSP, BOM = "\u00a0", "\u200b", "\ufeff"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # indentation written with no-break spaces, on every line
        (
            f"def f(xs):\n{NBSP * 4}out = []\n{NBSP * 4}for x in xs:\n{NBSP * 8}out.append(x)\n{NBSP * 4}return out\n",
            "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out\n",
        ),
        (f"{BOM}def f():\n    return 1\n", "def f():\n    return 1\n"),
        (f"def f():{ZWSP}\n    return 1\n", "def f():\n    return 1\n"),
        (f"x = 1{NBSP}+ 2\n", "x = 1 + 2\n"),
        # the ones in string literals are the code's own
        (f"SEP = '{NBSP}'\ndef f():\n{NBSP}   return SEP{ZWSP}\n", f"SEP = '{NBSP}'\ndef f():\n    return SEP\n"),
    ],
)
def test_invisible_characters_python_rejects_are_mended(code: str, expected: str) -> None:
    assert without_stray_characters(code, "3.11.7") == expected


@pytest.mark.parametrize(
    "code",
    [
        f"SEP = '{NBSP}{ZWSP}'\n",  # parses: nothing to mend
        f"def f(:\n{NBSP}   return 1\n",  # another syntax error first: left as it is
        "def f():\n    return 1\n",
    ],
)
def test_code_that_parses_or_fails_otherwise_is_left_alone(code: str) -> None:
    assert without_stray_characters(code, "3.11.7") is code
