"""The Go plugin's pieces one by one: the names a file declares, imports and uses, the package a
file's imports bind, how a candidate's signatures are compared and restored, and how a generated
test is renamed, pruned and made safe for the client's benchmark conversion (written against the
survivors of ``scripts/mutation.py`` for ``go.source``, ``go.candidates`` and ``go.testgen``)."""

from __future__ import annotations

import hashlib

import attrs
import pytest

from codeflash_engine import Answer, CandidatesRequest, CodeFile, Target, Task, TestsRequest
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import Outcome
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine_go import plugin
from codeflash_engine_go.candidates import postprocess, target_of, triage
from codeflash_engine_go.source import ImportSpec, Source, receiver_type
from codeflash_engine_go.testgen import clean_tests

# ------------------------------------------------------------------------------------- source

FILE = """\
package p

import (
	m "math"
	_ "embed"
	"strings"
)
import "fmt"

type T struct{ n int }
type (
	U = int
	V[K comparable] map[K]int
)

var a, b = 1, 2
const c = 3

func F(x int, ys ...int) (r int) {
	z := 1
	for i, v := range ys {
		_ = i + v
	}
	var w int
	return z + w + m.MaxInt8 + len(strings.Repeat("x", 2)) + len(fmt.Sprint(x))
}

func (t *T) M(s bytes.Buffer) {}

func (V[K]) N() {}
"""


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("gopkg.in/yaml.v3", "yaml"),
        ("github.com/mattn/go-sqlite3", "sqlite3"),
        ("github.com/x/y/v2", "y"),
        ("v2", "v2"),
        ("math/bits", "bits"),
        ("fmt", "fmt"),
    ],
)
def test_the_name_an_import_binds_is_guessed_from_its_path(path: str, name: str) -> None:
    assert ImportSpec(path, None, f'"{path}"').name == name
    assert ImportSpec(path, "alias", f'alias "{path}"').name == "alias"


def test_imports_of_every_declaration_with_their_aliases() -> None:
    found = [(i.path, i.alias, i.text) for i in Source.parse(FILE).imports()]
    assert found == [
        ("math", "m", 'm "math"'),
        ("embed", "_", '_ "embed"'),
        ("strings", None, '"strings"'),
        ("fmt", None, '"fmt"'),
    ]


def test_functions_methods_and_their_receivers() -> None:
    source = Source.parse(FILE)
    assert [(f.key, f.qualified) for f in source.functions()] == [
        (("", "F"), "F"),
        (("T", "M"), "T.M"),
        (("V", "N"), "V.N"),
    ]
    assert source.package_name() == "p"
    assert Source.parse("func F() {}\n").package_name() is None
    [function] = Source.parse("func F() {}\n").functions()
    assert receiver_type(Source.parse("func F() {}\n"), function.node) == ""


def test_declared_local_and_selector_names() -> None:
    source = Source.parse(FILE)
    assert source.declared_names() == {"T", "U", "V", "a", "b", "c", "F"}
    assert source.local_names() == {"x", "ys", "r", "z", "i", "v", "w", "a", "b", "c", "t", "s"}
    assert source.selector_operands() == {"m", "strings", "fmt", "bytes"}


# ------------------------------------------------------------------------------------- candidates

SERIES = """\
package stats

type A []int
type B []int

func (a A) Len() int { return len(a) }

func (b B) Len() int { return len(b) }

func Mean(xs []float64) float64 { return 0 }

func Parse(s string) (float64, error) { return 0, nil }

func Join(sep string, parts ...string) string { return "" }

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	return min(v, hi)
}

func Describe(values []float64) string {
	return "x"
}
"""
STATS = (CodeFile("stats/stats.go", SERIES),)
HOST = PluginHost()
HOST.load(eps=[])
HOST.register(plugin, "go")


def _request(*answers: str, files: tuple[CodeFile, ...] = STATS, target: str | None = "Mean") -> CandidatesRequest:
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="go",
        language_version="1.22",
        original=files,
        answers=tuple(read_answer(HOST, "go", a, original=files) for a in answers),
        target=Target.parse(target, path=files[0].path) if target else None,
        fence_tags=("go", "golang"),
    )


