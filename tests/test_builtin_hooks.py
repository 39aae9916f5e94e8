"""The engine's builtin hook implementations: apply_diff over the text layer, default postprocessing."""

from __future__ import annotations

from codeflash_engine.plugins.defaults import candidates_from_answers
from codeflash_engine.plugins.defaults import tests_from_answer as default_tests
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import CandidatesRequest, CodeFile, DiffRequest, Task, TestsRequest

ORIGINAL = {"pkg/a.py": "def f(x):\n    return x + 1\n", "pkg/b.py": "def g():\n    return 2\n"}


def host() -> PluginHost:
    h = PluginHost()
    h.load([])  # builtins only
    return h


def test_apply_diff_search_replace_through_the_hook() -> None:
    edit = "pkg/a.py\n```python\n<<<<<<< SEARCH\n    return x + 1\n=======\n    return x + 2\n>>>>>>> REPLACE\n```\n"
    result = host().hook.apply_diff(request=DiffRequest(language="python", files=ORIGINAL, edit=edit))
    assert result.ok and result.files == {"pkg/a.py": "def f(x):\n    return x + 2\n"}


def test_apply_diff_v4a_delete_and_failure_report() -> None:
    h = host()
    patch = "*** Begin Patch\n*** Delete File: pkg/b.py\n*** End Patch\n"
    result = h.hook.apply_diff(request=DiffRequest(language=None, files=ORIGINAL, edit=patch))
    assert result.ok and result.deleted == ("pkg/b.py",)
    bad = "*** Begin Patch\n*** Update File: pkg/a.py\n@@\n-    return x + 100\n+    return 0\n*** End Patch\n"
    failed = h.hook.apply_diff(request=DiffRequest(language=None, files=ORIGINAL, edit=bad))
    assert not failed.ok and not failed.files and "pkg/a.py" in failed.errors[0]


def request(*answers: str) -> CandidatesRequest:
    return CandidatesRequest(
        task=Task.OPTIMIZE,
        language="toy",
        language_version=None,
        original=(CodeFile("src/main.toy", "(def f (x) (+ x 1))"),),
        answers=answers,
        fence_tags=("toy",),
    )


def test_default_postprocess_maps_dedups_and_drops_unchanged() -> None:
    answers = (
        "Faster.\n```toy\n(def f (x) (inc x))\n```",  # path-less block: the target file
        "Same again.\n```toy:src/main.toy\n(def f (x)  (inc x))\n```",  # duplicate up to whitespace
        "```toy\n(def f (x) (+ x 1))\n```",  # unchanged
        "no code",
    )
    out = candidates_from_answers(request(*answers))
    assert len(out) == 1
    assert out[0].files == (CodeFile("src/main.toy", "(def f (x) (inc x))"),)
    assert out[0].explanation == "Faster." and out[0].answer_index == 0


def test_default_postprocess_applies_edits() -> None:
    edit = "src/main.toy\n```\n<<<<<<< SEARCH\n(def f (x) (+ x 1))\n=======\n(def f (x) (inc x))\n>>>>>>> REPLACE\n```"
    out = candidates_from_answers(request(edit))
    assert [f.code for f in out[0].files] == ["(def f (x) (inc x))"]


def test_default_tests_take_the_first_block() -> None:
    req = TestsRequest(
        language="toy",
        language_version=None,
        answer="Tests:\n```toy\n(assert (= (f 1) 2))\n```",
        source_code=(),
        function_name="f",
        qualified_name="f",
        class_name=None,
        module_path="main",
        test_module_path="main_test",
        test_framework="toytest",
        test_timeout=15,
        fence_tags=("toy",),
    )
    tests = default_tests(req)
    assert tests.generated == tests.instrumented_behavior == "(assert (= (f 1) 2))\n"
