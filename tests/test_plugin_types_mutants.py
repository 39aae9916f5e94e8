"""The plugin API's types and the language registry, as a plugin author and the engine rely on
them (what the mutation runs of plugins/types.py and plugins/registry.py found untested): the
types' defaults, frozen-ness and equality, a target name's parsing, an answer cut off by its token
limit, and how the registry resolves a language from a name, a path or the code itself."""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import pytest

from codeflash_engine.errors import UnsupportedLanguage
from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    Target,
    Task,
    TestsRequest,
)

# ---------------------------------------------------------------------------------- the types


def test_a_language_lists_its_canonical_name_first_then_its_aliases() -> None:
    spec = LanguageSpec(name="toy", aliases=("t", "toylang"))
    assert spec.names == ("toy", "t", "toylang")
    assert LanguageSpec(name="bare").names == ("bare",)
    assert LanguageSpec(name="bare").comment_prefix == "#"


def test_a_syntax_problem_reads_as_its_position_and_message() -> None:
    assert str(SyntaxProblem(3, 7, "unexpected indent")) == "line 3, column 7: unexpected indent"


@pytest.mark.parametrize(
    ("qualified", "name", "class_name", "normal"),
    [
        ("Outer.Inner.method", "method", "Inner", "Outer.Inner.method"),
        ("Cls.method", "method", "Cls", "Cls.method"),
        ("free", "free", None, "free"),
        ("  .Cls..method. ", "method", "Cls", "Cls.method"),
    ],
)
def test_a_qualified_name_gives_the_function_and_its_innermost_class(
    qualified: str, name: str, class_name: str | None, normal: str
) -> None:
    target = Target.parse(qualified, path="pkg/mod.py")
    assert target == Target(name=name, qualified_name=normal, class_name=class_name, path="pkg/mod.py")
    assert Target.parse(qualified).path is None


@pytest.mark.parametrize("qualified", ["", "   ", "..", " . "])
def test_an_empty_target_name_is_refused(qualified: str) -> None:
    with pytest.raises(ValueError, match="empty target name"):
        Target.parse(qualified)


@pytest.mark.parametrize(
    ("reason", "cut_off"),
    [
        ("length", True),
        ("max_tokens", True),
        ("MAX_TOKENS", True),
        ("model_length", True),
        ("content_filter", True),
        ("stop", False),
        ("end_turn", False),
        (None, False),
    ],
)
def test_an_answer_is_cut_off_only_when_its_token_limit_stopped_it(reason: str | None, cut_off: bool) -> None:
    assert Answer("text", finish_reason=reason).cut_off is cut_off


def test_an_answer_defaults_to_an_unknown_plain_answer() -> None:
    answer = Answer("text")
    assert (answer.finish_reason, answer.model, answer.edited, answer.edit_error, answer.prose) == (
        None,
        None,
        None,
        None,
        "",
    )
    assert answer.cut_off is False


def test_defaults_of_the_requests_a_plugin_receives() -> None:
    prompt = PromptRequest(task=Task.OPTIMIZE, language="python")
    assert prompt.is_async is False
    assert (prompt.language_version, prompt.fence_tag, prompt.original, prompt.target) == (None, "", (), None)
    assert dict(prompt.fields) == {}
    candidates = CandidatesRequest(
        task=Task.REFINE, language="python", language_version=None, original=(), answers=(Answer("a"),)
    )
    assert candidates.is_async is False
    assert (candidates.target, candidates.fence_tags, candidates.base) == (None, (), ())
    tests = TestsRequest(
        language="python",
        language_version="3.12",
        answer=Answer("a"),
        source_code=(CodeFile("m.py", "x = 1\n"),),
        target=Target.parse("f"),
        module_path="m",
        test_module_path="test_m",
        test_framework="pytest",
        test_timeout=10,
    )
    assert tests.is_async is False
    assert (tests.helper_function_names, tests.module_system, tests.fence_tags) == ((), None, ())
    assert Prompt("system", "user").cache_prefix_chars == 0


def test_tests_request_is_not_collected_as_a_test_class() -> None:
    assert TestsRequest.__test__ is False