def _block(code: str, path: str = "stats/stats.go") -> str:
    return f"Faster.\n\n```go:{path}\n{code.strip()}\n```\n"


def _outcome(answer: str, **kwargs: object) -> Outcome:
    [only] = triage(_request(answer, **kwargs))  # type: ignore[arg-type]
    return only


def _code(answer: str, **kwargs: object) -> str:
    result = _outcome(answer, **kwargs)
    assert result.candidate is not None, result.reason
    return result.candidate.files[0].code


def test_the_target_is_found_by_receiver_and_name_then_by_name() -> None:
    path = "stats/stats.go"
    assert target_of(STATS, Target.parse("B.Len")) == Target("Len", "B.Len", "B", path)
    assert target_of(STATS, Target.parse("Len")) == Target("Len", "A.Len", "A", path)
    assert target_of(STATS, Target.parse("Mean")) == Target("Mean", "Mean", None, path)
    assert target_of(STATS) == Target("Len", "A.Len", "A", path)
    missing = Target.parse("Nope")
    assert target_of(STATS, missing) is missing
    assert target_of((), missing) is missing


def test_headers_come_back_with_the_answers_parameter_names() -> None:
    answer = (
        "func Describe(vals   []float64) string {\n\treturn fmt.Sprint(len(vals))\n}\n\n"
        "func Helper() int { return 1 }\n\n"
        "func Mean(xs []float64) float64 {\n\t// ... unchanged\n}\n\n"
        "func clamp(v int, lo int, hi int) int {\n\treturn max(lo, min(v, hi))\n}\n"
    )
    code = _code(_block(answer), target="Describe")
    assert "func Describe(vals []float64) string {\n\treturn fmt.Sprint(len(vals))\n}" in code
    assert "func Mean(xs []float64) float64 { return 0 }" in code
    assert "func clamp(v, lo, hi int) int {\n\treturn max(lo, min(v, hi))\n}" in code
    assert '"fmt"' in code


@pytest.mark.parametrize("comment", ["// unchanged", "// keep the existing logic", "// ..."])
def test_each_placeholder_wording_brings_the_original_body_back(comment: str) -> None:
    answer = (
        "func Mean(xs []float64) float64 {\n\treturn 1\n}\n\n"
        f"func Describe(values []float64) string {{\n\t{comment}\n}}\n"
    )
    code = _code(_block(answer))
    assert 'func Describe(values []float64) string {\n\treturn "x"\n}' in code


def test_unnamed_and_variadic_parameters_are_part_of_the_signature() -> None:
    result_type = _block("func Parse(s string) (float32, error) { return 0, nil }")
    assert _outcome(result_type, target="Parse").reason == "rejected: the answer changed the signature of Parse"
    variadic = _block("func Join(sep string, parts []string) string { return sep }")
    assert _outcome(variadic, target="Join").reason == "rejected: the answer changed the signature of Join"
    commented = _block('func Join(sep string, /* the rest */ parts ...string) string { return "y" + sep }')
    assert "/* the rest */" not in _code(commented, target="Join")


def test_a_changed_operator_is_a_change() -> None:
    code = _code(
        _block("func clamp(v, lo, hi int) int {\n\tif v <= lo {\n\t\treturn lo\n\t}\n\treturn min(v, hi)\n}\n")
    )
    assert "if v <= lo {" in code


def test_a_rejection_names_the_first_problem() -> None:
    answer = _block("x := 1\n\ny := 2\n\nfunc Mean(xs []float64) float64 { return 1 }\n")
    reason = _outcome(answer).reason
    assert reason.startswith("rejected: stats/stats.go: line 3,"), reason


def test_a_refinement_carries_over_only_the_base_helpers_it_still_uses() -> None:
    base = SERIES + "\nfunc fast(x float64) float64 { return x }\n\nfunc unused() int { return 2 }\n"
    refined = _block("func Mean(xs []float64) float64 {\n\treturn fast(xs[0])\n}\n")
    request = attrs.evolve(_request(refined), task=Task.REFINE, base=(CodeFile("stats/stats.go", base),))
    [candidate] = postprocess(request)
    code = candidate.files[0].code
    assert "func fast(x float64) float64 { return x }" in code
    assert "unused" not in code


