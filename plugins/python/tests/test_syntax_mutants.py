"""What the syntax checks report to the CLI, by the client's Python version (written against the
survivors of ``scripts/mutation.py python.syntax``)."""

from __future__ import annotations

import ast

import pytest

from codeflash_engine import SyntaxProblem
from codeflash_engine_python import syntax
from codeflash_engine_python.syntax import feature_version, top_level_starts, validate_python, without_stray_characters


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.9.18", (3, 9)),
        (" 3.10 ", (3, 10)),
        ("3.6.9", (3, 7)),
        ("3.4", (3, 7)),
        ("2.7.18", None),
        ("4.1", None),
        ("3.99", None),
        ("3", None),
        ("3.x", None),
        ("", None),
        (None, None),
    ],
)
def test_the_feature_version_of_a_client_python(version: str | None, expected: tuple[int, int] | None) -> None:
    """A 3.x older than ours is parsed as that version (3.7 at the oldest ast knows); Python 2, 4,
    a newer 3.x and anything unreadable are parsed as our own version."""
    assert feature_version(version) == expected


def test_an_error_is_reported_at_its_line_and_column() -> None:
    """The first syntax error, where it is: what the CLI shows the user."""
    assert validate_python("x = 1\ny = (\n", "3.11.7") == [
        SyntaxProblem(line=2, column=5, message="'(' was never closed")
    ]
    (problem,) = validate_python("def f():\n    return 1\n  x = 2\n", None)
    assert (problem.line, problem.column) == (3, 8)


def test_code_nested_too_deeply_is_a_syntax_error_not_a_crash() -> None:
    """Thousands of nested operators exhaust the parser: reported as a syntax error, at line 1."""
    assert validate_python("-" * 100_000 + "1\n", None) == [
        SyntaxProblem(line=1, column=1, message="nested too deeply to parse (MemoryError)")
    ]


def test_a_source_of_exactly_the_limit_is_parsed() -> None:
    """The limit on what is parsed at once is inclusive; the refusal names both sizes."""
    line = "x = 1\n"
    code = line * (syntax.MAX_SOURCE_CHARS // len(line))
    code += "#" * (syntax.MAX_SOURCE_CHARS - len(code) - 1) + "\n"
    assert len(code) == syntax.MAX_SOURCE_CHARS
    assert validate_python(code, None) == []
    (problem,) = validate_python(code + "y = 2\n", None)
    assert problem.message == (
        "256 KB of Python: more than the 256 KB parsed at once "
        "(building and freeing the tree of a larger source would stall the engine)"
    )


def test_a_stray_closing_bracket_does_not_hide_the_statements_after_it() -> None:
    """An unmatched ``)`` (a cut-off or garbled answer) leaves the bracket depth at zero."""
    assert top_level_starts("x = 1)\ny = 2\ndef f():\n    pass\n") == [0, 1, 2]


def test_at_most_sixty_four_stray_characters_are_mended_one_by_one() -> None:
    """Stray characters outside indentation are mended one parse at a time, up to the documented
    number; a line holding more is left as it is (the answer is given up)."""
    zwsp = "\u200b"
    fixes = syntax.MAX_STRAY_FIXES
    assert fixes == 64
    assert without_stray_characters("x = 1" + zwsp * (fixes - 1) + "\n") == "x = 1\n"
    many = "x = 1" + zwsp * fixes + "\n"
    assert without_stray_characters(many) is many


def test_a_null_byte_is_reported_at_the_start_whatever_piece_it_is_in() -> None:
    """Python gives a null byte no position: the problem is at line 1, column 1, also when the
    source is long enough to be parsed in pieces and the byte is in a later one."""
    expected = [SyntaxProblem(line=1, column=1, message="source code string cannot contain null bytes")]
    assert validate_python("x = 1\x00\n", None) == expected
    long = "x = 1\n" * (3 * syntax.PIECE_CHARS // 6) + "y = 2\x00\n"
    assert validate_python(long, None) == expected


def test_code_too_deep_to_compile_is_reported_at_the_start() -> None:
    """Code that parses but is too deep for the compiler is a problem at line 1, column 1 with
    the compiler's message, not a crash."""
    (problem,) = validate_python("x = " + "-" * 1000 + "1\n", None)
    assert (problem.line, problem.column) == (1, 1)
    assert "recursion" in problem.message


def test_a_long_source_is_never_parsed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``ast.parse`` of a long source gets a piece of it (the engine's event loop runs in
    between): seen by recording the length of every piece the real parser is given."""
    lengths: list[int] = []
    parse_whole = syntax._parse_whole

    def recording(code: str, version: tuple[int, int] | None) -> ast.Module:
        lengths.append(len(code))
        return parse_whole(code, version)

    monkeypatch.setattr(syntax, "_parse_whole", recording)
    code = "x = 1\n" * 30_000
    tree = syntax.parse(code)
    assert len(tree.body) == 30_000
    assert len(lengths) > 1 and max(lengths) <= syntax.PIECE_CHARS + 16 and sum(lengths) == len(code)


def test_a_backslash_continuation_line_is_no_statement_start() -> None:
    """A line continued with a backslash goes on the statement above, even from column 0."""
    assert top_level_starts("x = 1 + \\\n2\ny = 3\n") == [0, 2]


def test_after_a_construct_longer_than_a_piece_the_pieces_are_short_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list literal spanning several pieces is parsed in one growing piece; the statements after
    it go back to pieces of about PIECE_CHARS (recorded around the real parser)."""
    lengths: list[int] = []
    parse_whole = syntax._parse_whole

    def recording(code: str, version: tuple[int, int] | None) -> ast.Module:
        lengths.append(len(code))
        return parse_whole(code, version)

    monkeypatch.setattr(syntax, "_parse_whole", recording)
    code = "x = [\n" + "1,\n" * 15_000 + "]\ny = 2\n" + "z = 1\n" * 20_000
    assert len(syntax.parse(code).body) == 20_002
    longest = lengths.index(max(lengths))
    assert max(lengths) > 45_000 and len(lengths) > longest + 5
    assert all(n <= syntax.PIECE_CHARS + 16 for n in lengths[longest + 1 :])


def test_the_size_of_a_refused_source_is_given_in_kilobytes() -> None:
    """A megabyte of Python is refused as 976 KB (1,000,000 // 1024), without being parsed."""
    (problem,) = validate_python("x" * 1_000_000, None)
    assert problem.message.startswith("976 KB of Python: more than the 256 KB parsed at once")
