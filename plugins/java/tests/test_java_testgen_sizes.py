"""Oversized test data in generated Java tests (issue 20, class 3): capped to the engine's budget,
keeping dimensions and element types; small sizes untouched; the test still parses."""

from __future__ import annotations

import pytest

from codeflash_engine_java.source import Source
from codeflash_engine_java.testgen_sizes import size_edits


def _cap(body: str) -> tuple[str, Source]:
    source = Source.parse("class T {\n  void t() {\n" + body + "\n  }\n}\n")
    capped = source.edited(size_edits(source))
    return capped.code, capped


CAPPED = [
    ("double[][] m = new double[100_000][10_000];", "new double[316][316];"),
    ("long[] b = new long[10 * 1000 * 1000];", "new long[100000];"),
    ("final int N = 1_000_000;\nint[][] a = new int[N][2000];", "final int N = 316;\nint[][] a = new int[N][316];"),
    ("int[][][] c = new int[3][1_000_000][];", "new int[3][33333][];"),
    ('String s = "ab".repeat(1 << 24);', '"ab".repeat(100000);'),
    ("List<Integer> l = Collections.nCopies(10_000_000, 0);", "Collections.nCopies(100000, 0);"),
    ("var xs = IntStream.range(0, 5_000_000).boxed().toList();", "IntStream.range(0, 10000)"),
    (
        "for (int i = 0; i < 1_000_000; i++) {\n for (int j = 0; j <= 999; j++) { f(i, j); }\n}",
        "for (int i = 0; i < 100; i++) {\n for (int j = 0; j <= 99; j++)",
    ),
    ("long[] big = new long[2_000_000];\nassertEquals(2_000_000, big.length);", "assertEquals(100000, big.length);"),
    # a long literal that follows a capped size keeps its suffix
    ("long[] big = new long[2_000_000];\nassertEquals(2_000_000L, (long) big.length);", "assertEquals(100000L, (long)"),
    ("int[] a = new int[1_000_000 << 0];", "new int[100000];"),  # a shift by 0 is a size
]


@pytest.mark.parametrize(("body", "expected"), CAPPED, ids=[c[1] for c in CAPPED])
def test_oversized_java_data_is_capped(body: str, expected: str) -> None:
    code, capped = _cap(body)
    assert expected in code, code
    assert capped.ok
    assert code.count("[") == body.count("[") + 0  # the same dimensions


@pytest.mark.parametrize(
    "body",
    [
        "int[] a = new int[1000];\nint[][] g = new int[3][100];",
        "for (int i = 0; i < 100; i++) { f(i); }",
        'String s = "x".repeat(80);',
        "long seed = 1_000_000_000L;\nint status = 200;",
        "int[] a = new int[1_000_000 << -1];",  # a negative shift is not folded
        "int[] a = new int[1 << 63];",  # nor one past 62
    ],
)
def test_small_java_sizes_are_left_alone(body: str) -> None:
    code, _ = _cap(body)
    assert body in code


def test_the_cleaned_java_test_is_capped() -> None:
    import attrs
    from test_java_testgen import load

    from codeflash_engine import Answer
    from codeflash_engine_java import plugin

    request = load("junit5_assertj")
    text = request.answer.text
    assert "i < 5001" in text
    big = attrs.evolve(request, answer=Answer(text.replace("i < 5001", "i < 50_000_001"), finish_reason="stop"))
    tests = plugin.postprocess_tests(request=big)
    assert tests is not None
    assert "i < 10000" in tests.generated and "i < 10000" in tests.instrumented_perf


def test_a_capped_value_of_exactly_the_consistency_limit_is_only_changed_where_it_is_a_size() -> None:
    code, capped = _cap(
        "for (int i = 0; i < 1000; i++) {\n for (int j = 0; j < 1000; j++) { f(i, j); }\n}\nassertEquals(1000, count);"
    )
    assert "i < 100;" in code and "j < 100;" in code, code
    assert "assertEquals(1000, count);" in code, code
    assert capped.ok
