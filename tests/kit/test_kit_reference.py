"""The conformance suite passes on the plugins shipped with the engine (their reference samples),
each run as its plugin's tests/conftest.py would run it: one declaration line."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


@pytest.mark.parametrize("name", ["PYTHON", "JAVA", "JS_TS"])
def test_reference_samples_pass_on_the_shipped_plugin(pytester: pytest.Pytester, name: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        f"from codeflash_engine.testing.plugin_kit.reference import {name} as codeflash_engine_conformance\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome = result.parseoutcomes()
    assert outcome.get("failed", 0) == 0 and outcome.get("errors", 0) == 0, result.stdout.str()[-4000:]
    assert outcome["passed"] >= 40
