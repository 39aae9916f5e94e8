"""Run the instrumented files under pytest in a subprocess, the way the CLI does, and check the results.

The sample project gets the four sample test files (plain function, method, unittest, async),
instrumented by the plugin, with ``{codeflash_run_tmp_dir_client_side}`` replaced as the CLI
replaces it. One pytest run executes the behaviour files (iteration 3, loop index 2) and one the
performance files; the sqlite rows and stdout markers are then read back and checked against
contract section 5.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dill
import pytest

from codeflash_engine.plugins.types import GeneratedTests
from codeflash_engine_python.testgen.pipeline import postprocess_tests
from codeflash_engine_python.testgen.runtime import PLACEHOLDER

from .testgen_samples import PROJECT, REQUESTS

#: the markers, from the contract: start ``!$######<tag>######$!`` on its own line, end
#: ``!######<tag>######!`` (behaviour) or ``!######<tag>:<ns>######!`` (performance)
START = re.compile(r"!\$######(?P<tag>[^#]+)######\$!\n")
END = re.compile(r"!######(?P<tag>[^#]+?)(?::(?P<ns>\d+))?######!")
TAG = re.compile(
    r"^(?P<module>[^:]*):(?:(?P<cls>[^:.]*)\.)?(?P<test>[^.:]*):(?P<fn>[^:]*):(?P<loop>\d+):(?P<inv>[^:#]*)$"
)

ITERATION = "3"
LOOP = "2"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for path, text in PROJECT.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "tests").mkdir()
    (root / "run").mkdir()
    return root


@pytest.fixture(scope="module")
def generated() -> dict[str, GeneratedTests]:
    return {name: postprocess_tests(request) for name, request in REQUESTS.items()}


def write(project: Path, generated: dict[str, GeneratedTests], perf: bool) -> list[str]:
    paths = []
    for name, tests in generated.items():
        module = REQUESTS[name].test_module_path
        text = tests.instrumented_perf if perf else tests.instrumented_behavior
        path = project / (module.replace(".", "/").replace("__unit_test_", "__perf_test_" if perf else "__unit_test_"))
        path = path.with_suffix(".py")
        path.write_text(text.replace(PLACEHOLDER, str(project / "run")))
        paths.append(str(path.relative_to(project)))
    return paths


def run_pytest(project: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CODEFLASH_LOOP_INDEX": LOOP,
        "CODEFLASH_TEST_ITERATION": ITERATION,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # start fast: only the plugin the async tests need
    }
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "pytest_asyncio.plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            "-s",
            "-rN",
            "--rootdir",
            str(project),
            *files,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def behavior(project: Path, generated: dict[str, GeneratedTests]) -> subprocess.CompletedProcess[str]:
    return run_pytest(project, write(project, generated, perf=False))


@pytest.fixture(scope="module")
def performance(project: Path, generated: dict[str, GeneratedTests]) -> subprocess.CompletedProcess[str]:
    return run_pytest(project, write(project, generated, perf=True))


def tags(stdout: str) -> tuple[list[str], list[tuple[str, str | None]]]:
    starts = [m.group("tag") for m in START.finditer(stdout)]
    ends = [(m.group("tag"), m.group("ns")) for m in END.finditer(stdout)]
    return starts, ends


def rows(project: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(project / "run" / f"test_return_values_{ITERATION}.sqlite") as db:
        return db.execute("SELECT * FROM test_results ORDER BY rowid").fetchall()


EXPECTED_CALLS = {
    # (module, class, test, function, invocation id)
    ("tests.test_sort_list__unit_test_0", None, "test_basic", "sort_list", "0_0"),
    ("tests.test_sort_list__unit_test_0", None, "test_many", "sort_list", "0_0_0"),
    ("tests.test_sort_list__unit_test_0", None, "test_many", "sort_list", "0_0_1"),
    ("tests.test_sort_list__unit_test_0", None, "test_many", "sort_list", "0_0_2"),
    ("tests.test_sort_list__unit_test_0", None, "test_via_helper", "sort_list", "h0_0"),
    ("tests.test_sort_list__unit_test_0", None, "test_bad_input", "sort_list", "0_0_0"),
    ("tests.test_sort_list__unit_test_0", None, "test_unexpected_error", "sort_list", "0_0"),
    ("tests.test_sort_list__unit_test_0", None, "test_large", "sort_list", "1_0"),
    ("tests.test_length__unit_test_0", "TestLength", "test_unit", "Vec.length", "1_0"),
    ("tests.test_length__unit_test_0", "TestLength", "test_twice", "Vec.length", "1_0"),
    ("tests.test_length__unit_test_0", "TestLength", "test_twice", "Vec.length", "1_1"),
    ("tests.test_sort_list__unit_test_1", "TestSort", "test_sorted", "sort_list", "0_0"),
    ("tests.test_sort_list__unit_test_1", "TestSort", "test_empty", "sort_list", "0_0"),
    ("tests.test_fetch_double__unit_test_0", None, "test_fetch", "fetch_double", "0_0"),
    ("tests.test_fetch_double__unit_test_0", None, "test_gather", "fetch_double", "0_0"),
    ("tests.test_fetch_double__unit_test_0", None, "test_gather", "fetch_double", "0_1"),
    ("tests.test_fetch_double__unit_test_0", None, "test_error", "fetch_double", "0_0_0"),
}


def parse_tag(tag: str) -> tuple[str, str | None, str, str, str, str]:
    match = TAG.match(tag)
    assert match, tag
    return match["module"], match["cls"], match["test"], match["fn"], match["loop"], match["inv"]


def test_behavior_run_passes_except_the_deliberate_failure(behavior: subprocess.CompletedProcess[str]) -> None:
    assert "1 failed, 12 passed" in behavior.stdout, behavior.stdout + behavior.stderr
    assert "test_unexpected_error" in behavior.stdout


def test_behavior_markers(behavior: subprocess.CompletedProcess[str]) -> None:
    starts, ends = tags(behavior.stdout)
    assert starts == [tag for tag, _ in ends]  # every start has its end, in order
    assert all(ns is None for _, ns in ends)  # no duration in the behaviour file
    calls = {parse_tag(tag) for tag in starts}
    assert {(m, c, t, f, i) for m, c, t, f, _, i in calls} == EXPECTED_CALLS
    assert {loop for *_, loop, _ in calls} == {LOOP}
    assert len(starts) == len(EXPECTED_CALLS)


def test_behavior_stdout_between_markers_is_only_the_functions_own(behavior: subprocess.CompletedProcess[str]) -> None:
    out = behavior.stdout
    for start in START.finditer(out):
        end = out.index(f"!######{start['tag']}######!", start.end())
        between = re.sub(END.pattern + r"\n?", "", START.sub("", out[start.end() : end]))  # gathered calls interleave
        assert between == "", start["tag"]  # the sample functions print nothing, nor does the wrapper


def test_behavior_sqlite_rows(project: Path, behavior: subprocess.CompletedProcess[str]) -> None:
    found = rows(project)
    assert len(found) == len(EXPECTED_CALLS)
    keyed = {}
    for module, cls, test, fn, loop, inv, runtime, blob, kind in found:
        assert kind == "function_call"
        assert loop == int(LOOP)
        assert isinstance(runtime, int) and runtime > 0
        keyed[(module, cls, test, fn, inv)] = dill.loads(blob)
    assert set(keyed) == EXPECTED_CALLS
    assert keyed[("tests.test_sort_list__unit_test_0", None, "test_basic", "sort_list", "0_0")] == (
        ([3, 1, 2],),
        {},
        [1, 2, 3],
    )
    args, kwargs, value = keyed[("tests.test_length__unit_test_0", "TestLength", "test_unit", "Vec.length", "1_0")]
    assert (args, kwargs, value) == ((), {}, 15.0)
    assert keyed[("tests.test_fetch_double__unit_test_0", None, "test_gather", "fetch_double", "0_1")] == ((3,), {}, 6)


def test_failing_calls_record_their_exception(project: Path, behavior: subprocess.CompletedProcess[str]) -> None:
    keyed = {(r[2], r[5]): dill.loads(r[7]) for r in rows(project)}
    unexpected = keyed[("test_unexpected_error", "0_0")]
    assert isinstance(unexpected, TypeError)
    assert isinstance(keyed[("test_bad_input", "0_0_0")], TypeError)
    assert isinstance(keyed[("test_error", "0_0_0")], ValueError)
    assert str(keyed[("test_error", "0_0_0")]) == "negative"


def test_performance_markers_carry_durations(performance: subprocess.CompletedProcess[str]) -> None:
    assert "1 failed, 12 passed" in performance.stdout, performance.stdout
    starts, ends = tags(performance.stdout)
    assert starts == [tag for tag, _ in ends]
    assert all(ns is not None and int(ns) > 0 for _, ns in ends)
    calls = {parse_tag(tag) for tag in starts}
    assert {(m, c, t, f, i) for m, c, t, f, _, i in calls} == EXPECTED_CALLS
    assert Counter(loop for *_, loop, _ in calls) == Counter({LOOP: len(EXPECTED_CALLS)})


def test_performance_file_writes_no_rows(project: Path, performance: subprocess.CompletedProcess[str]) -> None:
    before = len(rows(project))
    assert before == len(EXPECTED_CALLS)  # only the behaviour run's rows


def test_async_calls_defer_to_the_clis_decorator_when_loaded(
    project: Path, generated: dict[str, GeneratedTests]
) -> None:
    """With the CLI's ``codeflash_async_wrapper`` imported, our wrapper only sets the line id."""
    (project / "codeflash_async_wrapper.py").write_text("")
    conftest = project / "conftest.py"
    conftest.write_text(
        "import os, codeflash_async_wrapper\n\n\ndef pytest_runtest_teardown(item):\n"
        "    print('LINE_ID=' + os.environ.get('CODEFLASH_CURRENT_LINE_ID', ''))\n"
    )
    try:
        path = write(project, {"fetch_async": generated["fetch_async"]}, perf=False)
        result = run_pytest(project, path)
    finally:
        conftest.unlink()
        (project / "codeflash_async_wrapper.py").unlink()
    assert "3 passed" in result.stdout, result.stdout + result.stderr
    starts, ends = tags(result.stdout)
    assert starts == [] and ends == []
    assert "LINE_ID=0_0" in result.stdout  # test_error's call site
