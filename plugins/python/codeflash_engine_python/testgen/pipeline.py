"""From a raw testgen answer to the three files the CLI needs (contract 3.6 and 5)."""

from __future__ import annotations

import ast

from codeflash_engine import GeneratedTests, TestsRequest
from codeflash_engine.text.markdown import extract_code_blocks
from codeflash_engine_python.syntax import parse, without_stray_characters
from codeflash_engine_python.testgen.assertions import remove_assertions
from codeflash_engine_python.testgen.cleanup import TestCleanupError, clean_tests
from codeflash_engine_python.testgen.context import TestTarget, build_target
from codeflash_engine_python.testgen.instrument import CallMatcher, Mode, Target, instrument

PYTHON_TAGS = ("python", "py", "python3")


def extract_test_code(answer: str, fence_tags: tuple[str, ...] = ()) -> str:
    """The test code of an answer: its Python blocks joined, or the whole answer if it has none."""
    blocks = extract_code_blocks(answer, language_tags=fence_tags or PYTHON_TAGS, default_language="python")
    if blocks:
        return "\n\n".join(block.code for block in blocks)
    if "```" in answer:
        raise TestCleanupError("the answer has code fences but none holds Python code")
    return answer


def instrument_target(tree: ast.Module, target: TestTarget) -> Target:
    """The instrumenter's view of the target, with the aliases the test file imports it under."""
    aliases = tuple(
        alias.asname
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name == target.import_name and alias.asname
    )
    return Target(
        name=target.function_name,
        qualified_name=target.qualified_name,
        is_method=target.is_method,
        is_async=target.is_async,
        class_name=target.class_name,
        aliases=aliases if not target.is_method or target.function_name == "__init__" else (),
    )


def instrument_tests(
    cleaned: str, target: TestTarget, test_module_path: str, language_version: str | None
) -> tuple[str, str]:
    """(behaviour file, performance file) for a cleaned test file."""
    behavior_tree = parse(cleaned, language_version)
    call_target = instrument_target(behavior_tree, target)
    behavior, wrapped = instrument(behavior_tree, call_target, test_module_path, Mode.BEHAVIOR)
    if wrapped == 0:
        raise TestCleanupError(f"no test calls {target.qualified_name}; nothing to measure")
    perf_tree = parse(cleaned, language_version)
    perf_tree = remove_assertions(perf_tree, CallMatcher(call_target, perf_tree), runs_coroutines=call_target.is_async)
    perf, _ = instrument(perf_tree, call_target, test_module_path, Mode.PERFORMANCE)
    return behavior, perf


def postprocess_tests(request: TestsRequest) -> GeneratedTests:
    """Extract, clean and instrument a generated test answer; ValueError when nothing is usable."""
    if request.answer.cut_off:
        raise TestCleanupError("the answer was cut off by the token limit; its last test may be incomplete")
    target = build_target(request)
    code = extract_test_code(request.answer.text, request.fence_tags)
    code = without_stray_characters(code, request.language_version)
    cleaned = clean_tests(code, target, request.test_framework, request.language_version)
    behavior, perf = instrument_tests(cleaned, target, request.test_module_path, request.language_version)
    return GeneratedTests(generated=cleaned, instrumented_behavior=behavior, instrumented_perf=perf)
