"""Go prompts: every specialised task rendered with the client's request (snapshots), and the
parts that depend on the Go version and on the target being a method."""

from __future__ import annotations

import attrs
import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CodeFile, PromptRequest, Task
from codeflash_engine.testing.plugin_kit import LanguageSamples, prompt_requests
from codeflash_engine_go.prompts import build_prompt

SPECIALISED = [Task.OPTIMIZE, Task.REFINE, Task.REPAIR, Task.TESTGEN, Task.TESTGEN_REPAIR]


@pytest.mark.parametrize("task", SPECIALISED, ids=[t.value for t in SPECIALISED])
def test_prompt(task: Task, language_samples: LanguageSamples, snapshot: SnapshotAssertion) -> None:
    prompt = build_prompt(prompt_requests(language_samples, comment_prefix="//")[task])
    assert {"system": prompt.system, "user": prompt.user, "cache_prefix_chars": prompt.cache_prefix_chars} == snapshot


def test_candidate_tasks_ask_for_the_go_answer_format(language_samples: LanguageSamples) -> None:
    contexts = prompt_requests(language_samples, comment_prefix="//")
    for task in (Task.OPTIMIZE, Task.OPTIMIZE_LINE_PROFILER, Task.REFINE, Task.REPAIR, Task.ADAPTIVE):
        system = build_prompt(contexts[task]).system
        assert "```go:stats/series.go" in system and "package stats" in system, task
        assert "its receiver (`Series`" in system, task


def test_the_go_version_decides_the_features_offered(language_samples: LanguageSamples) -> None:
    request = prompt_requests(language_samples)[Task.OPTIMIZE]
    old = build_prompt(attrs.evolve(request, language_version="go1.17.13")).system
    assert "Go 1.17" in old and "generics" not in old
    new = build_prompt(attrs.evolve(request, language_version="1.23.2")).system
    assert "iterators" in new and "generics" in new
    unknown = build_prompt(attrs.evolve(request, language_version=None)).system
    assert "stay within Go 1.17" in unknown


def test_optimize_prompt_from_a_real_request_names_the_target(language_samples: LanguageSamples) -> None:
    """/ai/optimize names no function: the prompt names the one the cleaner infers (its snapshot is
    test_prompt[optimize])."""
    request = prompt_requests(language_samples, comment_prefix="//")[Task.OPTIMIZE]
    assert request.target is None
    user = build_prompt(request).user
    assert f"`{language_samples.target}`" in user


def test_target_package_and_version_from_the_code() -> None:
    code = "package b\n\nfunc F() {}\n"
    request = PromptRequest(
        Task.OPTIMIZE,
        "go",
        "1.21.5",
        fence_tag="go",
        original=(CodeFile("a/b.go", code),),
        fields={"source_code": f"```go:a/b.go\n{code}```"},
    )
    system = build_prompt(request).system
    assert "```go:a/b.go\npackage b" in system and "Go 1.21" in system and "its receiver" not in system
    assert "for F:" in system
    tests = PromptRequest(
        Task.TESTGEN,
        "go",
        None,
        fields={"function_source_code": "func (q *Queue) Pop() int { return 0 }", "module_path": "/p/queue/q.go"},
    )
    prompt = build_prompt(tests)
    assert "`Queue.Pop` (a method of `Queue`)" in prompt.user and "package queue" in prompt.system
