"""The engine's builtin hook implementations: apply_diff over the text layer, default postprocessing."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.defaults import LENIENT
from codeflash_engine.plugins.defaults import tests_from_answer as default_tests
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    Target,
    Task,
    TestsRequest,
)

ORIGINAL = {"pkg/a.py": "def f(x):\n    return x + 1\n", "pkg/b.py": "def g():\n    return 2\n"}


def host() -> PluginHost:
    h = PluginHost()
    h.load([])  # builtins only
    return h


def test_apply_diff_search_replace_through_the_hook() -> None:
    edit = "pkg/a.py\n```python\n<<<<<<< SEARCH\n    return x + 1\n=======\n    return x + 2\n>>>>>>> REPLACE\n```\n"
    result = host().call("apply_diff", "python", request=DiffRequest(language="python", files=ORIGINAL, edit=edit))
    assert result.ok and result.files == {"pkg/a.py": "def f(x):\n    return x + 2\n"}


def test_apply_diff_v4a_delete_and_failure_report() -> None:
    h = host()
    patch = "*** Begin Patch\n*** Delete File: pkg/b.py\n*** End Patch\n"
    result = h.call("apply_diff", None, request=DiffRequest(language=None, files=ORIGINAL, edit=patch))
    assert result.ok and result.deleted == ("pkg/b.py",)
    bad = "*** Begin Patch\n*** Update File: pkg/a.py\n@@\n-    return x + 100\n+    return 0\n*** End Patch\n"
    failed = h.call("apply_diff", None, request=DiffRequest(language=None, files=ORIGINAL, edit=bad))
    assert not failed.ok and not failed.files and "pkg/a.py" in failed.errors[0]


TOY = (CodeFile("src/main.toy", "(def f (x) (+ x 1))"),)


def postprocess(*answers: str, finish_reason: str = "stop") -> list[Candidate]:
    """The builtin default over ``answers``, read as the engine reads them (edits applied)."""
    read = tuple(read_answer(host(), "toy", a, original=TOY, finish_reason=finish_reason) for a in answers)
    request = CandidatesRequest(
        task=Task.OPTIMIZE, language="toy", language_version=None, original=TOY, answers=read, fence_tags=("toy",)
    )
    return LENIENT.postprocess(request)


def test_default_postprocess_maps_dedups_and_drops_unchanged() -> None:
    answers = (
        "Faster.\n```toy\n(def f (x) (inc x))\n```",  # path-less block: the target file
        "Same again.\n```toy:src/main.toy\n(def f (x)  (inc x))\n```",  # duplicate up to whitespace
        "```toy\n(def f (x) (+ x 1))\n```",  # unchanged
        "no code",
    )
    out = postprocess(*answers)
    assert len(out) == 1
    assert out[0].files == (CodeFile("src/main.toy", "(def f (x) (inc x))\n"),)
    assert out[0].explanation == "Faster." and out[0].answer_index == 0


def test_default_postprocess_applies_edits() -> None:
    edit = "src/main.toy\n```\n<<<<<<< SEARCH\n(def f (x) (+ x 1))\n=======\n(def f (x) (inc x))\n>>>>>>> REPLACE\n```"
    out = postprocess(edit)
    assert [f.code for f in out[0].files] == ["(def f (x) (inc x))\n"]


def test_default_postprocess_refuses_a_cut_off_answer() -> None:
    assert postprocess("Faster.\n```toy\n(def f (x) (inc x))\n```", finish_reason="length") == []


def test_default_tests_take_the_first_block() -> None:
    req = TestsRequest(
        language="toy",
        language_version=None,
        answer=Answer("Tests:\n```toy\n(assert (= (f 1) 2))\n```", finish_reason="stop"),
        source_code=(),
        target=Target.parse("f"),
        module_path="main",
        test_module_path="main_test",
        test_framework="toytest",
        test_timeout=15,
        fence_tags=("toy",),
    )
    tests = default_tests(req)
    assert tests.generated == tests.instrumented_behavior == "(assert (= (f 1) 2))\n"


def test_default_tests_refuse_a_cut_off_answer() -> None:
    req = TestsRequest(
        language="toy",
        language_version=None,
        answer=Answer("Tests:\n```toy\n(assert (= (f 1) 2))\n```", finish_reason="length"),
        source_code=(),
        target=Target.parse("f"),
        module_path="main",
        test_module_path="main_test",
        test_framework="toytest",
        test_timeout=15,
    )
    with pytest.raises(ValueError, match="cut off"):
        default_tests(req)
