"""In-process plugins for testing the conformance suite: a correct one, and one broken per rule.

The language ``toy`` is Python's syntax under another name (fence tag ``toy``, files ``*.toy``),
so a correct plugin is short: ``compile`` validates, the core's defaults extract candidates.
Each ``Broken*`` class breaks exactly one rule of :data:`codeflash_engine.testing.plugin_kit.RULES`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import attrs

from codeflash_engine import (
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
    TestsRequest,
    code_by_file,
    hookimpl,
    render_prompt,
)
from codeflash_engine.plugins import defaults
from codeflash_engine.testing.plugin_kit import LanguageSamples
from codeflash_engine.text.edits import apply_edit

TOY = LanguageSpec(name="toy", aliases=("toylang",), extensions=(".toy",), comment_prefix="#", fence_tags=("toy",))
_DEF = re.compile(r"^(\s*)def\s+(\w+)\s*\(.*$", re.MULTILINE)

ORIGINAL = """\
import math


def spread(xs):
    total = 0
    for x in xs:
        total = total + x
    return math.sqrt(total)
"""
TEST_ANSWER = "```toy\nfrom pkg.stats import spread\n\n\ndef test_spread():\n    assert spread([4]) == 2\n```\n"
FAST = "def spread(xs):\n    return math.sqrt(sum(xs))\n"


class ToyPlugin:
    """A correct plugin for ``toy``."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(TOY)

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        try:
            compile(code, "<toy>", "exec")
        except SyntaxError as exc:
            return [SyntaxProblem(line=exc.lineno or 1, column=exc.offset or 1, message=exc.msg)]
        return []

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        return render_prompt(request)

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        signatures = {m.group(2): m.group(0) for f in request.original for m in _DEF.finditer(f.code)}
        out = []
        for candidate in defaults.LENIENT.postprocess(request):
            files = tuple(CodeFile(f.path, self.restore(f.code, signatures)) for f in candidate.files)
            if all(self.validate(TOY.name, f.code, None) == [] for f in files):
                out.append(attrs.evolve(candidate, files=files))
        return out

    @staticmethod
    def restore(code: str, signatures: dict[str, str]) -> str:
        return _DEF.sub(lambda m: signatures.get(m.group(2), m.group(0)), code)

    @hookimpl
    def postprocess_tests(self, request: TestsRequest) -> GeneratedTests | None:
        tests = defaults.tests_from_answer(request)
        problems = self.validate(TOY.name, tests.generated, None)
        if problems:
            raise ValueError(f"the test does not parse: {problems[0]}")
        return tests

    @hookimpl
    def apply_diff(self, request: DiffRequest) -> DiffResult | None:
        result = apply_edit(request.files, request.edit)
        return DiffResult(files=result.files, fuzz=result.fuzz, errors=tuple(result.errors), deleted=result.deleted)


class BrokenRegisters(ToyPlugin):
    """registers: forgets to register its language."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        return None


class BrokenForeign(ToyPlugin):
    """foreign: validate assumes it is only ever called for toy and raises for anything else."""

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        checkers = {TOY.name: super().validate}
        return checkers[language](language, code, language_version)


class BrokenValidate(ToyPlugin):
    """validate: reports every problem at line 1, column 1."""

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        found = super().validate(language, code, language_version)
        return None if found is None else [SyntaxProblem(1, 1, p.message) for p in found]


class BrokenPostprocessValid(ToyPlugin):
    """postprocess-valid: returns candidates without validating them."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        signatures = {m.group(2): m.group(0) for f in request.original for m in _DEF.finditer(f.code)}
        return [
            attrs.evolve(c, files=tuple(CodeFile(f.path, self.restore(f.code, signatures)) for f in c.files))
            for c in defaults.LENIENT.postprocess(request)
        ]


class BrokenTestsValid(ToyPlugin):
    """postprocess-valid (tests): returns whatever code block the answer holds."""

    @hookimpl
    def postprocess_tests(self, request: TestsRequest) -> GeneratedTests | None:
        return defaults.tests_from_answer(request)


class BrokenIdentical(ToyPlugin):
    """identical: keeps answers equal to the original."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        found = super().postprocess_candidates(request) or []
        original = {f.path: " ".join(f.code.split()) for f in request.original}
        for index, answer in enumerate(request.answers):
            code = code_by_file(answer, request.original, language_tags=("toy",), default_language="toy")
            same = [CodeFile(p, c) for p, c in code.items() if original.get(p) == " ".join(c.split())]
            if same and not answer.cut_off:
                found.append(Candidate(files=tuple(same), answer_index=index))
        return found


class BrokenDuplicates(ToyPlugin):
    """identical (duplicates): returns the same candidate twice."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        found = super().postprocess_candidates(request)
        return None if found is None else [*found, *found[:1]]


class BrokenSignature(ToyPlugin):
    """signature: does not restore the original signatures."""

    @staticmethod
    def restore(code: str, signatures: dict[str, str]) -> str:
        return code


