"""Java sources: the indentation of a node read from its own line, and the bytes removed with
a definition; and which numbers of a generated test are sizes to cap (counted loops, streams,
ranges) and which are left as written (written against the survivors of ``scripts/mutation.py``
for ``java.source`` and ``java.testgen_sizes``)."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine_java.source import Source
from codeflash_engine_java.testgen_sizes import size_edits


@pytest.mark.parametrize(
    ("code", "indent"),
    [
        ("class A {}\n", ""),
        ("  class A {}\n", "  "),
        ("\n  class A {}\n", "  "),
        ("\n\tclass A {}\n", "\t"),
        ("// c\n    class A {}\n", "    "),
        ("int x; class A {}\n", ""),
    ],
)
def test_the_indent_of_a_node_is_the_whitespace_before_it_on_its_own_line(code: str, indent: str) -> None:
    """Only the node's line counts (a line break at the very start of the code included), and
    code before the node on that line means no indentation."""
    source = Source.parse(code)
    node = next(n for n in source.root.named_children if n.type == "class_declaration")
    assert source.indent_of(node) == indent


def test_a_block_span_takes_the_javadoc_and_the_blank_lines_after() -> None:
    code = "class A {\n    int a;\n\n    /** Doc. */\n    void f() {}\n\n    int b;\n}\n"
    source = Source.parse(code)
    body = source.root.named_children[0].child_by_field_name("body")
    assert body is not None
    method = next(n for n in body.named_children if n.type == "method_declaration")
    start, end = source.block_span(method)
    assert code[:start] + code[end:] == "class A {\n    int a;\n\n    int b;\n}\n"


def test_an_edited_source_is_parsed_again() -> None:
    code = "class A { int a; }\n"
    source = Source.parse(code)
    at = code.index("a;")
    edited = source.edited([Edit(at, at + 1, b"total")])
    assert edited.code == "class A { int total; }\n"
    assert edited.ok
    assert "total" in edited.text(edited.root)


# ---------------------------------------------------------------------- generated tests' sizes


def _capped(body: str) -> str:
    code = "class T {\n  void t() {\n" + body + "\n  }\n}\n"
    source = Source.parse(code)
    capped = source.edited(size_edits(source))
    assert capped.ok
    head, tail = "class T {\n  void t() {\n", "\n  }\n}\n"
    assert capped.code.startswith(head) and capped.code.endswith(tail)
    return capped.code[len(head) : -len(tail)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "for (int i = 0; i < 1_000_000; i += 4) { f(i); }",
            "for (int i = 0; i < 40000; i += 4) { f(i); }",
        ),
        (
            "final int STEP = 2;\nfor (int i = 10; i <= 1_000_000; i += STEP) { f(i); }",
            "final int STEP = 2;\nfor (int i = 10; i <= 20008; i += STEP) { f(i); }",
        ),
        (
            "var xs = Stream.generate(() -> 1).limit(10_000_000).toList();",
            "var xs = Stream.generate(() -> 1).limit(100000).toList();",
        ),
        (
            "var xs = LongStream.rangeClosed(1, 5_000_000).sum();",
            "var xs = LongStream.rangeClosed(1, 10000).sum();",
        ),
    ],
)
def test_steps_streams_and_ranges_are_capped(body: str, expected: str) -> None:
    """A ``+=`` loop keeps its step (10,000 iterations of it), a ``limit`` is capped to the
    element budget, a closed range to the loop budget."""
    assert _capped(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "for (int i = 1; i < 1_073_741_824; i *= 2) { f(i); }",
        "for (int i = 0; i < 1_000_000; i -= 1) { f(i); }",
        "int j = 0;\nfor (int i = 0; i < 1_000_000; j += 1) { f(i); }",
        "for (int i = 0; j < 1_000_000; i++) { f(i); }",
        "for (int i = 0, j = 0; i < 1_000_000; i++) { f(i, j); }",
        "int i = 0;\nfor (; i < 1_000_000; i++) { f(i); }",
        "for (int i = 0; ; i++) { if (i > 1_000_000) break; }",
        "for (int i = 0; i < 1_000_000;) { f(i++); }",
        "for (int i = 0; i < 1_000_000; i += n) { f(i); }",
        "list.add(10_000_000);",
        "limiter.limit(10_000_000, 1);",
        "var s = stream.limit();",
        "var m = Math.max(0, 10_000_000);",
        "var xs = IntStream.of(0, 10_000_000).sum();",
        "var xs = Other.range(0, 10_000_000);",
        "var l = Other.nCopies(10_000_000, 0);",
        "var s = text.repeat(10_000_000, 1);",
    ],
)
def test_numbers_that_are_no_sizes_are_left_alone(body: str) -> None:
    """Only counted loops of their own variable (``++`` or ``+=`` a known step), and the listed
    calls with their argument count, are sizes."""
    assert _capped(body) == body


def test_a_declaration_without_a_value_is_no_second_binding() -> None:
    """``int n;`` in another method does not make ``n`` ambiguous: its one value is capped."""
    code = (
        "class T {\n  static final int N = 10_000_000;\n"
        "  void t() { int[] a = new int[N]; }\n  void u() { int N; }\n}\n"
    )
    source = Source.parse(code)
    capped = source.edited(size_edits(source))
    assert capped.code == code.replace("10_000_000", "100000")
