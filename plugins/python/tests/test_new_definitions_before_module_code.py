"""New functions an answer puts after the target, in a module whose top level runs code after it
(``if __name__ == "__main__":``, ``app = create_app()``): they go right after the target, as the
client places them, not at the end of the file, where that code would run before they exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_merge_shapes import only_text

SCRIPT = """\
import sys


def total(vs):
    t = 0
    for v in vs:
        t = t + v * v
    return t


{tail}
"""
ANSWER = "def total(vs):\n    return _sumsq(vs)\n\n\ndef _sumsq(vs):\n    return sum(v * v for v in vs)\n"


@pytest.mark.parametrize(
    "tail",
    ['if __name__ == "__main__":\n    print(total([int(a) for a in sys.argv[1:]]))', "RESULT = total([1, 2])"],
    ids=["main-block", "module-level-call"],
)
def test_a_new_helper_goes_before_the_code_that_runs_the_target(tail: str, tmp_path: Path) -> None:
    text = only_text(SCRIPT.format(tail=tail), ANSWER, "total")
    assert text.index("def _sumsq(vs):") < text.index(tail.split("\n")[0]), text
    assert "def total(vs):\n    return _sumsq(vs)\n\n\ndef _sumsq(vs):\n" in text, text
    script = tmp_path / "script.py"
    script.write_text(text + "\nprint(total([3]))\n")
    run = subprocess.run([sys.executable, str(script), "1", "2"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_without_code_after_the_target_new_helpers_stay_at_the_end() -> None:
    source = SCRIPT.format(tail="def other():\n    return 1")
    text = only_text(source, ANSWER, "total")
    assert text.rstrip().endswith("def _sumsq(vs):\n    return sum(v * v for v in vs)"), text
