"""code_by_file, the skeleton's mapping of an answer onto the request's files (edits applied first)."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import Rejected, code_by_file
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import CodeFile

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
