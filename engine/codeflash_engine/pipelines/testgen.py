"""/ai/testgen and /ai/testgen_repair: generated regression tests, cleaned and instrumented."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines.answers import json_value
from codeflash_engine.pipelines.common import Engine, off_loop
from codeflash_engine.plugins.types import CodeFile, GeneratedTests, LanguageSpec, Task, TestsRequest
from codeflash_engine.text.markdown import parse_markdown

log = logging.getLogger(__name__)

#: a model answer with no usable test is retried this many times in all
TESTGEN_ATTEMPTS = 2


@attrs.frozen
class TestTarget:
    """What the tests are for, as the client describes it."""

    __test__ = False

    function_name: str
    qualified_name: str
    class_name: str | None
    module_path: str
    test_module_path: str
    test_framework: str
    test_timeout: int
    helper_function_names: tuple[str, ...] = ()
    is_async: bool = False
    module_system: str | None = None


@attrs.frozen
class TestsOut:
    __test__ = False

    tests: GeneratedTests
    raw: str


def target_of(function_to_optimize: Mapping[str, Any], fields: Mapping[str, Any]) -> TestTarget:
    """Build the :class:`TestTarget` from the request's ``function_to_optimize`` and fields."""
    name = str(function_to_optimize["function_name"])
    parents = [p["name"] for p in function_to_optimize.get("parents") or [] if p.get("name")]
    qualified = fields.get("qualified_name") or ".".join([*parents, name])
    class_name = fields.get("class_name")
    if class_name is None and parents:
        class_name = parents[-1]
    is_async = fields.get("is_async")
    return TestTarget(
        function_name=name,
        qualified_name=str(qualified),
        class_name=class_name,
        module_path=str(fields["module_path"]),
        test_module_path=str(fields["test_module_path"]),
        test_framework=str(fields["test_framework"]),
        test_timeout=int(fields.get("test_timeout") or 15),
        helper_function_names=tuple(fields.get("helper_function_names") or ()),
        is_async=bool(function_to_optimize.get("is_async") if is_async is None else is_async),
        module_system=fields.get("module_system"),
    )


async def generate_tests(
    engine: Engine,
    *,
    task: Task,
    trace_id: str,
    language: LanguageSpec,
    language_version: str | None,
    source_code: str,
    target: TestTarget,
    context: Mapping[str, Any],
) -> TestsOut:
    """Ask for tests until one answer yields a usable test file (at most TESTGEN_ATTEMPTS calls)."""
    deadline = engine.deadline()
    prompt = engine.prompt(task, language, language_version, {**context, "function_name": target.qualified_name})
    files = _files(source_code)
    problems: list[str] = []
    for _attempt in range(TESTGEN_ATTEMPTS):
        if deadline.expired:
            break
        answers = await engine.ask(prompt, n=1, task=task, trace_id=trace_id, deadline=deadline)
        raw = answers[0][1].text
        try:
            tests = await _postprocess(engine, language, language_version, raw, files, target)
        except ValueError as exc:
            problems.append(str(exc))
            log.warning("generated tests unusable: %s", exc)
            continue
        return TestsOut(tests=tests, raw=raw)
    raise UpstreamFailed(f"the model produced no usable tests: {'; '.join(problems)[:400] or 'deadline reached'}")


def _files(source_code: str) -> tuple[CodeFile, ...]:
    blocks = parse_markdown(source_code)
    if blocks:
        return tuple(CodeFile(path=b.path, code=b.code) for b in blocks)
    return (CodeFile(path=None, code=source_code),)


async def _postprocess(
    engine: Engine,
    language: LanguageSpec,
    language_version: str | None,
    raw: str,
    files: Sequence[CodeFile],
    target: TestTarget,
) -> GeneratedTests:
    request = TestsRequest(
        language=language.name,
        language_version=language_version,
        answer=raw,
        source_code=tuple(files),
        function_name=target.function_name,
        qualified_name=target.qualified_name,
        class_name=target.class_name,
        module_path=target.module_path,
        test_module_path=target.test_module_path,
        test_framework=target.test_framework,
        test_timeout=target.test_timeout,
        helper_function_names=target.helper_function_names,
        is_async=target.is_async,
        module_system=target.module_system,
        fence_tags=language.fence_tags,
    )
    tests: GeneratedTests | None = await off_loop(engine.plugins.hook.postprocess_tests, request=request)
    if tests is None:
        raise ValueError(f"no plugin postprocesses tests for {language.name}")
    return tests


async def review_tests(
    engine: Engine,
    *,
    trace_id: str,
    language: LanguageSpec,
    language_version: str | None,
    tests: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Per test file, the test functions the model wants repaired (only names that exist).

    An unreadable answer means nothing to repair: the client then keeps the tests as they are.
    """
    prompt = engine.prompt(Task.TESTGEN_REVIEW, language, language_version, context)
    answers = await engine.ask(prompt, n=1, task=Task.TESTGEN_REVIEW, trace_id=trace_id, deadline=engine.deadline())
    return read_reviews(answers[0][1].text, tests)


def read_reviews(text: str, tests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Keep reviews of test indices the request sent and function names present in that test."""
    value = json_value(text)
    if isinstance(value, dict):
        value = value.get("reviews")
    if not isinstance(value, list):
        return []
    sources = {int(t["test_index"]): str(t.get("test_source", "")) for t in tests}
    merged: dict[int, dict[str, str]] = {}
    for item in value:
        if not isinstance(item, dict):
            continue
        try:
            index = int(item.get("test_index", -1))
        except (TypeError, ValueError):
            continue
        if index not in sources:
            continue
        functions = merged.setdefault(index, {})
        for fn in item.get("functions") or []:
            if not isinstance(fn, dict) or not isinstance(fn.get("function_name"), str):
                continue
            name = fn["function_name"].strip().split(".")[-1].split("::")[-1]
            if name and name in sources[index]:
                functions[name] = str(fn.get("reason") or "")
    return [
        {"test_index": i, "functions": [{"function_name": n, "reason": r} for n, r in fns.items()]}
        for i, fns in sorted(merged.items())
    ]
