"""The client's own comparison tells a candidate generator that yields other items from the original.

A generator target's call returns before it does any work, so what the behaviour file records at
the call says nothing about what the test then consumes. The behaviour file records the items the
test consumed instead (see :mod:`codeflash_engine_python.testgen.runtime`). Here a generated test
file for a generator target runs the way the CLI runs it, once against the original and once
against each candidate; the CLI's parser reads each run and its ``compare_test_results`` judges
the pair, in a subprocess of the CLI's interpreter (``CODEFLASH_CLI_PYTHON``, as in
``test_cli_oracle``).

The tests consume the generator three ways (all of it, ``next`` twice, ``islice`` of two) and
their own asserts hold for every candidate, so only the recorded items can tell the candidates
apart.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from codeflash_engine.plugins.types import CodeFile
from codeflash_engine.testing.cli_venv import cli_python
from codeflash_engine_python.testgen.pipeline import postprocess_tests
from codeflash_engine_python.testgen.runtime import PLACEHOLDER

from .test_cli_oracle import run_cli_style
from .testgen_samples import request

pytestmark = [pytest.mark.slow]

ORIGINAL = """\
def running_max(values):
    best = None
    for value in values:
        if best is None or value > best:
            best = value
        yield best
    return best
"""

#: the same items, computed another way
SAME_ITEMS = """\
import itertools


def running_max(values):
    best = None
    for best in itertools.accumulate(values, max):
        yield best
    return best
"""

#: the second item differs (every test consumes it)
SECOND_ITEM_DIFFERS = """\
def running_max(values):
    best = None
    for index, value in enumerate(values):
        if best is None or value > best:
            best = value
        yield best + 1 if index == 1 else best
    return best
"""

#: only the last of five items differs (only the test consuming all of them sees it)
LAST_ITEM_DIFFERS = """\
def running_max(values):
    best = None
    for index, value in enumerate(values):
        if best is None or value > best:
            best = value
        yield best + 1 if index == 4 else best
    return best
"""

TESTS = """```python
from itertools import islice

from pkg.seq import running_max


def test_all_items():
    assert len(list(running_max([3, 1, 4, 1, 5]))) == 5


def test_next_twice():
    items = running_max([2, 7, 1, 8, 2])
    first = next(items)
    second = next(items)
    assert first <= second


def test_islice():
    assert len(list(islice(running_max([6, 2, 9, 4, 1]), 2))) == 2
```"""

COMPARE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from codeflash.languages.current import set_current_language
    set_current_language("python")
    from codeflash.models.models import TestFile, TestFiles, TestType
    from codeflash.verification.verification_utils import TestConfig
    from codeflash.languages.python.parse_xml import parse_python_test_xml
    from codeflash.verification.parse_test_output import merge_test_results, parse_sqlite_test_results
    from codeflash.verification.equivalence import compare_test_results

    root, behavior = Path(sys.argv[1]), sys.argv[2]
    config = TestConfig(tests_root=root / "tests", project_root_path=root, tests_project_rootdir=root)
    files = TestFiles(test_files=[
        TestFile(instrumented_behavior_file_path=root / behavior, benchmarking_file_path=root / behavior,
                 test_type=TestType.GENERATED_REGRESSION)
    ])

    def results(run):
        xml = parse_python_test_xml(root / run / "behavior.xml", files, config)
        return merge_test_results(xml, parse_sqlite_test_results(root / run / "test_return_values_0.sqlite",
                                                                 files, config), "pytest")

    original, candidate = results(sys.argv[3]), results(sys.argv[4])
    equal, diffs = compare_test_results(original, candidate)
    print(json.dumps({
        "calls": sorted(r.id.id() for r in original),
        "passed": all(r.did_pass for r in [*original, *candidate]),
        "equal": equal,
        "diffs": sorted([str(d.scope), d.original_value, d.candidate_value] for d in diffs),
    }))
    """
)

BEHAVIOR_FILE = "tests/test_running_max__unit_test_0.py"


@pytest.fixture(scope="module")
def cli() -> Path:
    """The CLI's interpreter (skips, or fails under the full suite, without it)."""
    return cli_python()


def behavior_file() -> str:
    """The instrumented behaviour file the plugin writes for ``TESTS``."""
    generated = postprocess_tests(
        request(
            TESTS,
            function="running_max",
            qualified="running_max",
            module="pkg.seq",
            test_module="tests.test_running_max__unit_test_0",
            files=(CodeFile("pkg/seq.py", ORIGINAL),),
        )
    )
    return generated.instrumented_behavior


def run_against(cli: Path, root: Path, source: str, run: str) -> None:
    """Run the behaviour file against ``source`` as ``pkg/seq.py``, recording under ``root/run``."""
    (root / "pkg" / "seq.py").write_text(source)
    (root / run).mkdir()
    (root / BEHAVIOR_FILE).write_text(behavior_file().replace(PLACEHOLDER, str(root / run)))
    run_cli_style(cli, root, [BEHAVIOR_FILE], 1, root / run / "behavior.xml")


@pytest.fixture(scope="module")
def project(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project run against the original and against each candidate."""
    root = tmp_path_factory.mktemp("generator_project")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "tests").mkdir()
    for run, source in {
        "original": ORIGINAL,
        "same_items": SAME_ITEMS,
        "second_item_differs": SECOND_ITEM_DIFFERS,
        "last_item_differs": LAST_ITEM_DIFFERS,
    }.items():
        run_against(cli, root, source, run)
    return root


def compare(cli: Path, root: Path, candidate: str) -> dict[str, object]:
    """What the CLI's ``compare_test_results`` says of the original run and ``candidate``'s run."""
    out = subprocess.run(
        [str(cli), "-B", "-c", COMPARE, str(root), BEHAVIOR_FILE, "original", candidate],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_every_call_is_read_and_every_test_passes(cli: Path, project: Path) -> None:
    result = compare(cli, project, "same_items")
    assert result["passed"] is True
    assert result["calls"] == [
        "tests.test_running_max__unit_test_0:test_all_items:running_max:0_0",
        "tests.test_running_max__unit_test_0:test_islice:running_max:0_0",
        "tests.test_running_max__unit_test_0:test_next_twice:running_max:0_0",
    ]


def test_a_candidate_yielding_the_same_items_is_equal(cli: Path, project: Path) -> None:
    result = compare(cli, project, "same_items")
    assert (result["equal"], result["diffs"]) == (True, [])


def test_a_candidate_yielding_one_other_item_is_different(cli: Path, project: Path) -> None:
    result = compare(cli, project, "second_item_differs")
    assert result["equal"] is False
    diffs = result["diffs"]
    assert isinstance(diffs, list) and len(diffs) == 3, diffs  # each test consumed the second item
    assert all(scope == "TestDiffScope.RETURN_VALUE" for scope, _, _ in diffs)


def test_only_the_items_consumed_are_compared(cli: Path, project: Path) -> None:
    result = compare(cli, project, "last_item_differs")
    assert result["equal"] is False
    diffs = result["diffs"]
    assert isinstance(diffs, list) and len(diffs) == 1, diffs  # the other two stopped before the fifth item
    scope, original, candidate = diffs[0]
    assert scope == "TestDiffScope.RETURN_VALUE"
    assert "[3, 3, 4, 4, 5]" in original and "[3, 3, 4, 4, 6]" in candidate
