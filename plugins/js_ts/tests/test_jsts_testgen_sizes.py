"""Oversized test data in generated JavaScript/TypeScript tests (issue 20, class 3): capped to
the engine's budget, keeping the constructors and element types; small sizes untouched."""

from __future__ import annotations

import pytest

from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.testgen_sizes import size_edits

CAPPED = [
    ("const a = new Array(10_000_000).fill(0);", "new Array(100000).fill(0)"),
    ("const N = 1e6;\nconst a = Array(N).fill(0);", "const N = 100000;"),
    ("const b = Array.from({ length: 10 ** 7 }, (_, i) => i);", "Array.from({ length: 100000 }"),
    ("const c = new Float64Array(5_000_000);", "new Float64Array(100000)"),
    ("const u = new Uint8Array(1 << 30);", "new Uint8Array(100000)"),
    ("const s = 'ab'.repeat(1 << 24);", "'ab'.repeat(100000)"),
    ("const buf = Buffer.alloc(2 ** 30);", "Buffer.alloc(100000)"),
    (
        "for (let i = 0; i < 1000000; i++) {\n  for (let j = 0; j < 1000; j += 1) { f(i, j); }\n}",
        "for (let i = 0; i < 100; i++) {\n  for (let j = 0; j < 100; j += 1)",
    ),
    ("expect(new Int32Array(10000000).length).toBe(10000000);", "new Int32Array(100000).length).toBe(100000)"),
]


@pytest.mark.parametrize("language", ["javascript", "typescript"])
@pytest.mark.parametrize(("body", "expected"), CAPPED, ids=[c[1] for c in CAPPED])
def test_oversized_js_data_is_capped(language: str, body: str, expected: str) -> None:
    source = Source.parse(language, body)
    capped = source.edited(size_edits(source), language)
    assert expected in capped.code, capped.code
    assert capped.ok


def test_typescript_types_are_kept() -> None:
    body = "const xs: number[] = new Array<number>(10_000_000).fill(0);"
    source = Source.parse("typescript", body)
    capped = source.edited(size_edits(source), "typescript")
    assert capped.code == "const xs: number[] = new Array<number>(100000).fill(0);" and capped.ok


@pytest.mark.parametrize(
    "body",
    [
        "const a = new Array(50).fill(0);\nconst t = new Int32Array(1024);",
        "for (let i = 0; i < 100; i++) { f(i); }",
        "const big = 10n ** 9n;\nexpect(res.status).toBe(200);",
        "const s = 'x'.repeat(80);",
    ],
)
def test_small_js_sizes_are_left_alone(body: str) -> None:
    source = Source.parse("javascript", body)
    assert source.edited(size_edits(source), "javascript").code == body


def test_the_cleaned_js_test_is_capped() -> None:
    import attrs
    from test_jsts_testgen import load

    from codeflash_engine import Answer
    from codeflash_engine_js_ts import plugin

    request = load("jest_typescript")
    text = request.answer.text
    end = text.rindex("```")
    extra = (
        "\ntest('big', () => {\n  const xs = new Array(10_000_000).fill(1);\n"
        "  expect(xs.length).toBe(10_000_000);\n});\n"
    )
    big = attrs.evolve(request, answer=Answer(text[:end] + extra + text[end:], finish_reason="stop"))
    tests = plugin.postprocess_tests(request=big)
    assert tests is not None
    assert "new Array(100000).fill(1)" in tests.generated and "toBe(100000)" in tests.generated


# the size expressions the engine folds, at their edges (text/sizes.py): what is folded is
# capped, what is not (too large to be a size, or not an integer) is left as written
FOLDED = [
    ("new Array(+1000000)", "new Array(100000)"),  # unary plus
    ("new Array(-5)", "new Array(-5)"),
    ("new Array(1 << 62)", "new Array(100000)"),
    ("new Array(1 << 63)", "new Array(1 << 63)"),  # shifts past 62 are not folded
    ("new Array(2 ** 64)", "new Array(100000)"),
    ("new Array(2 ** 65)", "new Array(2 ** 65)"),  # exponents past 64 are not folded
    ("new Array(65535 ** 2)", "new Array(100000)"),
    ("new Array(65536 ** 2)", "new Array(65536 ** 2)"),  # bases from 2**16 on are not folded
    ("new Array(3000000 / 3)", "new Array(100000)"),
    ("new Array(10 / 3)", "new Array(10 / 3)"),  # not an integer
]


@pytest.mark.parametrize(("expression", "expected"), FOLDED)
def test_folded_size_expressions(expression: str, expected: str) -> None:
    source = Source.parse("javascript", f"const a = {expression};")
    assert source.edited(size_edits(source), "javascript").code == f"const a = {expected};"


@pytest.mark.parametrize(
    ("loop", "expected"),
    [
        ("for (let i = 0; i < 1000001; i += 3) { f(i); }", "i < 30000; i += 3"),  # 10000 iterations of 3
        ("for (let i = 0; i <= 300000; i += 2) { f(i); }", "i <= 19998; i += 2"),
        ("for (let i = 0; i < 10000; i += 1) { f(i); }", "i < 10000; i += 1"),  # within budget
    ],
)
def test_counted_loops_keep_their_step(loop: str, expected: str) -> None:
    source = Source.parse("javascript", loop)
    assert expected in source.edited(size_edits(source), "javascript").code
