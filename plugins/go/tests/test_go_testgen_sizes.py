"""Oversized test data in generated Go tests (issue 20, class 3): capped to the engine's budget,
keeping the slice types; small sizes untouched; the test still parses."""

from __future__ import annotations

import pytest

from codeflash_engine_go.source import Source
from codeflash_engine_go.testgen_sizes import size_edits


def _cap(body: str) -> Source:
    source = Source.parse("package p\n\n" + body + "\n")
    return source.edited(size_edits(source))


CAPPED = [
    ("func f() { a := make([]int, 10_000_000); _ = a }", "make([]int, 100000)"),
    ("const N = 1_000_000\n\nfunc f() { a := make([]float64, N); _ = a }", "const N = 100000"),
    ("func f() { m := make([][]float64, 5_000_000); _ = m }", "make([][]float64, 100000)"),
    ("func f() { x := make([]int, 5_000_000, 6_000_000); _ = x }", "make([]int, 100000, 100000)"),
    ("func f() { b := make([]byte, 1e9); _ = b }", "make([]byte, 100000)"),
    ('func f() { s := strings.Repeat("ab", 1<<24); _ = s }', 'strings.Repeat("ab", 100000)'),
    (
        "func f() {\n\tfor i := 0; i < 1e6; i++ {\n\t\tfor j := 0; j <= 999; j += 1 {\n\t\t}\n\t}\n}",
        "for i := 0; i < 100; i++ {\n\t\tfor j := 0; j <= 99; j += 1",
    ),
    ("func f() { for i := range 100_000_000 { _ = i } }", "for i := range 10000 {"),
    (
        "func TestX(t *testing.T) {\n\tif len(make([]int, 2_000_000)) != 2_000_000 {\n\t\tt.Fatal()\n\t}\n}",
        "len(make([]int, 100000)) != 100000",
    ),
]


@pytest.mark.parametrize(("body", "expected"), CAPPED, ids=[c[1] for c in CAPPED])
def test_oversized_go_data_is_capped(body: str, expected: str) -> None:
    capped = _cap(body)
    assert expected in capped.code, capped.code
    assert not capped.root.has_error


@pytest.mark.parametrize(
    "body",
    [
        "func f() { ok := make([]int, 100); m := make(map[int]int, 1_000_000); _, _ = ok, m }",
        "func f() { for i := 0; i < 100; i++ {} }",
        'func f() { s := strings.Repeat("x", 80); _ = s }',
        "func f(t *testing.T) { if code != 200 { t.Fatal() } }",
    ],
)
def test_small_go_sizes_are_left_alone(body: str) -> None:
    assert _cap(body).code == "package p\n\n" + body + "\n"


def test_the_cleaned_go_test_is_capped() -> None:
    from codeflash_engine import Answer, CodeFile, Target, TestsRequest
    from codeflash_engine_go.testgen import clean_tests

    source = 'package textutil\n\nimport "strings"\n\nfunc Slug(s string) string { return strings.ToLower(s) }\n'
    answer = (
        '```go\npackage textutil\n\nimport "testing"\n\nfunc TestBig(t *testing.T) {\n'
        '\txs := make([]string, 50_000_000)\n\tfor i := range xs {\n\t\txs[i] = Slug("A b")\n\t}\n'
        "\tif len(xs) != 50_000_000 {\n\t\tt.Fatal()\n\t}\n}\n```\n"
    )
    request = TestsRequest(
        language="go",
        language_version="1.22",
        answer=Answer(answer, finish_reason="stop"),
        source_code=(CodeFile("textutil/slug.go", source),),
        target=Target.parse("Slug", path="textutil/slug.go"),
        module_path="/home/dev/project/textutil/slug.go",
        test_module_path="textutil/slug__unit_test_0_test.go",
        test_framework="go-test",
        test_timeout=15,
        fence_tags=("go", "golang"),
    )
    tests = clean_tests(request)
    assert "make([]string, 100000)" in tests.generated and "len(xs) != 100000" in tests.generated
    assert "make([]string, 100000)" in tests.instrumented_perf
