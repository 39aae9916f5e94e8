"""The conformance suite: one test per rule of the hook contract (see ``checks.RULES``).

Not collected by itself: the kit's pytest plugin collects it under each ``conftest.py`` that
declares ``codeflash_engine_conformance``, once per declared :class:`LanguageSamples`. Test ids
read ``conftest.py::test_<rule>...[<language>-...]``; a hook the plugin does not implement is
skipped with a reason, so the report shows what was checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from codeflash_engine.plugins.types import Task
from codeflash_engine.testing.plugin_kit import checks, engine_check
from codeflash_engine.testing.plugin_kit.checks import LANGUAGE_HOOKS, PluginUnderTest
from codeflash_engine.testing.plugin_kit.requests import LANGUAGE_ENDPOINTS, tasks_for
from codeflash_engine.testing.plugin_kit.samples import LanguageSamples


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize by the samples the conftest declared, and by hook, task or endpoint."""
    declared: list[LanguageSamples] = getattr(metafunc.definition.parent, "samples_list", [])
    if "samples" in metafunc.fixturenames:
        metafunc.parametrize("samples", declared, ids=[s.name for s in declared], scope="module")
    if "hook" in metafunc.fixturenames:
        metafunc.parametrize("hook", LANGUAGE_HOOKS)
    if "task" in metafunc.fixturenames:
        metafunc.parametrize("task", list(Task), ids=[t.value for t in Task])
    if "context" in metafunc.fixturenames:
        metafunc.parametrize("context", ["runtime", "nulls"])
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", LANGUAGE_ENDPOINTS, ids=[e.removeprefix("/ai/") for e in LANGUAGE_ENDPOINTS])


@pytest.fixture(scope="module")
def put(samples: LanguageSamples) -> PluginUnderTest:
    """The plugin under test, loaded strictly beside the engine's builtins."""
    return checks.plugin_under_test(samples)


def needs(put: PluginUnderTest, hook: str) -> None:
    if not put.implements(hook):
        pytest.skip(f"{put.name} does not implement {hook} (the engine's default is used)")


def test_registers_its_language(put: PluginUnderTest) -> None:
    checks.check_registers(put)


def test_foreign_language_does_not_raise(put: PluginUnderTest, hook: str) -> None:
    needs(put, hook)
    checks.check_foreign(put, hook)


def test_validate_accepts_valid_code(put: PluginUnderTest) -> None:
    needs(put, "validate")
    checks.check_validate_valid(put)


def test_validate_reports_line_and_column(put: PluginUnderTest) -> None:
    needs(put, "validate")
    checks.check_validate_position(put)


def test_postprocess_returns_only_code_that_validates(put: PluginUnderTest) -> None:
    needs(put, "postprocess_candidates")
    checks.check_candidates_validate(put)


def test_postprocess_tests_returns_only_code_that_validates(put: PluginUnderTest) -> None:
    needs(put, "postprocess_tests")
    checks.check_tests_validate(put)


def test_postprocess_drops_candidates_identical_to_the_original(put: PluginUnderTest) -> None:
    needs(put, "postprocess_candidates")
    checks.check_not_identical(put)


def test_postprocess_drops_duplicates(put: PluginUnderTest) -> None:
    needs(put, "postprocess_candidates")
    checks.check_no_duplicates(put)


def test_postprocess_keeps_the_target_signature(put: PluginUnderTest) -> None:
    needs(put, "postprocess_candidates")
    checks.check_signature(put)


def test_postprocess_keeps_good_answers(put: PluginUnderTest) -> None:
    needs(put, "postprocess_candidates")
    checks.check_improved(put)


def test_postprocess_refuses_cut_off_answers(put: PluginUnderTest) -> None:
    checks.check_cut_off(put)


def test_postprocess_answer_by_answer_equals_the_batch(put: PluginUnderTest) -> None:
    checks.check_streaming(put)


def test_prompt_shows_the_code(put: PluginUnderTest, task: Task) -> None:
    if task not in tasks_for(put.samples.language):
        pytest.skip(f"the engine never asks for {task.value} in {put.samples.language}")
    checks.check_prompt_shows_code(put, task)


def test_build_prompt_renders(put: PluginUnderTest, task: Task, context: str) -> None:
    needs(put, "build_prompt")
    if task not in tasks_for(put.samples.language):
        pytest.skip(f"the engine never asks for {task.value} in {put.samples.language}")
    checks.check_build_prompt(put, task, nulls=context == "nulls")


def test_apply_diff_round_trips(put: PluginUnderTest) -> None:
    needs(put, "apply_diff")
    checks.check_apply_diff_round_trip(put)


def test_apply_diff_applies_all_or_nothing(put: PluginUnderTest) -> None:
    needs(put, "apply_diff")
    checks.check_apply_diff_all_or_nothing(put)


def test_hook_results_travel_from_the_worker_process(put: PluginUnderTest) -> None:
    checks.check_travels(put)


def test_engine_answers(put: PluginUnderTest, endpoint: str, request: Any) -> None:
    if request.config.getoption("codeflash_engine_no_engine", default=False):
        pytest.skip("--codeflash-engine-no-engine")
    engine_check.check_engine(put, endpoint)
