"""What the syntax checks accept and mend, pinned where the other shares of
``scripts/mutation.py python.syntax`` found the tests blind."""

from __future__ import annotations

import ast
import itertools
import re

import pytest

from codeflash_engine_python import syntax
from codeflash_engine_python.candidates.extract import RawBlock
from codeflash_engine_python.candidates.pipeline import TRUNCATION_ATTEMPTS, repair_truncated
from codeflash_engine_python.syntax import (
    MAX_PIECE_CHARS,
    MAX_STRAY_FIXES,
    PIECE_CHARS,
    parse,
    validate_python,
    without_stray_characters,
)

#: a walrus in an annotation: valid Python unless ``from __future__ import annotations`` is on
WALRUS_ANNOTATION = "def scaled(x: (unit := 1)):\n    return x * unit\n"


def test_the_code_is_compiled_without_the_engine_s_own_future_imports() -> None:
    """The engine's modules import ``annotations`` from ``__future__``; the code checked is
    compiled with its own future imports only, so what the client runs is not refused."""
    assert validate_python(WALRUS_ANNOTATION, None) == []
    with_future = "from __future__ import annotations\n\n" + WALRUS_ANNOTATION
    [problem] = validate_python(with_future, None)
    assert problem.line == 3 and "annotation" in problem.message


def test_code_cut_off_after_an_operator_is_given_back_as_it_is() -> None:
    """The error of code that ends in the middle of an expression points just past its last
    character: there is nothing to mend there, and the code comes back unchanged (the no-break
    space in the string is the code's own)."""
    code = "label = 'a\u00a0b'\ntotal = 1 +"
    assert without_stray_characters(code) == code


def test_indentation_of_no_break_spaces_is_mended_on_every_line_at_once() -> None:
    """A body indented with no-break spaces holds more of them than are mended one at a time;
    found in the indentation of a line past the first, they are all mended together."""
    lines = [f"\u00a0\u00a0\u00a0\u00a0step_{i} = xs[{i}]\n" for i in range(20)]
    code = "def first_steps(xs):\n" + "".join(lines) + "\u00a0\u00a0\u00a0\u00a0return xs\n"
    assert code.count("\u00a0") > MAX_STRAY_FIXES
    mended = without_stray_characters(code)
    assert mended == code.replace("\u00a0", " ")
    assert validate_python(mended, None) == []


def _short_statements(prefix: str, chars: int) -> str:
    """Assignments ``<prefix>0 = 0``, ``<prefix>1 = 1``... until they hold at least ``chars`` characters."""
    lines: list[str] = []
    size = 0
    while size < chars:
        lines.append(f"{prefix}{len(lines)} = {len(lines)}\n")
        size += len(lines[-1])
    return "".join(lines)


def test_a_long_string_that_opens_where_a_piece_starts_is_parsed_whole() -> None:
    """A triple-quoted string of lines at the margin, longer than a piece and starting right
    where a piece starts: the piece takes in the next ones until the string is closed, and the
    tree is the one of a single parse."""
    head = _short_statements("v", PIECE_CHARS)
    text = "TEXT = '''\n" + "".join(f"row {k} at the margin\n" for k in range(2500)) + "'''\n"
    code = head + text + _short_statements("w", 3 * PIECE_CHARS)
    assert len(text) > 3 * PIECE_CHARS
    assert ast.dump(parse(code)) == ast.dump(ast.parse(code))


