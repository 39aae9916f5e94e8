"""The conformance checks (kit.checks), found by the second share of their mutation run: the
candidates and tests requests the checks send say what the sample bodies say of the target (not
async), a refusal quotes the first problem validate reported, a user message that shows exactly
four lines in five of the code is enough, a candidate file without text is refused, the
postprocess and streaming rules check the named target too, a build_prompt refusal says which of
the two contexts it rendered, and the suite's own answers are fenced with the language's first
tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
import toy_plugins

from codeflash_engine import (
    Candidate,
    CandidatesRequest,
    CodeFile,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    TestsRequest,
    hookimpl,
)
from codeflash_engine.plugins.types import Task
from codeflash_engine.testing.plugin_kit import checks
from codeflash_engine.testing.plugin_kit.checks import ConformanceError, PluginUnderTest, plugin_under_test
from codeflash_engine.testing.plugin_kit.requests import sample_requests

#: the target file in five lines that are not blank
FIVE_LINES = (
    "import math\n\n\ndef spread(xs):\n    total = sum(xs)\n    half = total / 2\n    return math.sqrt(total)\n"
)


def put_for(plugin: object, **over: Any) -> PluginUnderTest:
    """``plugin`` loaded afresh for the toy samples, with the samples' values ``over`` changed."""
    return plugin_under_test(toy_plugins.toy_samples(plugin, **over), fresh=True)


class Records(toy_plugins.ToyPlugin):
    """The correct toy plugin, keeping every candidates and tests request it is given."""

    def __init__(self) -> None:
        self.candidates: list[CandidatesRequest] = []
        self.tests: list[TestsRequest] = []

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        """The toy plugin's candidates, after noting the request."""
        self.candidates.append(request)
        return super().postprocess_candidates(request)

    @hookimpl
    def postprocess_tests(self, request: TestsRequest) -> GeneratedTests | None:
        """The toy plugin's tests, after noting the request."""
        self.tests.append(request)
        return super().postprocess_tests(request)


class TwoProblems(toy_plugins.ToyPlugin):
    """A plugin whose validate rejects the valid sample with two problems, line 1's first."""

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        """Two problems for the valid sample, the toy plugin's verdict for any other code."""
        if code.startswith("def f(x):"):
            return [SyntaxProblem(1, 1, "the first problem"), SyntaxProblem(2, 5, "the last problem")]
        return super().validate(language, code, language_version)


class ShowsAllButOne(toy_plugins.ToyPlugin):
    """A plugin whose user message shows every line of ``code`` but the first."""

    def __init__(self, code: str) -> None:
        self.code = code

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        """The code's lines, stripped, without its first line."""
        lines = [line.strip() for line in self.code.splitlines() if line.strip()]
        return Prompt(system="Optimize.", user="\n".join(lines[1:]))


def test_the_requests_the_checks_send_are_not_async_as_the_sample_bodies_say() -> None:
    """The checks build their candidates and tests requests as the engine builds them from the
    sample bodies, whose target is a plain function: a plugin that treats async code apart is
    checked on what the engine would send it."""
    plugin = Records()
    put = put_for(plugin)
    bodies = sample_requests(put.samples)
    assert bodies["/ai/optimize"]["is_async"] is False and bodies["/ai/testgen"]["is_async"] is False
    put.candidates(named_target=False)
    put.candidates(named_target=True)
    checks.check_tests_validate(put)
    assert [request.is_async for request in plugin.candidates] == [False, False]
    assert {request.is_async for request in plugin.tests} == {False}


def test_a_refusal_quotes_the_first_problem_validate_reported() -> None:
    """validate's problems come in order: the refusal names the first, where a fix starts."""
    with pytest.raises(ConformanceError) as caught:
        checks.check_validate_valid(put_for(TwoProblems()))
    message = str(caught.value)
    assert message.startswith("[validate] validate rejects the valid sample: ")
    assert "the first problem" in message and "the last problem" not in message


