"""Go candidates: signatures and receivers kept, package and imports restored, dedup, rejections."""

from __future__ import annotations

import attrs
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CandidatesRequest, CodeFile, Target, Task
from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import Outcome
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine_go import plugin
from codeflash_engine_go.candidates import postprocess, triage

SORTER = """\
package sorter

import (
	m "math"
	"strings"
)

// Sum adds the values, rounding each one.
func Sum(values []float64, scale float64) (total float64) {
	for _, v := range values {
		total += m.Round(v * scale)
	}
	return total
}

func Describe(values []float64) string {
	parts := []string{}
	for range values {
		parts = append(parts, "x")
	}
	return strings.Join(parts, ",")
}
"""

UTIL = """\
func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
"""

FILES = (CodeFile("sorter/sorter.go", SORTER), CodeFile("sorter/util.go", UTIL))


HOST = PluginHost()
HOST.load(eps=[])
HOST.register(plugin, "go")


def request(
    *answers: str, target: str | None = None, version: str | None = "1.22", files: tuple[CodeFile, ...] = FILES
) -> CandidatesRequest:
    """The request as the engine hands it over: each answer read, an edit applied by the plugin's apply_diff."""
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="go",
        language_version=version,
        original=files,
        answers=tuple(read_answer(HOST, "go", a, original=files) for a in answers),
        target=Target.parse(target, path=files[0].path) if target else None,
        fence_tags=("go", "golang"),
    )


def block(code: str, path: str | None = "sorter/sorter.go", tag: str = "go") -> str:
    info = f"{tag}:{path}" if path else tag
    return f"An explanation.\n\n```{info}\n{code.strip()}\n```\n"


def outcome(*answers: str, **kwargs: object) -> Outcome:
    [only] = triage(request(*answers, **kwargs))  # type: ignore[arg-type]
    return only


FAST_SUM = """\
func Sum(values []float64, scale float64) (total float64) {
	for i := range values {
		total += m.Round(values[i] * scale)
	}
	return total
}
"""


def test_a_bare_function_gets_its_package_doc_comment_and_imports(snapshot: SnapshotAssertion) -> None:
    result = outcome(block(FAST_SUM))
    assert result.candidate is not None, result.reason
    [file] = result.candidate.files
    assert file.path == "sorter/sorter.go"
    assert file.code.startswith("package sorter\n")
    assert 'm "math"' in file.code and '"strings"' not in file.code
    assert "// Sum adds the values, rounding each one.\nfunc Sum(" in file.code
    assert file.code == snapshot


def test_renamed_parameters_keep_the_original_header_with_the_new_names() -> None:
    answer = block(
        'package sorter\n\nimport "math"\n\nfunc Sum(xs []float64,scale   float64) (t float64) {\n'
        "\tfor _, x := range xs {\n\t\tt += math.Round(x * scale)\n\t}\n\treturn t\n}\n"
    )
    result = outcome(answer)
    assert result.candidate is not None, result.reason
    code = result.candidate.files[0].code
    assert "func Sum(xs []float64, scale float64) (t float64) {" in code
    assert '"math"' in code


def test_a_standard_package_used_without_import_is_imported() -> None:
    answer = block(
        "func Describe(values []float64) string {\n"
        '\treturn strings.TrimSuffix(strings.Repeat("x,", len(values)), ",")\n}\n'
        "\nfunc Sum(values []float64, scale float64) (total float64) {\n\tsort.Float64s(values)\n"
        "\tfor _, v := range values {\n\t\ttotal += m.Round(v * scale)\n\t}\n\treturn total\n}\n"
    )
    result = outcome(answer)
    assert result.candidate is not None, result.reason
    code = result.candidate.files[0].code
    assert '"sort"' in code and '"strings"' in code and 'm "math"' in code


def test_changed_signatures_and_receivers_are_rejected() -> None:
    changed_result = block(FAST_SUM.replace("(total float64)", "(total float32)"))
    assert outcome(changed_result).reason == "rejected: the answer changed the signature of Sum"
    extra_parameter = block(FAST_SUM.replace("scale float64)", "scale float64, n int)"))
    assert "changed the signature of Sum" in outcome(extra_parameter).reason
    method = "package q\n\n// Len counts.\nfunc (s *Stack[T]) Len() int {\n\treturn len(s.items)\n}\n"
    files = (CodeFile("q/stack.go", method),)
    value_receiver = block("func (s Stack[T]) Len() int {\n\tn := len(s.items)\n\treturn n\n}\n", "q/stack.go")
    assert "changed the signature of Stack.Len" in outcome(value_receiver, files=files).reason
    renamed_receiver = block("func (st *Stack[T]) Len() int {\n\tn := len(st.items)\n\treturn n\n}\n", "q/stack.go")
    kept = outcome(renamed_receiver, files=files)
    assert kept.candidate is not None, kept.reason
    assert "// Len counts.\nfunc (st *Stack[T]) Len() int {" in kept.candidate.files[0].code


def test_left_out_bodies() -> None:
    helper_left_out = block(FAST_SUM + "\nfunc Describe(values []float64) string {\n\t// ... unchanged\n}\n")
    result = outcome(helper_left_out)
    assert result.candidate is not None, result.reason
    assert 'strings.Join(parts, ",")' in result.candidate.files[0].code
    target_left_out = block("func Sum(values []float64, scale float64) (total float64) {\n\t// ... existing code\n}\n")
    assert outcome(target_left_out).reason == "rejected: the body of Sum was left out"


