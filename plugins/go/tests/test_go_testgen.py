"""Go generated tests: package, pasted code, benchmarks, unique names, and a perf file that the
client's conversion into benchmarks (contract 3.6) turns into code that still parses."""

from __future__ import annotations

import re

import attrs
import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import Answer, CodeFile, Target, TestsRequest
from codeflash_engine_go.source import Source
from codeflash_engine_go.syntax import problems
from codeflash_engine_go.testgen import clean_tests

SOURCE = """\
package textutil

import "strings"

func Slug(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", "-"))
}
"""


def request(answer: str, *, index: int = 0, source: str = SOURCE) -> TestsRequest:
    return TestsRequest(
        language="go",
        language_version="1.22",
        answer=Answer(answer),
        source_code=(CodeFile("textutil/slug.go", source),),
        target=Target.parse("Slug", path="textutil/slug.go"),
        module_path="/home/dev/project/textutil/slug.go",
        test_module_path=f"textutil/slug__unit_test_{index}_test.go",
        test_framework="go-test",
        test_timeout=15,
        fence_tags=("go", "golang"),
    )


MESSY = """\
Sure! Here are the tests.

```go
package main

import (
	"fmt"
	"strings"
	"testing"
)

// Slug is copied here so the test compiles on its own.
func Slug(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", "-"))
}

var cases = []struct{ in, want string }{
	{"Hello World", "hello-world"},
	{"{braces} stay", "{braces}-stay"},
}

func check(t *testing.T, in, want string) {
	if got := Slug(in); got != want {
		t.Errorf("Slug(%q) = %q, want %q", in, got, want)
	}
}

func TestSlug(
	t *testing.T,
) {
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) { check(t, c.in, c.want) })
	}
}

func TestSlugEmpty(t *testing.T) {
	if Slug("") != "" {
		t.Error(`want "" for "}"`)
	}
}

func BenchmarkSlug(b *testing.B) {
	for i := 0; i < b.N; i++ {
		fmt.Sprint(Slug("A B"))
	}
}

func TestMain(m *testing.M) {
	m.Run()
}
```
"""


def to_benchmarks(code: str) -> str:
    """What the contract says the client does with the perf file: each ``func TestX(p *testing.T) {``
    becomes ``func BenchmarkX(p *testing.B) {`` looping ``p.N`` times over the body, whose end is
    found by counting braces; ``*testing.T`` becomes ``*testing.B`` everywhere."""
    header = re.compile(r"^func Test(\w+)\((\w+) \*testing\.T\) \{$", re.MULTILINE)
    out = code
    for match in reversed(list(header.finditer(code))):
        depth, pos = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(out[pos], 0)
            pos += 1
        body = out[match.end() : pos - 1]
        name, param = match.group(1), match.group(2)
        loop = f"func Benchmark{name}({param} *testing.B) {{\n\tfor i := 0; i < {param}.N; i++ {{{body}\t}}\n}}"
        out = out[: match.start()] + loop + out[pos:]
    return out.replace("*testing.T", "*testing.B")


def test_a_messy_answer_is_cleaned(snapshot: SnapshotAssertion) -> None:
    tests = clean_tests(request(MESSY))
    behaviour = tests.instrumented_behavior
    assert tests.generated == behaviour
    assert behaviour.startswith("package textutil\n")
    assert "func Slug(" not in behaviour and "copied here" not in behaviour
    assert "Benchmark" not in behaviour and "TestMain" not in behaviour
    assert '"fmt"' not in behaviour and '"strings"' not in behaviour and '"testing"' in behaviour
    assert "func TestSlug_cf0(t *testing.T) {" in behaviour
    assert "check_cf0(t, c.in, c.want)" in behaviour and "range cases_cf0" in behaviour
    assert "func TestSlug_cf0p(t *testing.T) {" in tests.instrumented_perf
    assert problems(behaviour, "1.22") == [] and problems(tests.instrumented_perf, "1.22") == []
    assert {"behaviour": behaviour, "perf": tests.instrumented_perf} == snapshot


def test_the_perf_file_survives_the_clients_conversion() -> None:
    perf = clean_tests(request(MESSY)).instrumented_perf
    assert "{braces}" not in perf  # escaped: the client counts braces
    converted = to_benchmarks(perf)
    assert problems(converted, "1.22") == [], converted
    names = [f.name for f in Source.parse(converted).functions()]
    assert names == ["check_cf0p", "BenchmarkSlug_cf0p", "BenchmarkSlugEmpty_cf0p"]


def test_the_four_files_of_a_function_declare_no_name_twice() -> None:
    declared: list[str] = []
    for index in (0, 1):
        tests = clean_tests(request(MESSY, index=index))
        for code in (tests.instrumented_behavior, to_benchmarks(tests.instrumented_perf)):
            declared += sorted(Source.parse(code).declared_names())
    assert len(declared) == len(set(declared)) == 16


def test_the_external_test_package_is_kept() -> None:
    answer = (
        '```go\npackage textutil_test\n\nimport (\n\t"testing"\n\n\t"example.com/project/textutil"\n)\n\n'
        'func TestSlug(t *testing.T) {\n\tif textutil.Slug("A") != "a" {\n\t\tt.Fail()\n\t}\n}\n```\n'
    )
    code = clean_tests(request(answer)).instrumented_behavior
    assert code.startswith("package textutil_test\n")
    assert '"example.com/project/textutil"' in code and "textutil.Slug(" in code


def test_a_missing_package_clause_and_testing_import_are_added() -> None:
    answer = '```go\nfunc TestSlug(t *testing.T) {\n\tif Slug("A B") != "a-b" {\n\t\tt.Fail()\n\t}\n}\n```'
    code = clean_tests(request(answer)).instrumented_behavior
    assert code.startswith('package textutil\n\nimport (\n\t"testing"\n)\n')


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("No tests, sorry.", "no Go code block"),
        ("```go\npackage textutil\n\nfunc TestSlug(t *testing.T) {\n\tif (\n}\n```", "does not parse"),
        ("```go\npackage textutil\n\nfunc helper() int {\n\treturn 1\n}\n```", "no Test function"),
    ],
)
def test_unusable_answers_raise_value_error(answer: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clean_tests(request(answer))


def test_a_cut_off_answer_raises_value_error() -> None:
    answer = '```go\nfunc TestSlug(t *testing.T) {\n\tif Slug("A B") != "a-b" {\n\t\tt.Fail()\n\t}\n}\n```'
    cut = request(answer)
    with pytest.raises(ValueError, match="cut off by the token limit"):
        clean_tests(attrs.evolve(cut, answer=attrs.evolve(cut.answer, finish_reason="length")))
