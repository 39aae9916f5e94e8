"""The engine's builtin hook implementations (``plugins.builtin``) and the lenient defaults behind
them (``plugins.defaults``), called through a plugin host as the engine calls them for a language
no plugin owns: every hook answers, last; an edit's files, fuzz, errors and deletions come back as
the text layer gives them; a candidate counts only when more than whitespace changed, and
duplicates differing in whitespace only are dropped; generated tests are the answer's first block
in the request's fence tags (else its language), and a cut-off or code-less answer is refused."""

from __future__ import annotations

from typing import Any

import pytest

from codeflash_engine.plugins import builtin, defaults
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    Prompt,
    PromptRequest,
    Target,
    Task,
    TestsRequest,
)

LANGUAGE = "kotlin"  # owned by no plugin: the builtin answers
CODE = "fun total(xs: List<Int>): Int {\n    var t = 0\n    for (x in xs) t += x\n    return t\n}\n"
FASTER = "fun total(xs: List<Int>): Int {\n    return xs.sum()\n}\n"
ORIGINAL = (CodeFile("src/Total.kt", CODE),)


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost()
    host.load([])
    return host


def _fenced(code: str, tag: str = "kotlin", path: str = "src/Total.kt") -> str:
    return f"Faster:\n\n```{tag}:{path}\n{code}```\n"


def _candidates(host: PluginHost, *texts: str, original: tuple[CodeFile, ...] = ORIGINAL) -> list[Candidate]:
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language=LANGUAGE,
        language_version=None,
        original=original,
        answers=tuple(Answer(t) for t in texts),
        fence_tags=("kotlin", "kt"),
    )
    out = host.call("postprocess_candidates", LANGUAGE, request=request)
    assert isinstance(out, list)
    return out


# ------------------------------------------------------------------------------ the builtin's hooks


def test_every_builtin_hook_is_registered_to_run_last(host: PluginHost) -> None:
    for hook in ("build_prompt", "apply_diff", "postprocess_candidates", "postprocess_tests"):
        impls = [i for i in getattr(host.pm.hook, hook).get_hookimpls() if i.plugin is builtin]
        assert len(impls) == 1 and impls[0].trylast, hook


def test_a_prompt_is_the_core_template_for_any_language(host: PluginHost) -> None:
    request = PromptRequest(
        task=Task.OPTIMIZE,
        language=LANGUAGE,
        fence_tag="kotlin",
        original=ORIGINAL,
        target=Target.parse("total"),
        fields={"source_code": _fenced(CODE), "function_name": "total"},
    )
    prompt = host.call("build_prompt", LANGUAGE, request=request)
    assert isinstance(prompt, Prompt) and prompt.system and "fun total" in prompt.user


def _diff(host: PluginHost, files: dict[str, str], edit: str) -> DiffResult:
    result = host.call("apply_diff", LANGUAGE, request=DiffRequest(language=LANGUAGE, files=files, edit=edit))
    assert isinstance(result, DiffResult)
    return result


def _patch(*body: str) -> str:
    return "*** Begin Patch\n" + "\n".join(body) + "\n*** End Patch\n"


def test_an_edit_gives_the_files_it_changed_and_deleted(host: PluginHost) -> None:
    files = {"a.kt": "val a = 1\n", "b.kt": "val b = 2\n"}
    result = _diff(
        host, files, _patch("*** Delete File: b.kt", "*** Update File: a.kt", "@@", "-val a = 1", "+val a = 3")
    )
    assert result == DiffResult(files={"a.kt": "val a = 3\n"}, fuzz=0, errors=(), deleted=("b.kt",))


def test_an_edit_found_loosely_reports_its_fuzz(host: PluginHost) -> None:
    files = {"a.kt": "class A {\n    val a = 1\n}\nclass B {\n    val a = 1\n}\n"}
    result = _diff(host, files, _patch("*** Update File: a.kt", "@@ class B", "-    val a = 1", "+    val a = 2"))
    assert result.files == {"a.kt": "class A {\n    val a = 1\n}\nclass B {\n    val a = 2\n}\n"}
    assert result.fuzz == 10 and result.errors == () and result.deleted == ()


def test_an_edit_that_does_not_apply_gives_its_errors_and_no_files(host: PluginHost) -> None:
    result = _diff(host, {"a.kt": "val a = 1\n"}, _patch("*** Delete File: nope.kt"))
    assert result.files == {} and result.deleted == ()
    assert len(result.errors) == 1 and "no such file" in result.errors[0]
    assert isinstance(result.errors, tuple)


