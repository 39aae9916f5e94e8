"""Go prompts: every specialised task rendered with the client's request (snapshots), and the
parts that depend on the Go version and on the target being a method."""

from __future__ import annotations

import attrs
import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.plugins.types import Task
from codeflash_engine.testing.plugin_kit import LanguageSamples, prompt_contexts
from codeflash_engine_go.prompts import build_prompt, language_context

SPECIALISED = [Task.OPTIMIZE, Task.REFINE, Task.REPAIR, Task.TESTGEN, Task.TESTGEN_REPAIR]


@pytest.mark.parametrize("task", SPECIALISED, ids=[t.value for t in SPECIALISED])
def test_prompt(task: Task, language_samples: LanguageSamples, snapshot: SnapshotAssertion) -> None:
    prompt = build_prompt(prompt_contexts(language_samples, comment_prefix="//")[task])
    assert {"system": prompt.system, "user": prompt.user, "cache_prefix_chars": prompt.cache_prefix_chars} == snapshot


def test_candidate_tasks_ask_for_the_go_answer_format(language_samples: LanguageSamples) -> None:
    contexts = prompt_contexts(language_samples, comment_prefix="//")
    for task in (Task.OPTIMIZE, Task.OPTIMIZE_LINE_PROFILER, Task.REFINE, Task.REPAIR, Task.ADAPTIVE):
        system = build_prompt(contexts[task]).system
        assert "```go:stats/series.go" in system and "package stats" in system, task
        assert "its receiver (`Series`" in system, task


def test_the_go_version_decides_the_features_offered(language_samples: LanguageSamples) -> None:
    request = prompt_contexts(language_samples)[Task.OPTIMIZE]
    old = build_prompt(attrs.evolve(request, language_version="go1.17.13")).system
    assert "Go 1.17" in old and "generics" not in old
    new = build_prompt(attrs.evolve(request, language_version="1.23.2")).system
    assert "iterators" in new and "generics" in new
    unknown = build_prompt(attrs.evolve(request, language_version=None)).system
    assert "stay within Go 1.17" in unknown


def test_language_context() -> None:
    context = language_context("1.21.5", {"source_code": "```go:a/b.go\npackage b\n\nfunc F() {}\n```"})
    assert context["package_name"] == "b" and context["target"] == "F" and context["receiver"] is None
    assert context["go_version"] == "1.21" and context["target_path"] == "a/b.go"
    tests = language_context(
        None, {"function_source_code": "func (q *Queue) Pop() int { return 0 }", "module_path": "/p/queue/q.go"}
    )
    assert tests["target"] == "Queue.Pop" and tests["receiver"] == "Queue" and tests["package_name"] == "queue"