class BrokenImproved(ToyPlugin):
    """improved: drops every answer."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        return []


class BrokenBuildPrompt(ToyPlugin):
    """build-prompt: fails on the test generation task."""

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        if request.task.value == "testgen":
            raise KeyError("test_framework")
        return super().build_prompt(request)


class BrokenApplyDiff(ToyPlugin):
    """apply-diff: drops the final newline of every file it edits."""

    @hookimpl
    def apply_diff(self, request: DiffRequest) -> DiffResult | None:
        result = super().apply_diff(request)
        if result is None:
            return None
        return attrs.evolve(result, files={p: t.rstrip("\n") for p, t in result.files.items()})


class BrokenAllOrNothing(ToyPlugin):
    """apply-diff (all or nothing): applies the blocks that match and ignores the others."""

    @hookimpl
    def apply_diff(self, request: DiffRequest) -> DiffResult | None:
        files = dict(request.files)
        for block in re.split(r"(?m)^(?=\S+\n<<<<<<< SEARCH$)", request.edit):
            result = apply_edit(files, block)
            files.update(result.files)
        changed = {p: t for p, t in files.items() if request.files.get(p) != t}
        return DiffResult(files=changed)


class BrokenCutOff(ToyPlugin):
    """cut-off: ignores finish_reason, so an answer the token limit cut off becomes a candidate."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        finished = tuple(attrs.evolve(a, finish_reason="stop") for a in request.answers)
        return super().postprocess_candidates(attrs.evolve(request, answers=finished))


class BrokenStreaming(ToyPlugin):
    """streaming: an off-by-one skips the last answer of every request (in a batch, the suite's
    last answer is a duplicate anyway; answer by answer, every answer is the last)."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        return super().postprocess_candidates(attrs.evolve(request, answers=request.answers[:-1]))


class BrokenPromptCode(ToyPlugin):
    """prompt-code: the user message names the function but does not show its code."""

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        prompt = super().build_prompt(request)
        assert prompt is not None
        return Prompt(system=prompt.system, user=f"Work on `spread` ({request.task.value}).")


class BrokenEngine(ToyPlugin):
    """engine: candidates name a file the request does not have (the client cannot apply them)."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        found = super().postprocess_candidates(request)
        if found is None:
            return None
        return [attrs.evolve(c, files=tuple(CodeFile(f"moved/{f.path}", f.code) for f in c.files)) for c in found]


@attrs.frozen
class _ProblemWithItsParser(SyntaxProblem):
    parser: Any = None


class BrokenTravels(ToyPlugin):
    """travels: each problem validate finds holds the parser that found it (a lock here), which
    cannot travel back from the plugin's worker process."""

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        found = super().validate(language, code, language_version) or []
        return [_ProblemWithItsParser(p.line, p.column, p.message, parser=threading.Lock()) for p in found]


#: broken plugin class -> the test of the suite that must fail (and only it, among the others)
BROKEN: dict[type[ToyPlugin], str] = {
    BrokenRegisters: "test_registers_its_language",
    BrokenForeign: "test_foreign_language_does_not_raise",
    BrokenValidate: "test_validate_reports_line_and_column",
    BrokenPostprocessValid: "test_postprocess_returns_only_code_that_validates",
    BrokenTestsValid: "test_postprocess_tests_returns_only_code_that_validates",
    BrokenIdentical: "test_postprocess_drops_candidates_identical_to_the_original",
    BrokenDuplicates: "test_postprocess_drops_duplicates",
    BrokenSignature: "test_postprocess_keeps_the_target_signature",
    BrokenImproved: "test_postprocess_keeps_good_answers",
    BrokenBuildPrompt: "test_build_prompt_renders",
    BrokenApplyDiff: "test_apply_diff_round_trips",
    BrokenAllOrNothing: "test_apply_diff_applies_all_or_nothing",
    BrokenCutOff: "test_postprocess_refuses_cut_off_answers",
    BrokenStreaming: "test_postprocess_answer_by_answer_equals_the_batch",
    BrokenPromptCode: "test_prompt_shows_the_code",
    BrokenEngine: "test_engine_answers",
    BrokenTravels: "test_hook_results_travel_from_the_worker_process",
}


def toy_samples(plugin: object | None = None, **over: Any) -> LanguageSamples:
    """Samples for ``toy`` served by ``plugin`` (default: a correct ToyPlugin)."""
    values: dict[str, Any] = {
        "language": "toy",
        "plugin": plugin if plugin is not None else ToyPlugin(),
        "language_version": "1.0",
        "valid": "def f(x):\n    return x + 1\n",
        "invalid": "def spread(xs):\n    return math.sqrt(sum(xs) +\n\n\nprint(1)\n",
        "invalid_line": 2,
        "invalid_column": 21,
        "original": {"pkg/stats.toy": ORIGINAL, "pkg/util.toy": "def unit():\n    return 1\n"},
        "target": "spread",
        "signature": "def spread(xs):",
        "improved": [
            f"Use sum.\n\n```toy:pkg/stats.toy\nimport math\n\n\n{FAST}```\n",
            "Keep a local.\n\n```toy:pkg/stats.toy\nimport math\n\n\ndef spread(xs):\n"
            "    s = sum(xs)\n    return math.sqrt(s)\n```\n",
        ],
        "identical": [f"Same.\n\n```toy:pkg/stats.toy\n{ORIGINAL.replace(chr(10) * 3, chr(10) * 2)}```\n"],
        "changed_signature": [
            "Use a generator.\n\n```toy:pkg/stats.toy\nimport math\n\n\ndef spread(xs, scale=1):\n"
            "    return math.sqrt(sum(xs)) * scale\n```\n"
        ],
        "test_framework": "pytest",
        "test_answer": TEST_ANSWER,
        "module_path": "pkg.stats",
        "test_module_path": "tests.test_spread__unit_test_0",
    }
    values.update(over)
    return LanguageSamples(**values)
