"""/ai/testgen and /ai/testgen_repair: generated regression tests, cleaned and instrumented."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.errors import UpstreamFailed
from codeflash_engine.pipelines.answers import ask_and_read, json_values
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.types import Answer, CodeFile, GeneratedTests, LanguageSpec, Target, Task, TestsRequest
from codeflash_engine.text.markdown import parse_markdown

log = logging.getLogger(__name__)

#: a model answer with no usable test is retried this many times in all
TESTGEN_ATTEMPTS = 2


@attrs.frozen
class TestTarget:
    """What the tests are for, as the client describes it."""

    __test__ = False

    target: Target
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


def target_of(function_to_optimize: Mapping[str, Any], fields: Mapping[str, Any], source_code: str) -> TestTarget:
    """Build the :class:`TestTarget` from the request's ``function_to_optimize`` and fields.

    The target's path is the code block of ``source_code`` whose path ends the function's
    (absolute) ``file_path``.
    """
    name = str(function_to_optimize["function_name"])
    parents = [p["name"] for p in function_to_optimize.get("parents") or [] if p.get("name")]
    qualified = str(fields.get("qualified_name") or ".".join([*parents, name]))
    class_name = fields.get("class_name")
    if class_name is None and parents:
        class_name = parents[-1]
    file_path = str(function_to_optimize.get("file_path") or "")
    path = next(
        (b.path for b in parse_markdown(source_code) if b.path and file_path.endswith(b.path.lstrip("./"))), None
    )
    is_async = fields.get("is_async")
    return TestTarget(
        target=Target(name=name, qualified_name=qualified, class_name=class_name, path=path),
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
    fields: Mapping[str, Any],
) -> TestsOut:
    """Ask for tests until one answer yields a usable test file (at most TESTGEN_ATTEMPTS calls);
    a retry's prompt carries the problems found in the earlier answers (``previous_problems``)."""
    deadline = engine.deadline()
    files = _files(source_code)
    prompt = await engine.prompt(
        task, language, language_version, fields, original=files, target=target.target, is_async=target.is_async
    )
    problems: list[str] = []
    for _attempt in range(TESTGEN_ATTEMPTS):
        if deadline.expired:
            break
        answers = await engine.ask(prompt, n=1, task=task, trace_id=trace_id, deadline=deadline)
        completion = answers[0][1]
        raw = completion.text
        answer = Answer(text=raw, finish_reason=completion.finish_reason, model=completion.model)
        try:
            tests = await _postprocess(engine, language, language_version, answer, files, target)
        except ValueError as exc:
            problems.append(str(exc))
            log.warning("generated tests unusable: %s", exc)
            # the retry is told what was wrong with the answer (TestPilot re-prompts with the error)
            prompt = await engine.prompt(
                task,
                language,
                language_version,
                {**fields, "previous_problems": [p[:1000] for p in problems]},
                original=files,
                target=target.target,
                is_async=target.is_async,
            )
            continue
        return TestsOut(tests=tests, raw=raw)
    distinct = list(dict.fromkeys(problems))  # the same problem from two attempts is said once
    raise UpstreamFailed(f"the model produced no usable tests: {'; '.join(distinct)[:400] or 'deadline reached'}")


def _files(source_code: str) -> tuple[CodeFile, ...]:
    blocks = parse_markdown(source_code)
    if blocks:
        return tuple(CodeFile(path=b.path, code=b.code) for b in blocks)
    return (CodeFile(path=None, code=source_code),)


async def _postprocess(
    engine: Engine,
    language: LanguageSpec,
    language_version: str | None,
    answer: Answer,
    files: Sequence[CodeFile],
    target: TestTarget,
) -> GeneratedTests:
    request = TestsRequest(
        language=language.name,
        language_version=language_version,
        answer=answer,
        source_code=tuple(files),
        target=target.target,
        module_path=target.module_path,
        test_module_path=target.test_module_path,
        test_framework=target.test_framework,
        test_timeout=target.test_timeout,
        helper_function_names=target.helper_function_names,
        is_async=target.is_async,
        module_system=target.module_system,
        fence_tags=language.fence_tags,
    )
    tests: GeneratedTests | None = await engine.plugins.run(
        "postprocess_tests", language.name, request=request, expected=(ValueError,)
    )
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
    fields: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Per test file, the test functions the model wants repaired (only names that exist).

    An answer with no readable reviews is asked again once within the deadline; when the second
    is not readable either, :class:`UpstreamFailed` says so (the client then keeps the tests as
    they are) rather than an invented "nothing to repair".
    """
    name = str(fields.get("function_name") or "")
    prompt = await engine.prompt(
        Task.TESTGEN_REVIEW,
        language,
        language_version,
        fields,
        original=_files(str(fields.get("function_source_code") or "")),
        target=Target.parse(name) if name.strip(". ") else None,
    )
    reviews = await ask_and_read(
        engine,
        prompt,
        task=Task.TESTGEN_REVIEW,
        trace_id=trace_id,
        deadline=engine.deadline(),
        read=lambda text: read_reviews(text, tests),
    )
    if reviews is None:
        raise UpstreamFailed("the model's review of the tests could not be read, twice")
    return reviews


def _reviews_value(value: Any) -> bool:
    """``{"reviews": [...]}``, or a list of reviews (objects)."""
    if isinstance(value, dict):
        return isinstance(value.get("reviews"), list)
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def read_reviews(text: str, tests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """Keep reviews of test indices the request sent and function names present in that test;
    None when the answer holds no list of reviews (``{"reviews": [...]}`` or ``[...]``)."""
    values = list(json_values(text))  # read once
    value = next((found for found in values if _reviews_value(found)), None)
    if value is None and [] in values:  # no review at all, said as an empty list (a ``[]`` in prose counts only now)
        value = []
    if isinstance(value, dict):
        value = value.get("reviews")
    if not isinstance(value, list):
        return None
    sources = {int(t["test_index"]): str(t.get("test_source", "")) for t in tests}
    merged: dict[int, dict[str, str]] = {}
    for item in value:
        if not isinstance(item, dict):
            continue
        try:
            index = int(item.get("test_index", -1))
        except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity, 1e999
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