def test_a_body_for_a_function_the_original_declares_without_one_is_rejected() -> None:
    """``func add(x, y int) int`` with no body is implemented in assembly: a Go body would clash."""
    files = (CodeFile("a/a.go", "package a\n\nfunc add(x, y int) int\n\nfunc Mean() int { return 1 }\n"),)
    answer = _block("func add(x, y int) int { return x + y }", "a/a.go")
    reason = _outcome(answer, files=files, target="Mean").reason
    assert reason == "rejected: the answer gave a body to add, which the original declares without one"


def test_an_answer_that_only_adds_comments_is_identical_to_the_original() -> None:
    answer = _block("func Mean(xs []float64) float64 {\n\t// Nothing to gain.\n\treturn 0\n}\n")
    assert _outcome(answer).reason == "identical to the original once normalised"


def test_a_broken_function_in_the_wrong_file_is_rejected_where_it_was_written() -> None:
    files = (
        CodeFile("stats/stats.go", SERIES),
        CodeFile("stats/util.go", "package stats\n\nfunc half(x int) int {\n\treturn x / 2\n}\n"),
    )
    answer = _block("func Mean(xs []float64) float64 { return 1 }\n\nfunc half(x int) int {\n\treturn (x / 2\n}\n")
    assert _outcome(answer, files=files).reason.startswith("rejected: stats/stats.go: does not parse (line ")


def test_a_parse_error_names_the_first_problem() -> None:
    answer = _block("func Mean(xs []float64) float64 {\n\treturn 0 }\n\nfunc x( {\n\n}\nfunc y( {}\n")
    assert _outcome(answer).reason == "rejected: stats/stats.go: does not parse (line 4, column 8: missing ')')"


# ------------------------------------------------------------------------------------- testgen

SLUG = "package textutil\n\nfunc Slug(s string) string {\n\treturn s\n}\n"


def _tests_request(
    code: str,
    *,
    source: str | None = SLUG,
    module_path: str = "/home/dev/project/textutil/slug.go",
    test_module_path: str = "textutil/slug__unit_test_0_test.go",
    version: str = "1.22",
) -> TestsRequest:
    return TestsRequest(
        language="go",
        language_version=version,
        answer=Answer(f"Tests.\n\n```go\n{code}```\n"),
        source_code=(CodeFile("textutil/slug.go", source),) if source is not None else (),
        target=Target.parse("Slug", path="textutil/slug.go"),
        module_path=module_path,
        test_module_path=test_module_path,
        test_framework="go-test",
        test_timeout=15,
        fence_tags=("go", "golang"),
    )


def _behaviour(code: str, **kwargs: object) -> str:
    return clean_tests(_tests_request(code, **kwargs)).generated  # type: ignore[arg-type]


TEST = 'import "testing"\n\nfunc TestSlug(t *testing.T) {\n\tif Slug("a") != "a" {\n\t\tt.Fail()\n\t}\n}\n'


def test_the_package_is_the_sources_then_its_folders_then_the_answers_then_main() -> None:
    other_folder = _behaviour(f"package main\n\n{TEST}", module_path="/x/other/slug.go")
    assert other_folder.startswith("package textutil\n")
    folder = _behaviour(f"package main\n\n{TEST}", source="func Slug(s string) string { return s }\n")
    assert folder.startswith("package textutil\n")
    answers = _behaviour(f"package foo\n\n{TEST}", source=None, module_path="/x/my-pkg/slug.go")
    assert answers.startswith("package foo\n")
    assert _behaviour(TEST, source=None, module_path="").startswith("package main\n")


