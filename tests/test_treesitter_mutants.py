"""The tree-sitter helpers the plugins share: syntax problems as the user reads them, queries in
document order, walks and leaves, byte edits, and the spans a plugin removes a definition by (written
against the survivors of ``scripts/mutation.py plugins.treesitter``)."""

from __future__ import annotations

from typing import ClassVar

import attrs
import pytest
import tree_sitter_javascript
from tree_sitter import Language, Node

from codeflash_engine.plugins.treesitter import (
    MAX_PROBLEMS,
    Edit,
    Source,
    apply_edits,
    captures,
    leaves,
    matches,
    parse,
    syntax_problems,
    walk,
)
from codeflash_engine.plugins.types import SyntaxProblem

JS = Language(tree_sitter_javascript.language())


@attrs.frozen
class JsSource(Source):
    comment_types: ClassVar[frozenset[str]] = frozenset({"comment"})

    @classmethod
    def of(cls, code: str) -> JsSource:
        return cls(code=code, data=code.encode("utf-8"), tree=parse(JS, code))


def _problems(code: str) -> list[SyntaxProblem]:
    return syntax_problems(parse(JS, code))


@pytest.mark.parametrize(
    ("code", "problems"),
    [
        ("let x = 1;\n", []),
        ("let x = ;\n", [SyntaxProblem(1, 7, "unexpected '='")]),
        ("let a = (1 + 2;\nlet b = (3;\n", [SyntaxProblem(1, 15, "missing ')'"), SyntaxProblem(2, 11, "missing ')'")]),
        ("let x = 1;\n)\n)\n)\n", [SyntaxProblem(2, 1, "unexpected ')'")]),
        ("f(a " + "b" * 60 + " c);", [SyntaxProblem(1, 5, "unexpected '" + "b" * 40 + "'")]),
        (
            "if (x) { let = ; } let z = 1; )",
            [SyntaxProblem(1, 14, "unexpected '='"), SyntaxProblem(1, 31, "unexpected ')'")],
        ),
        ("let a = 1;\n(\n  b c d\n  e f\n", [SyntaxProblem(2, 1, "unexpected '('")]),
    ],
)
def test_syntax_problems_are_one_based_and_name_what_is_wrong(code: str, problems: list[SyntaxProblem]) -> None:
    """Each ERROR node (not the errors nested in it) and each MISSING node, in document order, at
    its 1-based line and column: what is missing, or the first line of the unexpected text cut to
    40 characters."""
    assert _problems(code) == problems
    assert JsSource.of(code).problems() == problems
    assert JsSource.of(code).ok is (not problems)


def test_at_most_max_problems_are_reported() -> None:
    assert _problems("f(a b);\n" * MAX_PROBLEMS) == [SyntaxProblem(n, 5, "unexpected 'b'") for n in range(1, 21)]
    assert _problems("f(a b);\n" * (MAX_PROBLEMS + 5)) == _problems("f(a b);\n" * MAX_PROBLEMS)
    assert MAX_PROBLEMS == 20


def test_captures_are_in_document_order_and_matches_in_match_order() -> None:
    code = "function b() { return a; }\nconst c = d;\n"
    root = parse(JS, code).root_node
    found = captures(JS, "(identifier) @id (number) @num", root)
    assert [n.text for n in found["id"]] == [b"b", b"a", b"c", b"d"]
    assert "num" not in found
    pairs = matches(JS, "(variable_declarator name: (identifier) @name value: (identifier) @value)", root)
    assert [(m["name"][0].text, m["value"][0].text) for m in pairs] == [(b"c", b"d")]
    assert matches(JS, "(number) @n", root) == []