def _with_error_in_a_middle_piece(statement: str) -> tuple[str, int]:
    """A source of about three pieces with ``statement`` in the second; and its first line."""
    head = _short_statements("v", PIECE_CHARS + PIECE_CHARS // 4)
    code = head + statement + _short_statements("w", 2 * PIECE_CHARS)
    return code, head.count("\n") + 1


@pytest.mark.parametrize(
    "statement",
    ["pair = (1,\n        2 3)\n", 'pair = (1,\n        "abc)\n'],
    ids=["missing comma", "unterminated string in brackets"],
)
def test_an_error_in_a_middle_piece_is_the_one_a_single_parse_reports(statement: str) -> None:
    """An error on the second line of a bracketed statement in the middle of a long source is
    reported as in a short one: the same message, at its line in the whole source (not an
    unclosed bracket where the piece was cut). The line a message itself may name ("detected
    at line ...") counts from the piece's start and is left out of the comparison."""
    code, first = _with_error_in_a_middle_piece(statement)
    [alone] = validate_python(statement, None)
    [problem] = validate_python(code, None)
    assert (problem.line, problem.column) == (first - 1 + alone.line, alone.column)
    assert _without_detected_line(problem.message) == _without_detected_line(alone.message)


def _without_detected_line(message: str) -> str:
    """A syntax error message without the line it says the error was detected at."""
    return re.sub(r" \(detected at line \d+\)", "", message)


def test_a_string_at_the_margin_inside_brackets_across_pieces_parses() -> None:
    """A call whose argument is a triple-quoted string of lines at the margin (a query, say),
    crossing where a piece would end: valid code, parsed to the tree of a single parse."""
    head = _short_statements("v", PIECE_CHARS - 100)
    query = "".join(f"SELECT {k} FROM rows\n" for k in range(400))
    statement = "cursor.execute(\n    1,\n'''\n" + query + "''')\n"
    code = head + statement + _short_statements("w", 2 * PIECE_CHARS)
    assert len(head) < PIECE_CHARS < len(head) + len(statement)
    assert validate_python(code, None) == []
    assert ast.dump(parse(code)) == ast.dump(ast.parse(code))


#: the longest source parsed, as documented: 256 KB
LONGEST_SOURCE = 256 * 1024


def test_a_source_of_256_kb_is_parsed_and_one_character_more_is_refused() -> None:
    """The limit on one file is exactly 256 KB of characters."""
    code = "total = 1\n" + "#" * (LONGEST_SOURCE - len("total = 1\n") - 1) + "\n"
    assert len(code) == LONGEST_SOURCE
    assert validate_python(code, None) == []
    [problem] = validate_python(code + "\n", None)
    assert "256 KB" in problem.message


def test_a_cut_off_block_keeps_the_statements_before_a_stray_bracket_line() -> None:
    """A cut-off block whose middle holds a line of unbalanced brackets and many statements
    after it: the statements before that line are still found and kept."""
    kept = "def total(xs):\n    return sum(xs)\n"
    after = "".join(f"step_{i} = {i}\n" for i in range(2 * TRUNCATION_ATTEMPTS))
    block = RawBlock("pkg/mod.py", kept + ")(\n" + after + "rest = (\n", truncated=True)
    assert repair_truncated(block, None).code == kept


def test_a_decorator_right_before_where_a_piece_would_start_stays_with_its_definition() -> None:
    """A decorated definition whose ``def`` line falls where a piece would start: the piece is
    not cut between the decorator and the definition (a dangling decorator is a plain syntax
    error, not one of a construct the next piece closes), and the tree is that of one parse."""
    head = _short_statements("v", PIECE_CHARS - 40)
    padding = "#" * (PIECE_CHARS - len(head) - len("@register\n") - 1) + "\n"
    code = head + padding + "@register\ndef handler():\n    pass\n" + head
    assert code.index("def handler") == PIECE_CHARS
    assert ast.dump(parse(code)) == ast.dump(ast.parse(code))


def _record_pieces(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every piece of source the real parser is given from now on, in order."""
    pieces: list[str] = []
    parse_whole = syntax._parse_whole

    def recording(code: str, version: tuple[int, int] | None) -> ast.Module:
        pieces.append(code)
        return parse_whole(code, version)

    monkeypatch.setattr(syntax, "_parse_whole", recording)
    return pieces


def test_each_piece_of_a_long_source_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long source of plain statements is parsed as the slices between its cuts, each once,
    none empty and nothing parsed twice."""
    code = _short_statements("v", 3 * PIECE_CHARS)
    pieces = _record_pieces(monkeypatch)
    tree = parse(code)
    ends = [*syntax._cuts(code), len(code)]
    assert len(ends) > 3
    assert pieces == [code[a:b] for a, b in itertools.pairwise(ends)]
    assert ast.dump(tree) == ast.dump(ast.parse(code))


@pytest.mark.parametrize("extra", [0, 1], ids=["exactly the longest piece", "one character more"])
def test_a_statement_of_the_longest_piece_is_parsed_alone_and_a_longer_one_with_the_rest(
    monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    """A first statement of exactly MAX_PIECE_CHARS characters is a piece of its own and the
    statements after it are parsed in pieces; one character longer, it is parsed with the rest of
    the source at once (as documented)."""
    statement = "TEXT = '" + "a" * (MAX_PIECE_CHARS + extra - len("TEXT = ''\n")) + "'\n"
    code = statement + _short_statements("w", 2 * PIECE_CHARS)
    assert len(statement) == MAX_PIECE_CHARS + extra
    pieces = _record_pieces(monkeypatch)
    tree = parse(code)
    if extra:
        assert pieces == [code]
    else:
        assert pieces[0] == statement and len(pieces) > 2 and "".join(pieces) == code
    assert ast.dump(tree) == ast.dump(ast.parse(code))


def test_a_piece_cut_inside_brackets_is_parsed_up_to_the_line_where_they_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A list literal whose lines (at the margin) cross where a piece ends: the statements
    before it are parsed up to the line where the list opens, and the list goes on from that
    line with the next piece (taking in the one after, as the list opens at its start)."""
    head = _short_statements("v", PIECE_CHARS - 50)
    listing = "x = [\n" + "1,\n" * 3000 + "]\n"
    code = head + listing + _short_statements("w", 2 * PIECE_CHARS)
    _, first, second, *rest = [*syntax._cuts(code), len(code)]
    assert len(head) < first < len(head) + len(listing) < second
    pieces = _record_pieces(monkeypatch)
    tree = parse(code)
    opens = len(head)
    assert pieces[:4] == [code[:first], head, code[opens:first], code[opens:second]]
    assert pieces[4:] == [code[a:b] for a, b in itertools.pairwise([second, *rest])]
    assert ast.dump(tree) == ast.dump(ast.parse(code))


def test_a_construct_opening_inside_a_statement_takes_in_just_the_next_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A triple-quoted string at the margin inside a call's brackets, crossing where the first
    piece ends: the statements before the string's line do not parse on their own (the call is
    open), so the first piece takes in the second, and only the second; the pieces after it are
    the slices between the cuts again."""
    head = _short_statements("v", PIECE_CHARS - 100)
    query = "".join(f"SELECT {k} FROM rows\n" for k in range(400))
    statement = "cursor.execute(\n    1,\n'''\n" + query + "''')\n"
    code = head + statement + _short_statements("w", 3 * PIECE_CHARS)
    _, first, second, *rest = [*syntax._cuts(code), len(code)]
    assert len(head) < first < len(head) + len(statement) < second and len(rest) > 1
    pieces = _record_pieces(monkeypatch)
    tree = parse(code)
    string_line = code.index("'''\n")
    assert pieces[:3] == [code[:first], code[:string_line], code[:second]]
    assert pieces[3:] == [code[a:b] for a, b in itertools.pairwise([second, *rest])]
    assert ast.dump(tree) == ast.dump(ast.parse(code))
