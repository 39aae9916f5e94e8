"""The conformance suite, run by pytest in a scratch project: it passes on a correct plugin, fails
on a plugin broken in one way (one case per rule, only that rule's tests fail), and stays off
unless a conftest declares samples."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import toy_plugins

from codeflash_engine.testing.plugin_kit import RULES

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


def declare(pytester: pytest.Pytester, plugin: str = "ToyPlugin()", extra: str = "") -> None:
    """A conftest declaring toy samples served by ``plugin`` (an expression over toy_plugins)."""
    pytester.syspathinsert(HERE)
    pytester.makeconftest(
        textwrap.dedent(f"""
        import toy_plugins
        from toy_plugins import *
        {extra}
        codeflash_engine_conformance = toy_plugins.toy_samples({plugin})
        """)
    )


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Test id -> outcome of every test the inner run reported."""
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for report in reports:
        if report.when == "call" or report.outcome != "passed":
            out[report.nodeid] = "failed" if out.get(report.nodeid) == "failed" else report.outcome
    return out


def test_a_correct_plugin_passes_every_rule(pytester: pytest.Pytester) -> None:
    declare(pytester)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=62, skipped=6)
    seen = {nodeid.split("::")[1].split("[")[0] for nodeid in outcomes(result)}
    assert {
        "test_registers_its_language",
        "test_foreign_language_does_not_raise",
        "test_validate_reports_line_and_column",
        "test_postprocess_refuses_cut_off_answers",
        "test_prompt_shows_the_code",
        "test_postprocess_keeps_the_target_signature",
        "test_build_prompt_renders",
        "test_apply_diff_round_trips",
        "test_engine_answers",
    } <= seen
    assert all(nodeid.startswith("conftest.py::") for nodeid in outcomes(result))


@pytest.mark.parametrize("broken", list(toy_plugins.BROKEN), ids=lambda cls: cls.__name__)
def test_a_plugin_broken_in_one_way_fails_that_rule_only(pytester: pytest.Pytester, broken: type) -> None:
    declare(pytester, f"{broken.__name__}()")
    expected = toy_plugins.BROKEN[broken]
    args = ["-p", "no:cacheprovider"]
    if expected != "test_engine_answers":
        args.append("--codeflash-engine-no-engine")  # a broken hook breaks requests through the engine too
    result = pytester.runpytest_inprocess(*args)
    found = outcomes(result)
    failed = {nodeid for nodeid, outcome in found.items() if outcome == "failed"}
    assert failed, f"{broken.__name__} passed the suite"
    assert any(f"::{expected}[" in nodeid for nodeid in failed), failed
    if broken is not toy_plugins.BrokenRegisters:  # an unregistered language fails everything
        assert all(f"::{expected}[" in nodeid for nodeid in failed), failed
    rule = next(line for line in result.outlines if "ConformanceError: [" in line)
    assert rule.split("[", 1)[1].split("]", 1)[0] in RULES


def test_every_rule_has_a_broken_plugin() -> None:
    failing_tests = set(toy_plugins.BROKEN.values())
    assert len(failing_tests) == len(toy_plugins.BROKEN)
    covered = {
        "registers": "test_registers_its_language",
        "foreign": "test_foreign_language_does_not_raise",
        "cut-off": "test_postprocess_refuses_cut_off_answers",
        "streaming": "test_postprocess_answer_by_answer_equals_the_batch",
        "prompt-code": "test_prompt_shows_the_code",
        "validate": "test_validate_reports_line_and_column",
        "postprocess-valid": "test_postprocess_returns_only_code_that_validates",
        "identical": "test_postprocess_drops_candidates_identical_to_the_original",
        "signature": "test_postprocess_keeps_the_target_signature",
        "improved": "test_postprocess_keeps_good_answers",
        "build-prompt": "test_build_prompt_renders",
        "apply-diff": "test_apply_diff_round_trips",
        "engine": "test_engine_answers",
        "travels": "test_hook_results_travel_from_the_worker_process",
    }
    assert set(covered) == set(RULES)
    assert set(covered.values()) <= failing_tests


def test_the_failure_message_names_the_input_and_the_fix(pytester: pytest.Pytester) -> None:
    declare(pytester, "BrokenSignature()")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--codeflash-engine-no-engine", "-k", "signature")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*[signature]*the candidate from answer #* (changed signature) lost the signature 'def spread(xs):'*"]
    )


def test_the_kit_is_off_without_a_declaration(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("value = 1\n")
    pytester.makepyfile(
        test_plain="""
        def test_plain(request):
            assert "engine_app_factory" not in request.fixturenames
            assert request.config.pluginmanager.get_plugin("codeflash_engine.testing.plugin_kit.fixtures") is None
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--fixtures")
    assert "engine_app_factory" not in result.stdout.str()


def test_the_flag_and_the_ini_option_register_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixtures="""
        def test_fixtures(plugin_host_factory):
            host = plugin_host_factory()
            assert host.plugins(include_builtin=False) == []
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(errors=1)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--codeflash-engine-kit").assert_outcomes(passed=1)
    pytester.makeini(INI + "codeflash_engine_kit = true\n")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_fixtures_serve_the_declared_plugin_in_strict_asyncio_mode(pytester: pytest.Pytester) -> None:
    declare(pytester)
    pytester.makeini(INI + "asyncio_mode = strict\n")
    pytester.makepyfile(
        test_engine="""
        import pytest

        from codeflash_engine.testing.contract import check_candidates
        from codeflash_engine.testing.engine import call
        from codeflash_engine.testing.plugin_kit.fixtures import API_KEY


        @pytest.mark.asyncio
        async def test_optimize(plugin_engine_client, fake_llm, language_samples, sample_requests):
            fake_llm.reply(language_samples.improved[0])
            body = sample_requests["/ai/optimize"]
            status, body = await call(plugin_engine_client, "/ai/optimize", body, key=API_KEY)
            assert status == 200, body
            check_candidates(body["optimizations"], python=False)
            assert len(body["optimizations"]) == 1


        def test_every_endpoint_has_a_sample(sample_requests):
            assert len(sample_requests) == 13


        def test_a_host_with_chosen_plugins(plugin_host_factory, language_samples):
            host = plugin_host_factory(language_samples.plugin)
            assert sorted(host.languages) == ["toy", "toylang"]
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_engine.py")
    result.assert_outcomes(passed=3)
