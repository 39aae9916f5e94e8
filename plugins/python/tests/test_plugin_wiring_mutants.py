"""The Python plugin's hook wiring (``plugin``), through the engine's plugin host as the engine calls
it: ``python`` and its aliases are the plugin's, and each hook answers with the plugin's own
behaviour, not the builtin's (the syntax checked for the requested version, the Python templates,
the edit reading that parses, candidates that do not parse refused, generated tests
instrumented)."""

from __future__ import annotations

from typing import Any

import pytest

from codeflash_engine import (
    Answer,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    PromptRequest,
    Target,
    Task,
)
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine_python import plugin

from .testgen_samples import REQUESTS


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost()
    host.load()
    return host


def _call(host: PluginHost, hook: str, **kwargs: Any) -> Any:
    return host.call(hook, "python", **kwargs)


def test_python_and_its_aliases_are_the_plugins(host: PluginHost) -> None:
    assert host.language_owner["python"] == "python"
    assert host.languages["python"] == plugin.PYTHON
    registry = LanguageRegistry(host)
    assert registry.resolve("py").name == registry.resolve("python3").name == "python"
    assert registry.by_extension("pkg/a.pyi") == plugin.PYTHON


def test_validate_checks_the_syntax_of_the_requested_version(host: PluginHost) -> None:
    match = "match x:\n    case 1:\n        pass\n"
    assert _call(host, "validate", language="python", code=match, language_version="3.12") == []
    assert _call(host, "validate", language="python", code=match, language_version="3.9")
    assert _call(host, "validate", language="python", code="def f(:\n", language_version=None)


def test_the_prompt_is_the_python_templates(host: PluginHost) -> None:
    request = PromptRequest(Task.OPTIMIZE, "python", "3.12.1", original=(CodeFile("a.py", "def f():\n    return 1\n"),))
    prompt = _call(host, "build_prompt", request=request)
    assert "PEP 659" in prompt.system and prompt.user.startswith("Optimize `f` in the Python code below")


def test_an_edit_is_applied_in_the_reading_that_parses(host: PluginHost) -> None:
    source = "class Stats:\n    def mean(self, xs):\n        if not xs:\n            return 0\n"
    search = "    def mean(self, xs):\n      if not xs:\n        return 0"
    replace = "    def mean(self, xs):\n        if not xs:\n        return None"
    edit = f"pkg/stats.py\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"
    result = _call(
        host, "apply_diff", request=DiffRequest(language="python", files={"pkg/stats.py": source}, edit=edit)
    )
    assert isinstance(result, DiffResult)
    assert result.files == {"pkg/stats.py": source.replace("return 0", "return None")}


def test_a_candidate_that_does_not_parse_is_refused(host: PluginHost) -> None:
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.12",
        original=(CodeFile("a.py", "def f(xs):\n    return sum(x for x in xs)\n"),),
        answers=(
            Answer("```python:a.py\ndef f(xs):\n    return sum(xs\n```"),
            Answer("```python:a.py\ndef f(xs):\n    return sum(xs)\n```"),
        ),
        target=Target.parse("f"),
        fence_tags=("python", "py", "python3"),
    )
    candidates = _call(host, "postprocess_candidates", request=request)
    assert [c.answer_index for c in candidates] == [1]


def test_generated_tests_are_instrumented(host: PluginHost) -> None:
    tests = _call(host, "postprocess_tests", request=REQUESTS["sort_pytest"])
    assert isinstance(tests, GeneratedTests)
    assert tests.instrumented_behavior != tests.generated != tests.instrumented_perf
    assert "codeflash instrumentation" in tests.instrumented_behavior