def test_a_dropped_benchmark_takes_its_doc_comment_but_not_a_comment_a_blank_line_above() -> None:
    filler = "".join(f"var v{i} = {i}\n" for i in range(20))
    code = (
        f"package textutil\n\n{TEST}\n{filler}\n// Keep me.\n\n// Old.\n"
        "func BenchmarkSlug(b *testing.B) {}\n\nfunc BenchmarkTwo(b *testing.B) {} // inline\n"
    )
    behaviour = _behaviour(code)
    assert "// Keep me.\n" in behaviour
    assert "Old" not in behaviour and "Benchmark" not in behaviour
    assert behaviour.endswith("var v19_cf0 = 19\n\n// Keep me.\n\n // inline\n")


def test_headers_are_put_on_one_line_keeping_the_parameter_name_and_helpers_alone() -> None:
    code = (
        'package textutil\n\nimport "testing"\n\nfunc helper(\n\tt *testing.T,\n) bool {\n\treturn t != nil\n}\n\n'
        "func TestSlug(\n\ttt *testing.T,\n) {\n\thelper(tt)\n}\n"
    )
    behaviour = _behaviour(code)
    assert "func helper_cf0(\n\tt *testing.T,\n) bool {" in behaviour
    assert "func TestSlug_cf0(tt *testing.T) {\n\thelper_cf0(tt)\n}" in behaviour


def test_renaming_spares_package_members_and_struct_keys() -> None:
    code = (
        'package textutil\n\nimport (\n\t"strings"\n\t"testing"\n)\n\ntype Builder struct{}\n\nvar want = "a"\n\n'
        "func TestSlug(t *testing.T) {\n\tvar sb strings.Builder\n\tvar own Builder\n"
        '\tcases := []struct{ in, want string }{{in: "a", want: want}}\n'
        "\t_, _, _ = sb, own, cases\n}\n"
    )
    behaviour = _behaviour(code)
    assert "var sb strings.Builder\n\tvar own Builder_cf0\n" in behaviour
    assert '{{in: "a", want: want_cf0}}' in behaviour


def test_a_path_without_an_index_tags_names_with_its_hash() -> None:
    path = "textutil/slug_test.go"
    tag = hashlib.sha1(path.encode()).hexdigest()[:4]
    assert f"func TestSlug_cf{tag}(t *testing.T)" in _behaviour(TEST, test_module_path=path)
    empty = hashlib.sha1(b"").hexdigest()[:4]
    assert f"func TestSlug_cf{empty}(t *testing.T)" in _behaviour(TEST, test_module_path="")


def test_errors_name_the_first_problem() -> None:
    with pytest.raises(ValueError, match=r"^the generated test does not parse: line 9, column 8: missing '\)'$"):
        _behaviour(f"{TEST}\nfunc a( {{\n\n}}\nfunc b( {{}}\n")
    generic = (
        f"{TEST}\nfunc first[T any](xs []T) T {{ return xs[0] }}\n\nfunc last[T any](xs []T) T {{ return xs[0] }}\n"
    )
    with pytest.raises(ValueError, match=r"^the generated test \(behaviour\) does not compile: line 11, column 15: "):
        _behaviour(generic, version="1.17")


def test_control_characters_of_a_raw_string_with_braces_are_escaped() -> None:
    code = 'import "testing"\n\nfunc TestSlug(t *testing.T) {\n\t_ = `{\x1f}`\n}\n'
    perf = clean_tests(_tests_request(code)).instrumented_perf
    assert '_ = "\\x7b\\x1f\\x7d"' in perf


def test_only_a_plain_identifier_before_a_dot_is_a_selector_operand() -> None:
    source = Source.parse("package p\n\nfunc f() {\n\tx := s.inner.field + g().n + (h).k\n}\n")
    assert source.selector_operands() == {"s"}


def test_renaming_reaches_names_used_as_map_keys_and_unkeyed_elements() -> None:
    """A map literal's keys are values: a top-level constant used as one is renamed with its declaration."""
    code = (
        'package textutil\n\nimport "testing"\n\nconst small = "a"\n\n'
        "func TestSlug(t *testing.T) {\n\tseen := map[string]bool{small: true}\n"
        "\tall := []string{small, small}\n\t_, _ = seen, all\n}\n"
    )
    behaviour = _behaviour(code)
    assert "seen := map[string]bool{small_cf0: true}" in behaviour
    assert "all := []string{small_cf0, small_cf0}" in behaviour
