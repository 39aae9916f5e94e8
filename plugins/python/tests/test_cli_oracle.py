"""The published CLI's own result parser reads our instrumented runs (black-box oracle).

Needs ``CODEFLASH_CLI_PYTHON``: a Python with ``codeflash==0.20.6`` and ``pytest<9`` installed
(``./scripts/test`` makes one in ``.venv-cli``; by hand: ``python3 -m venv /tmp/cfcli &&
/tmp/cfcli/bin/pip install codeflash==0.20.6 'pytest<9'``). Skipped without it under a plain
pytest, failed without it under ``./scripts/test`` or CI (:mod:`codeflash_engine.testing.cli_venv`).
The tests run in that interpreter the way the CLI runs them (its
pytest plugin, its loop options, JUnit XML with captured output), then the CLI's parser reads the
XML and the sqlite file. Nothing of the client is imported into the plugin or this process: the
parser runs in a subprocess of that interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from codeflash_engine.testing.cli_venv import cli_python
from codeflash_engine_python.testgen.pipeline import postprocess_tests
from codeflash_engine_python.testgen.runtime import PLACEHOLDER

from .testgen_samples import PROJECT, REQUESTS

pytestmark = [pytest.mark.slow]

SAMPLES = ("sort_pytest", "vec_pytest", "sort_unittest")

PARSE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from codeflash.languages.current import set_current_language
    set_current_language("python")
    from codeflash.models.models import TestFile, TestFiles, TestType
    from codeflash.verification.verification_utils import TestConfig
    from codeflash.languages.python.parse_xml import parse_python_test_xml
    from codeflash.verification.parse_test_output import merge_test_results, parse_sqlite_test_results

    root, xml, db = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    pairs = json.loads(sys.argv[4])
    config = TestConfig(tests_root=root / "tests", project_root_path=root, tests_project_rootdir=root)
    files = TestFiles(test_files=[
        TestFile(instrumented_behavior_file_path=root / b, benchmarking_file_path=root / p,
                 test_type=TestType.GENERATED_REGRESSION)
        for b, p in pairs
    ])
    results = parse_python_test_xml(xml, files, config)
    if db.exists():
        results = merge_test_results(results, parse_sqlite_test_results(db, files, config), "pytest")
    print(json.dumps([
        {"id": r.id.id(), "loop": r.loop_index, "passed": r.did_pass, "runtime": r.runtime,
         "value": repr(r.return_value)}
        for r in results
    ]))
    """
)


@pytest.fixture(scope="module")
def cli() -> Path:
    return cli_python()


def run_cli_style(cli: Path, project: Path, files: list[str], loops: int, xml: Path) -> None:
    env = {
        **os.environ,
        "CODEFLASH_TEST_ITERATION": "0",
        "CODEFLASH_LOOP_INDEX": "1",
        "PYTEST_PLUGINS": "codeflash.verification.pytest_plugin",
    }
    subprocess.run(
        [
            str(cli),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--capture=tee-sys",
            "-q",
            "--codeflash_loops_scope=session",
            f"--codeflash_min_loops={loops}",
            f"--codeflash_max_loops={loops}",
            "--codeflash_seconds=0.5",
            f"--junitxml={xml}",
            "-o",
            "junit_logging=all",
            *files,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def parse_with_cli(cli: Path, project: Path, xml: Path, pairs: list[tuple[str, str]]) -> list[dict[str, object]]:
    out = subprocess.run(
        [
            str(cli),
            "-c",
            PARSE,
            str(project),
            str(xml),
            str(project / "run" / "test_return_values_0.sqlite"),
            json.dumps(pairs),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    root = tmp_path_factory.mktemp("cli_project")
    for path, text in PROJECT.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "tests").mkdir()
    (root / "run").mkdir()
    pairs = []
    for name in SAMPLES:
        tests = postprocess_tests(REQUESTS[name])
        stem = REQUESTS[name].test_module_path.replace(".", "/")
        behavior, perf = f"{stem}.py", f"{stem.replace('__unit_test_', '__perf_test_')}.py"
        run_dir = str(root / "run")
        (root / behavior).write_text(tests.instrumented_behavior.replace(PLACEHOLDER, run_dir))
        (root / perf).write_text(tests.instrumented_perf.replace(PLACEHOLDER, run_dir))
        pairs.append((behavior, perf))
    return root, pairs


def test_the_cli_reads_behaviour_results(cli: Path, project: tuple[Path, list[tuple[str, str]]]) -> None:
    root, pairs = project
    xml = root / "run" / "behavior.xml"
    run_cli_style(cli, root, [b for b, _ in pairs], 1, xml)
    results = {r["id"]: r for r in parse_with_cli(cli, root, xml, pairs)}
    basic = results["tests.test_sort_list__unit_test_0:test_basic:sort_list:0_0"]
    assert basic["passed"] is True and basic["value"] == "((([3, 1, 2],), {}, [1, 2, 3]),)"
    failing = results["tests.test_sort_list__unit_test_0:test_unexpected_error:sort_list:0_0"]
    assert failing["passed"] is False and "TypeError" in str(failing["value"])
    assert results["tests.test_length__unit_test_0:TestLength.test_twice:Vec.length:1_1"]["value"] == "(((), {}, 3.0),)"
    assert results["tests.test_sort_list__unit_test_1:TestSort.test_sorted:sort_list:0_0"]["passed"] is True
    assert results["tests.test_sort_list__unit_test_0:test_via_helper:sort_list:h0_0"]["passed"] is True
    assert all(isinstance(r["runtime"], int) and r["runtime"] > 0 for r in results.values())


def test_the_cli_reads_performance_loops(cli: Path, project: tuple[Path, list[tuple[str, str]]]) -> None:
    root, pairs = project
    xml = root / "run" / "perf.xml"
    (root / "run" / "test_return_values_0.sqlite").unlink(missing_ok=True)
    run_cli_style(cli, root, [p for _, p in pairs], 3, xml)
    results = parse_with_cli(cli, root, xml, pairs)
    loops = {r["loop"] for r in results}
    assert loops == {1, 2, 3}
    timed = [r for r in results if r["id"].endswith(":0_0") and "test_basic" in str(r["id"])]
    assert len(timed) == 3 and all(isinstance(r["runtime"], int) and r["runtime"] > 0 for r in timed)