# ------------------------------------------------------------------------------ lenient candidates


def test_an_answer_that_changes_the_code_is_a_candidate(host: PluginHost) -> None:
    [candidate] = _candidates(host, _fenced(FASTER))
    assert candidate.files == (CodeFile("src/Total.kt", FASTER),)
    assert candidate.answer_index == 0


def test_an_answer_that_changes_only_whitespace_is_dropped(host: PluginHost) -> None:
    respaced = CODE.replace("    ", "\t").replace("t += x", "t  +=  x")
    assert _candidates(host, _fenced(respaced), _fenced(FASTER))[0].answer_index == 1


def test_duplicates_that_differ_only_in_whitespace_are_dropped(host: PluginHost) -> None:
    other = FASTER.replace("return xs.sum()", "return xs.fold(0) { a, b -> a + b }")
    found = _candidates(host, _fenced(FASTER), _fenced(FASTER.replace("    ", "  ") + "\n"), _fenced(other))
    assert [c.answer_index for c in found] == [0, 2]


def test_only_the_files_the_answer_changes_are_kept(host: PluginHost) -> None:
    helper = CodeFile("src/Util.kt", "fun one() = 1\n")
    answer = _fenced(FASTER) + _fenced(helper.code, path="src/Util.kt")
    [candidate] = _candidates(host, answer, original=(*ORIGINAL, helper))
    assert [f.path for f in candidate.files] == ["src/Total.kt"]
    both = _fenced(FASTER) + _fenced("fun one() = 2\n", path="src/Util.kt")
    [changed] = _candidates(host, both, original=(*ORIGINAL, helper))
    assert [f.path for f in changed.files] == ["src/Total.kt", "src/Util.kt"]


def test_the_lenient_cleaner_takes_each_file_as_given() -> None:
    assert defaults.LENIENT.clean_file("  x  ", "y", (), first=True) == "  x  "
    assert defaults.LENIENT.changes("a  b\n", " a\tb ") == []
    assert defaults.LENIENT.changes("a b c", "a b") == ["a b c"]


# ------------------------------------------------------------------------------ lenient tests


def _tests_request(text: str, *, fence_tags: tuple[str, ...] = (), finish_reason: str | None = None) -> TestsRequest:
    return TestsRequest(
        language=LANGUAGE,
        language_version=None,
        answer=Answer(text, finish_reason=finish_reason),
        source_code=ORIGINAL,
        target=Target.parse("total"),
        module_path="src/Total.kt",
        test_module_path="test/TotalTest.kt",
        test_framework="junit",
        test_timeout=10,
        fence_tags=fence_tags,
    )


def _tests(host: PluginHost, text: str, **kwargs: Any) -> GeneratedTests:
    out = host.call("postprocess_tests", LANGUAGE, request=_tests_request(text, **kwargs))
    assert isinstance(out, GeneratedTests)
    return out


TEST = "@Test\nfun sums() {\n    assertEquals(3, total(listOf(1, 2)))\n}"


def test_the_first_block_is_every_variant_of_the_tests(host: PluginHost) -> None:
    text = f"Here:\n\n```kotlin\n{TEST}   \n\n```\n\nand another:\n\n```kotlin\nfun other() {{}}\n```\n"
    assert _tests(host, text) == GeneratedTests(TEST + "\n", TEST + "\n", TEST + "\n")


def test_the_blocks_are_those_in_the_fence_tags_else_the_language(host: PluginHost) -> None:
    text = f"```python\nprint(1)\n```\n\n```kt\n{TEST}\n```\n\n```kotlin\nfun second() {{}}\n```\n"
    assert _tests(host, text, fence_tags=("kt",)).generated == TEST + "\n"
    assert _tests(host, text).generated == "fun second() {}\n"


@pytest.mark.parametrize(
    ("text", "finish_reason", "message"),
    [
        (f"```kotlin\n{TEST}\n```\n", "length", "cut off"),
        ("No code, sorry.", None, "no test code block"),
        ("```python\nprint(1)\n```\n", None, "no test code block"),
    ],
)
def test_a_cut_off_or_code_less_answer_is_refused(
    host: PluginHost, text: str, finish_reason: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        host.call("postprocess_tests", LANGUAGE, request=_tests_request(text, finish_reason=finish_reason))