def test_the_types_are_frozen() -> None:
    values: list[attrs.AttrsInstance] = [
        LanguageSpec(name="toy"),
        SyntaxProblem(1, 1, "m"),
        CodeFile("a.py", ""),
        Prompt("s", "u"),
        Target.parse("f"),
        Answer("a"),
        PromptRequest(task=Task.RANK, language="python"),
        Candidate(files=(), answer_index=0),
        GeneratedTests("g", "b", "p"),
        DiffRequest(language=None, files={}, edit=""),
        DiffResult(files={}),
    ]
    for value in values:
        field = attrs.fields(type(value))[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(value, field, None)


def test_candidates_are_equal_whatever_their_key() -> None:
    """The key says which candidates the engine dedupes; it is not part of a candidate's value."""
    files = (CodeFile("a.py", "x = 1\n"),)
    first = Candidate(files=files, answer_index=1, explanation="e", key="one")
    assert first == Candidate(files=files, answer_index=1, explanation="e", key="two")
    assert first != Candidate(files=files, answer_index=2, explanation="e", key="one")
    assert Candidate(files=files, answer_index=0).key is None
    assert Candidate(files=files, answer_index=0).explanation == ""


def test_a_diff_result_is_ok_without_errors() -> None:
    done = DiffResult(files={"a.py": "x\n"})
    assert done.ok is True
    assert (done.fuzz, done.errors, done.deleted) == (0, (), ())
    failed = DiffResult(files={}, errors=("SEARCH block 1 not found",))
    assert failed.ok is False


# ---------------------------------------------------------------------------------- the registry

TOY = LanguageSpec(name="toy", aliases=("toylang",), extensions=(".toy",), comment_prefix="--", fence_tags=("toy",))
LONG = LanguageSpec(name="longtoy", extensions=(".long.toy", ".yot"), comment_prefix="%%")
CEE = LanguageSpec(name="cee", extensions=(".h", ".c"), comment_prefix="//")
CPP = LanguageSpec(name="cpp", extensions=(".cpp", ".h"), comment_prefix="//")
PY = LanguageSpec(name="python", aliases=("py",), extensions=(".py",), comment_prefix="#")


def registry_of(*specs: LanguageSpec) -> LanguageRegistry:
    """A registry over an in-process plugin registering ``specs``, in this order."""

    class Plugin:
        @hookimpl
        def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
            for spec in specs:
                register(spec)

    host = PluginHost()
    host.load([])
    host.register(Plugin(), "toys")
    return LanguageRegistry(host)


def test_names_are_canonical_and_sorted() -> None:
    assert registry_of(TOY, CEE, PY).names() == ["cee", "python", "toy"]
    assert registry_of().names() == []


def test_a_name_is_found_whatever_its_case_and_blanks() -> None:
    registry = registry_of(TOY, PY)
    assert registry.get("  TOYLANG ") is TOY
    assert registry.get("Py") is PY
    assert registry.get("cobol") is None
    assert registry.get("") is None
    assert registry.get(None) is None


def test_an_unknown_language_is_a_422_listing_the_languages_provided() -> None:
    registry = registry_of(TOY, PY)
    assert registry.resolve("toy") is TOY
    with pytest.raises(UnsupportedLanguage) as caught:
        registry.resolve("cobol")
    assert caught.value.status == 422
    assert "(languages provided: python, toy)" in caught.value.message
    with pytest.raises(UnsupportedLanguage) as nothing:
        registry_of().resolve(None)
    assert "(languages provided: none)" in nothing.value.message


def test_a_path_takes_the_language_of_its_longest_matching_extension() -> None:
    registry = registry_of(TOY, LONG, CEE, CPP)
    assert registry.by_extension("src/a.toy") is TOY
    assert registry.by_extension("src/A.TOY ") is TOY
    assert registry.by_extension("src/a.long.toy") is LONG
    assert registry.by_extension("src/a.yot") is LONG
    assert registry.by_extension("src/a.cpp") is CPP
    assert registry.by_extension("src/a.rs") is None
    assert registry.by_extension("toy") is None


def test_an_empty_extension_claims_no_path() -> None:
    """A plugin that lists "" among its extensions (a slip) does not take every file."""
    blank = LanguageSpec(name="blank", extensions=("",))
    registry = registry_of(blank, TOY)
    assert registry.by_extension("src/a.rs") is None
    assert registry.by_extension("src/a.toy") is TOY
    assert registry.detect("--- a/src/a.rs\n+++ b/src/a.rs\n") is None


def test_an_extension_two_languages_claim_goes_to_the_first_registered() -> None:
    assert registry_of(CEE, CPP).by_extension("include/a.h") is CEE
    assert registry_of(CPP, CEE).by_extension("include/a.h") is CPP


def test_a_fence_tag_names_the_language_unless_its_path_says_otherwise() -> None:
    registry = registry_of(TOY, LONG, PY)
    assert registry.detect("text\n```toy\nx\n```\n") is TOY
    assert registry.detect("```toy:src/a.long.toy\nx\n```") is LONG
    assert registry.detect("```toy:src/a.unknown\nx\n```") is TOY
    assert registry.detect("```toy: \nx\n```") is TOY
    assert registry.detect("```unknown:src/a.toy\nx\n```") is TOY
    assert registry.detect("```unknown\nx\n```") is None
    assert registry.detect("```unknown\nx\n```\n```py\ny\n```") is PY


def test_the_fences_of_every_text_come_before_flat_headers() -> None:
    registry = registry_of(TOY, LONG, PY)
    assert registry.detect("# file: a.py\nx = 1", "```toy\nx\n```") is TOY
    assert registry.detect("", "-- file: a.toy\nx") is TOY


def test_a_flat_header_gives_the_language_by_path_then_by_comment_prefix() -> None:
    registry = registry_of(TOY, LONG, PY)
    assert registry.detect("# file: src/a.toy\nx") is TOY
    assert registry.detect("%% file: src/a.unknown\nx") is LONG
    assert registry.detect("-- file: src/a.unknown\nx") is TOY
    assert registry.detect("!! file: src/a.unknown\nx") is None


def test_flat_headers_of_every_text_come_before_diff_headers() -> None:
    registry = registry_of(TOY, LONG, PY)
    assert registry.detect("--- a/src/a.toy\n+++ b/src/a.toy\n", "# file: b.py\nx = 1") is PY


def test_a_diff_header_gives_the_language_of_its_path() -> None:
    registry = registry_of(TOY, LONG, PY)
    assert registry.detect("--- a/src/a.unknown\n+++ b/src/b.yot\n@@ -1 +1 @@\n-a\n+b\n") is LONG
    assert registry.detect("", "+++ src/a.toy\n") is TOY
    assert registry.detect("--- a/src/a.unknown\n") is None


async def test_code_without_markers_gets_the_default_resolved_only_then() -> None:
    """A default named is resolved when the code shows no language (422 when no plugin provides
    it), and only then; a default spec is taken as it is."""
    assert await registry_of(TOY, PY).detect_off_loop("no markers", default="python") is PY
    assert await registry_of(TOY, PY).detect_off_loop("```toy\nx\n```", default="python") is TOY
    assert await registry_of(TOY).detect_off_loop("```toy\nx\n```", default="python") is TOY
    with pytest.raises(UnsupportedLanguage):
        await registry_of(TOY).detect_off_loop("no markers", default="python")
    any_language = LanguageSpec(name="code")
    assert await registry_of(TOY).detect_off_loop("no markers", default=any_language) is any_language
    assert await registry_of(TOY).detect_off_loop("x", "```toy\nx\n```", default=any_language) is TOY


async def test_the_language_is_detected_off_the_event_loop(detection_threads: list[int]) -> None:
    """Detection over request-sized code would hold the loop: it runs in a worker thread."""
    assert await registry_of(TOY, PY).detect_off_loop("```toy\nx\n```", default="python") is TOY
    assert detection_threads, "the language was not detected"
    assert threading.get_ident() not in detection_threads, "detected on the event loop's thread"