def test_a_user_message_showing_four_lines_in_five_is_enough() -> None:
    """Five lines of code, one of them not shown: exactly four in five, which the rule accepts."""
    put = put_for(ShowsAllButOne(FIVE_LINES), original={"pkg/stats.toy": FIVE_LINES})
    checks.check_prompt_shows_code(put, Task.OPTIMIZE)


class LosesSignatureWhenNamed(toy_plugins.ToyPlugin):
    """Loses the target's signature only when the request names the target."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        """The broken plugin's candidates for a named target, the toy plugin's otherwise."""
        if request.target is not None:
            return toy_plugins.BrokenSignature().postprocess_candidates(request)
        return super().postprocess_candidates(request)


class StreamsOnlyInferred(toy_plugins.ToyPlugin):
    """Skips the last answer of a request whose target is named."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        """The toy plugin's candidates, the last answer left out when the target is named."""
        if request.target is not None:
            request = attrs.evolve(request, answers=request.answers[:-1])
        return super().postprocess_candidates(request)


class EmptyWithNulls(toy_plugins.ToyPlugin):
    """Renders an empty user message when the language version is unknown (as with null fields)."""

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        """The toy plugin's prompt, its user message left empty when no language version is known."""
        prompt = super().build_prompt(request)
        assert prompt is not None
        return attrs.evolve(prompt, user="") if request.language_version is None else prompt


def test_the_postprocess_rules_check_the_named_target_too() -> None:
    """A plugin that keeps the signature only when it infers the target is refused for the
    request that names it."""
    with pytest.raises(ConformanceError) as caught:
        checks.check_signature(put_for(LosesSignatureWhenNamed()))
    assert str(caught.value).startswith(
        "[signature] target named: the candidate from answer #5 (changed signature) lost"
    )


def test_streaming_is_checked_with_the_target_named_too() -> None:
    """A plugin whose answers cleaned one at a time differ from one call only when the target is
    named is refused for that case."""
    with pytest.raises(ConformanceError) as caught:
        checks.check_streaming(put_for(StreamsOnlyInferred()))
    assert str(caught.value).startswith("[streaming] target named: answers cleaned one at a time")


def test_a_build_prompt_refusal_says_which_context_it_rendered() -> None:
    """The same task is rendered with the runtime context and with null optional fields: the
    refusal says which of the two broke it."""
    put = put_for(EmptyWithNulls())
    checks.check_build_prompt(put, Task.OPTIMIZE, nulls=False)
    with pytest.raises(ConformanceError) as caught:
        checks.check_build_prompt(put, Task.OPTIMIZE, nulls=True)
    assert str(caught.value) == (
        "[build-prompt] optimize with null optional fields: the system or the user message is empty"
    )


class FileWithoutText(toy_plugins.ToyPlugin):
    """Returns, for any request with answers, one candidate whose file has no text (None)."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        """A candidate of the first answer whose one file's code is None."""
        if not request.answers:
            return []
        return [Candidate(files=(CodeFile("pkg/stats.toy", None),), answer_index=0)]  # type: ignore[arg-type]


def test_a_candidate_file_without_text_is_refused() -> None:
    """A CodeFile whose code is not a string is no usable file: the checks refuse the candidate
    before any rule reads it."""
    with pytest.raises(ConformanceError) as caught:
        put_for(FileWithoutText()).candidates(named_target=False)
    assert str(caught.value).startswith("[postprocess-valid] a candidate must hold at least one CodeFile: ")


class TwoFenceTags(toy_plugins.ToyPlugin):
    """The toy language with a second, longer fence tag after ``toy``."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        """The toy language, fenced as ``toy`` first and ``toylang`` second."""
        register(attrs.evolve(toy_plugins.TOY, fence_tags=("toy", "toylang")))


def test_the_suite_s_own_answers_are_fenced_with_the_first_tag() -> None:
    """The answers the suite writes itself (the original again, invalid code) carry the
    language's first fence tag, the one models are asked to use."""
    put = put_for(TwoFenceTags())
    [verbatim] = [answer for answer in put.batch().answers if answer.startswith("Here is the code.")]
    assert put.fence_tag == "toy" and "```toy:pkg/stats.toy\n" in verbatim