def test_a_function_written_in_the_wrong_file_goes_back_to_its_own() -> None:
    fast_clamp = "func clamp(v, lo, hi int) int {\n\treturn max(lo, min(v, hi))\n}\n"
    result = outcome(block(FAST_SUM + "\n" + fast_clamp))
    assert result.candidate is not None, result.reason
    assert [f.path for f in result.candidate.files] == ["sorter/sorter.go", "sorter/util.go"]
    assert "clamp" not in result.candidate.files[0].code
    assert result.candidate.files[1].code == fast_clamp


def test_package_clause_is_renamed_to_the_original() -> None:
    result = outcome(block("package main\n\n" + FAST_SUM))
    assert result.candidate is not None, result.reason
    assert result.candidate.files[0].code.startswith("package sorter\n")


def test_a_helper_file_without_package_clause_stays_without() -> None:
    fast_clamp = "func clamp(v, lo, hi int) int {\n\treturn max(lo, min(v, hi))\n}\n"
    result = outcome(block(fast_clamp, "sorter/util.go", tag="golang"))
    assert result.candidate is not None, result.reason
    assert result.candidate.files[0].code == fast_clamp


def test_search_replace_edits_are_applied() -> None:
    edit = (
        "Index instead of copying each value.\n\nsorter/sorter.go\n<<<<<<< SEARCH\n"
        "\tfor _, v := range values {\n\t\ttotal += m.Round(v * scale)\n=======\n"
        "\tfor i := range values {\n\t\ttotal += m.Round(values[i] * scale)\n>>>>>>> REPLACE\n"
    )
    result = outcome(edit)
    assert result.candidate is not None, result.reason
    assert "values[i] * scale" in result.candidate.files[0].code
    assert result.candidate.explanation == "Index instead of copying each value."


def test_invalid_code_is_rejected() -> None:
    statement = block("x := 1\n\n" + FAST_SUM)
    assert "statement outside a function" in outcome(statement).reason
    generic = block("func Map[T any](xs []T) []T {\n\treturn xs\n}\n\n" + FAST_SUM)
    assert "type parameters need Go 1.18" in outcome(generic, version="1.17.13").reason
    assert outcome(generic, version="go1.21.0").candidate is not None
    unparseable = block("func Sum(values []float64, scale float64) (total float64) {\n\treturn (total\n}\n")
    assert "does not parse" in outcome(unparseable).reason


def test_a_cut_off_answer_is_dropped() -> None:
    req = request(block(FAST_SUM))
    cut = attrs.evolve(req, answers=tuple(attrs.evolve(a, finish_reason="length") for a in req.answers))
    assert triage(cut)[0].reason == "rejected: cut off by the token limit (finish_reason 'length')"


def test_unchanged_and_duplicate_answers_are_dropped() -> None:
    reformatted = block(SORTER.replace("\t", "  ").replace("// Sum adds", "// Sum sums"))
    assert outcome(reformatted).reason == "identical to the original once normalised"
    outcomes = triage(request(block(FAST_SUM), block("// faster\n" + FAST_SUM.replace("\t", "    "))))
    assert outcomes[0].candidate is not None
    assert outcomes[1].reason == "duplicate of answer #1"


def test_the_target_is_the_named_one_or_the_first_function() -> None:
    described = block('func Describe(values []float64) string {\n\treturn strings.Repeat("x,", len(values))\n}\n')
    assert outcome(described).candidate is not None  # a helper-only change is a candidate
    left_out = block("func Describe(values []float64) string {\n\t// ... unchanged\n}\n\n" + FAST_SUM)
    assert outcome(left_out, target="Describe").reason == "rejected: the body of Describe was left out"


def test_candidates_come_back_target_file_first() -> None:
    fast_clamp = "func clamp(v, lo, hi int) int {\n\treturn max(lo, min(v, hi))\n}\n"
    answer = block(fast_clamp, "sorter/util.go") + block(FAST_SUM)
    [candidate] = postprocess(request(answer))
    assert [f.path for f in candidate.files] == ["sorter/sorter.go", "sorter/util.go"]


def test_a_refinement_keeps_the_helpers_its_base_added() -> None:
    base = (
        'package sorter\n\nimport "math/bits"\n\n'
        "// roundAll rounds in place.\nfunc roundAll(values []float64, scale float64) {\n"
        "\tfor i := range values {\n\t\tvalues[i] = m.Round(values[i] * scale)\n\t}\n\t_ = bits.UintSize\n}\n\n"
        + FAST_SUM
    )
    refined = block(
        "func Sum(values []float64, scale float64) (total float64) {\n\tc := append([]float64(nil), values...)\n"
        "\troundAll(c, scale)\n\tfor _, v := range c {\n\t\ttotal += v\n\t}\n\treturn total\n}\n"
    )
    req = attrs.evolve(request(refined), task=Task.REFINE, base=(CodeFile("sorter/sorter.go", base),))
    [candidate] = postprocess(req)
    code = candidate.files[0].code
    assert "// roundAll rounds in place.\nfunc roundAll(values []float64, scale float64) {" in code
    assert 'm "math"' in code and '"math/bits"' in code
    [without_base] = postprocess(request(refined))
    assert "func roundAll" not in without_base.files[0].code