def test_walk_yields_named_nodes_in_document_order_and_prunes_below_a_node() -> None:
    source = JsSource.of("f(g(1), h(2));\nk();")
    calls = [source.text(n) for n in walk(source.root) if n.type == "call_expression"]
    assert calls == ["f(g(1), h(2))", "g(1)", "h(2)", "k()"]
    assert all(n.is_named for n in walk(source.root))
    assert [n.type for n in walk(source.root)][:3] == ["program", "expression_statement", "call_expression"]

    def outer_call(node: Node) -> bool:
        return node.type == "call_expression"

    pruned = [source.text(n) for n in walk(source.root, prune=outer_call) if n.type == "call_expression"]
    assert pruned == ["f(g(1), h(2))", "k()"]  # the calls inside f(...) are not visited
    statement = source.root.named_children[0].named_children[0]
    assert statement.type == "call_expression"
    inside = [source.text(n) for n in walk(statement, prune=outer_call) if n.type == "call_expression"]
    assert inside == ["f(g(1), h(2))", "g(1)", "h(2)"]  # the node walked is always entered


def test_leaves_stay_under_their_node_and_a_comment_type_is_one_leaf() -> None:
    root = parse(JS, "let s = 'ab';\nx;\n").root_node
    first = root.named_children[0]
    assert [n.text for n in leaves(first)] == [b"let", b"s", b"=", b"'", b"ab", b"'", b";"]
    assert [n.text for n in leaves(first, {"string"})] == [b"let", b"s", b"=", b"'ab'", b";"]
    assert [n.text for n in leaves(root)][-2:] == [b"x", b";"]
    single = root.named_children[1].named_children[0]
    assert [n.text for n in leaves(single)] == [b"x"]


@pytest.mark.parametrize(
    ("edits", "result"),
    [
        ([], b"0123456789"),
        ([Edit(2, 4, b"ab")], b"01ab456789"),
        ([Edit(6, 8, b"Y"), Edit(1, 2, b"X")], b"0X2345Y89"),
        ([Edit(2, 5, b"A"), Edit(4, 7, b"B")], b"01A56789"),
        ([Edit(8, 9, b"C"), Edit(4, 7, b"B"), Edit(2, 5, b"A")], b"01A567C9"),
        ([Edit(2, 4, b"A"), Edit(4, 6, b"B")], b"01AB6789"),
        ([Edit(3, 5, b"R"), Edit(3, 3, b"I")], b"012IR56789"),
        ([Edit(10, 10, b"!")], b"0123456789!"),
        ([Edit(0, 10, b"")], b""),
    ],
)
def test_edits_apply_in_order_of_position_and_an_overlapping_one_is_skipped(edits: list[Edit], result: bytes) -> None:
    assert apply_edits(b"0123456789", edits) == result


CODE = (
    "let a = 1;\n"  # 0
    "// zero\n"
    "\n"
    "// one\n"
    "// two\n"
    "function f() {}\n"
    "\n"
    "\n"
    "let b = 2; function g() {}\n"
    "  /* c */ let h = 3;  \n"
    "\n"
    "class K {}"
)


def _top(source: JsSource, text: str) -> Node:
    return next(n for n in source.root.named_children if source.text(n) == text)


def test_node_text_and_spans() -> None:
    source = JsSource.of("let é = 'ü';\n")
    node = source.root.named_children[0]
    assert source.text(node) == "let é = 'ü';"
    assert source.text(None) == ""
    assert source.span(4, 6) == "é"
    assert source.span(node.start_byte, node.end_byte) == "let é = 'ü';"


def test_a_node_alone_on_its_lines_spans_whole_lines() -> None:
    source = JsSource.of(CODE)
    f = _top(source, "function f() {}")
    start, end = source.line_span(f)
    assert source.span(start, end) == "function f() {}\n"
    g = _top(source, "function g() {}")
    assert source.line_span(g) == (g.start_byte, g.end_byte)
    b = _top(source, "let b = 2;")
    assert source.line_span(b) == (b.start_byte, b.end_byte)
    h = _top(source, "let h = 3;")
    assert source.line_span(h) == (h.start_byte, h.end_byte)
    k = _top(source, "class K {}")
    assert source.span(*source.line_span(k)) == "class K {}"
    a = _top(source, "let a = 1;")
    assert source.span(*source.line_span(a)) == "let a = 1;\n"
    comment = _top(source, "/* c */")
    assert source.whole_lines(comment.start_byte, h.end_byte) == (comment.start_byte - 2, h.end_byte + 3)


