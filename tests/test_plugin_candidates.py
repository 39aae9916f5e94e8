"""code_by_file, the skeleton's mapping of an answer onto the request's files (edits applied first)."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import Rejected, code_by_file
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import Answer, CodeFile

SUM_JS = "function total(xs) {\n  let t = 0;\n  for (const x of xs) t += x;\n  return t;\n}\n"
ORIGINAL = (CodeFile("src/sum.js", SUM_JS),)
FULL = "```javascript:src/sum.js\nfunction total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n```\n"


def by_file(text: str) -> dict[str | None, str]:
    host = PluginHost()
    host.load([])  # the builtin apply_diff, as for a language whose plugin has none
    answer = read_answer(host, "javascript", text, original=ORIGINAL)
    return code_by_file(answer, ORIGINAL, language_tags=("javascript", "js"), default_language="javascript")


def test_an_edit_that_applies_is_used() -> None:
    edit = (
        "--- a/src/sum.js\n+++ b/src/sum.js\n@@ -1,5 +1,3 @@\n function total(xs) {\n-  let t = 0;\n"
        "-  for (const x of xs) t += x;\n-  return t;\n+  return xs.reduce((a, b) => a + b, 0);\n }\n"
    )
    assert by_file(edit) == {"src/sum.js": "function total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n"}


def test_a_diff_shown_for_illustration_gives_way_to_the_full_code() -> None:
    illustration = "```diff\n--- a/src/sum.js\n+++ b/src/sum.js\n@@ -9 +9 @@\n-  for (;;) {}\n+  xs.reduce()\n```\n"
    assert by_file(f"Roughly:\n\n{illustration}\nIn full:\n\n{FULL}") == {
        "src/sum.js": "function total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}"
    }
    with pytest.raises(Rejected, match="does not apply"):
        by_file(illustration)


CANDIDATE = (CodeFile("src/sum.js", "function total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n"),)
EDIT_OF_CANDIDATE = (
    "src/sum.js\n<<<<<<< SEARCH\n  return xs.reduce((a, b) => a + b, 0);\n=======\n  let t = 0;\n"
    "  for (let i = 0; i < xs.length; i++) t += xs[i];\n  return t;\n>>>>>>> REPLACE\n"
)


def read(text: str, original: tuple[CodeFile, ...] = ORIGINAL, base: tuple[CodeFile, ...] = ()) -> Answer:
    host = PluginHost()
    host.load([])
    return read_answer(host, "javascript", text, original=original, base=base)


def test_an_edit_of_the_candidate_shown_applies_to_that_candidate() -> None:
    answer = read(EDIT_OF_CANDIDATE, base=CANDIDATE)
    assert answer.edit_error is None
    assert answer.edited == (
        CodeFile(
            "src/sum.js",
            "function total(xs) {\n  let t = 0;\n  for (let i = 0; i < xs.length; i++) t += xs[i];\n  return t;\n}\n",
        ),
    )


def test_an_edit_that_applies_nowhere_says_why_and_edits_nothing() -> None:
    answer = read(EDIT_OF_CANDIDATE)  # no candidate shown: the original has no such line
    assert answer.edited is None
    assert answer.edit_error is not None
    assert answer.edit_error.startswith("block 1 (src/sum.js): the SEARCH text did not match any lines of src/sum.js")


def test_the_reason_an_edit_failed_is_cut_at_300_characters() -> None:
    path = "src/" + "deeply_nested_folder/" * 8 + "sum.js"
    original = (CodeFile(path, SUM_JS),)
    answer = read(EDIT_OF_CANDIDATE.replace("src/sum.js", path), original=original)
    assert answer.edit_error is not None and len(answer.edit_error) == 300
    assert answer.edit_error.startswith(f"block 1 ({path}): the SEARCH text did not match")


def test_an_edit_that_changes_nothing_says_so() -> None:
    noop = "src/sum.js\n<<<<<<< SEARCH\n  let t = 0;\n=======\n  let t = 0;\n>>>>>>> REPLACE\n"
    answer = read(noop)
    assert answer.edited is None and answer.edit_error == "the edit changes nothing"


def test_of_several_failed_blocks_the_first_is_named() -> None:
    two = (
        "src/sum.js\n<<<<<<< SEARCH\n  nothing one\n=======\n  x\n>>>>>>> REPLACE\n"
        "src/sum.js\n<<<<<<< SEARCH\n  nothing two\n=======\n  y\n>>>>>>> REPLACE\n"
    )
    answer = read(two)
    assert answer.edit_error is not None and answer.edit_error.startswith("block 1 (src/sum.js)")
