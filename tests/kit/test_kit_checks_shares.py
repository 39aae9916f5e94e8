"""The conformance checks (kit.checks), found by the second share of their mutation run: the
candidates and tests requests the checks send say what the sample bodies say of the target (not
async), a refusal quotes the first problem validate reported, and a user message that shows
exactly four lines in five of the code is enough."""

from __future__ import annotations

from typing import Any

import pytest
import toy_plugins

from codeflash_engine import (
    Candidate,
    CandidatesRequest,
    GeneratedTests,
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