def test_comments_right_above_belong_to_the_node() -> None:
    source = JsSource.of(CODE)
    f = _top(source, "function f() {}")
    assert source.text(source.comments_above(f)) == "// one"
    a = _top(source, "let a = 1;")
    assert source.comments_above(a) == a
    g = _top(source, "function g() {}")
    assert source.comments_above(g) == g  # a declaration above, not a comment
    spaced = JsSource.of("// far\n\nfunction f() {}\n")
    fn = spaced.root.named_children[1]
    assert spaced.comments_above(fn) == fn


def test_removing_a_node_leaves_one_blank_line() -> None:
    source = JsSource.of(CODE)
    f = _top(source, "function f() {}")
    start, end = source.removal_span(f)
    assert source.span(start, end) == "// one\n// two\nfunction f() {}\n\n\n"
    rest = source.data[:start] + source.data[end:]
    assert rest.decode() == CODE.replace("// one\n// two\nfunction f() {}\n\n\n", "")
    assert "// zero\n\nlet b = 2;" in rest.decode()


def test_removing_the_first_member_of_a_block_leaves_no_blank_line_at_its_top() -> None:
    code = "class A {\n  // first\n  m() {}\n\n  n() {}\n}\n"
    source = JsSource.of(code)
    body = source.root.named_children[0].child_by_field_name("body")
    assert body is not None
    start, end = source.removal_span(body.named_children[1])
    assert (source.data[:start] + source.data[end:]).decode() == "class A {\n  n() {}\n}\n"
    inline = JsSource.of("class A { m() {}\n\n  n() {}\n}\n")  # code after the brace: the blank line stays
    body = inline.root.named_children[0].child_by_field_name("body")
    assert body is not None
    start, end = inline.removal_span(body.named_children[0])
    assert inline.span(start, end) == "m() {}"


def test_removing_a_class_field_takes_the_semicolon_after_it() -> None:
    """JavaScript keeps a field's ``;`` as the class body's child, after the field."""
    source = JsSource.of("class A {\n  // n\n  static N = 1;\n  x = 2 ;\n  m() {}\n}\n")
    body = source.root.named_children[0].child_by_field_name("body")
    assert body is not None
    fields = [n for n in body.named_children if n.type == "field_definition"]
    assert [source.span(*source.removal_span(f)) for f in fields] == ["  // n\n  static N = 1;\n", "  x = 2 ;\n"]
    method = next(n for n in body.named_children if n.type == "method_definition")
    assert source.span(*source.removal_span(method)) == "  m() {}\n"  # a `}` after it is not taken


def test_blank_lines_are_kept_after_a_node_with_code_right_above() -> None:
    source = JsSource.of("let a = 1;\nfunction f() {}\n\nlet b = 2;\n")
    f = source.root.named_children[1]
    assert source.span(*source.removal_span(f)) == "function f() {}\n"


def test_blank_lines_after_a_node_at_the_start_of_the_file_go_with_it() -> None:
    source = JsSource.of("  \nfunction f() {}\n \n\t\nlet b = 2;\n")
    f = source.root.named_children[0]
    assert source.span(*source.removal_span(f)) == "function f() {}\n \n\t\n"
    last = JsSource.of("function f() {}\n\n   ")
    assert last.span(*last.removal_span(last.root.named_children[0])) == "function f() {}\n\n   "


def test_a_node_on_the_second_line_after_an_empty_first_line() -> None:
    """The line of a node starts after the newline before it, even when that newline is the
    file's first byte."""
    source = JsSource.of("\nfunction f() {}\n")
    f = source.root.named_children[0]
    assert source.line_span(f) == (1, len(source.data))
    assert source.removal_span(f) == (1, len(source.data))


def test_an_empty_span_on_an_empty_first_line_widens_to_that_line_only() -> None:
    source = JsSource.of("\nlet a = 1;\n")
    assert source.whole_lines(0, 0) == (0, 1)
    assert source.blank_lines_after(0, 1) == 1  # code follows the blank line
    assert source.blank_lines_after(0, 0) == 1  # the empty first line, then code
