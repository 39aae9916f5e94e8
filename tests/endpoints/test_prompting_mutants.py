"""Prompt templates rendered into messages (plugins/prompting.py): what its mutation run found
untested.

- a plugin's template replaces the core one of the same name, and may extend it under ``core/``;
- the code is shown as it is (no HTML escaping), with the block tags' lines and indentation
  trimmed, an undefined value rendered empty, a partial's last line end kept;
- the cache break: the stable prefix's length, the marker line itself removed;
- what templates see: the fields, then the parsed view (fence tag, asynchrony, target names);
- ``fence`` longer than any backtick run of the code, ``stable_order`` by content.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codeflash_engine.plugins.prompting import (
    CORE_PROMPTS,
    fence,
    render_partial,
    render_prompt,
    stable_order,
    template_variables,
)
from codeflash_engine.plugins.types import CodeFile, PromptRequest, Target, Task


def _request(**over: object) -> PromptRequest:
    values: dict[str, object] = {"task": Task.EXPLAIN, "language": "python", **over}
    return PromptRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A plugin's folder: its own explain templates, one extending the core's under ``core/``."""
    (tmp_path / "explain.system.j2").write_text(
        '{% extends "core/explain.system.j2" %}\n{% block nothing %}{% endblock %}\n'
    )
    (tmp_path / "explain.user.j2").write_text(
        "Head {{ language }} {{ fence_tag }}\n"
        "    {% if code %}\n"
        "    {{ code }}\n"
        "    {% endif %}\n"
        "{{ missing.attribute }}|{{ function_name }}|{{ class_name }}|{{ target_path }}|{{ is_async }}\n"
        "<<<cache-break>>>\n"
        "Tail {{ profile | trim_profile }} {{ 'x' | fence('py') }} {{ [3, 1] | stable_order }}\n"
        "{{ compare_profiles('', '') }}{{ coverage_first_line('a', {}) }} {{ 'b' | numbered(4) }}\n"
    )
    (tmp_path / "_partial.j2").write_text("{% if flag %}\nshown {{ value }}\n{% endif %}\nend\n")
    return tmp_path


def test_a_plugin_template_extends_the_core_one_and_the_user_template_is_its_own(templates: Path) -> None:
    comment, core_system = (CORE_PROMPTS / "explain.system.j2").read_text().split("\n", 1)
    assert comment.startswith("{#-") and comment.endswith("-#}")
    prompt = render_prompt(_request(fields={"code": "if a < b & c > 'd':"}), [templates])
    language = '{{ "code" if language == "code" else language ~ " code" }}'
    assert prompt.system == core_system.replace(language, "python code").strip()
    head = "Head python python\n    if a < b & c > 'd':\n|None|None|None|False\n"
    assert prompt.user.startswith(head)
    assert prompt.cache_prefix_chars == len(head)
    assert "<<<cache-break>>>" not in prompt.user
    tail = prompt.user[len(head) :]
    assert tail == "Tail  ```py\nx\n``` [0, 1]\n1 4 | b"


def test_without_a_cache_break_the_whole_user_message_is_unprefixed(tmp_path: Path) -> None:
    (tmp_path / "explain.system.j2").write_text("  system  \n")
    (tmp_path / "explain.user.j2").write_text("\n  all of it  \n\n")
    prompt = render_prompt(_request(), [tmp_path])
    assert (prompt.system, prompt.user, prompt.cache_prefix_chars) == ("system", "all of it", 0)


def test_a_partial_keeps_its_last_line_end(templates: Path) -> None:
    assert render_partial("_partial.j2", [templates], flag=True, value="<v>") == "shown <v>\nend\n"
    assert render_partial("_partial.j2", [templates], flag=False) == "end\n"


def test_what_templates_see() -> None:
    """The fields first, then the parsed view over them; the target's names, else the fields'."""
    original = (CodeFile(path="pkg/a.py", code="x"), CodeFile(path="pkg/b.py", code="y"))
    target = Target.parse("Outer.run", path="pkg/b.py")
    seen = template_variables(
        _request(
            language_version="3.12",
            fence_tag="py",
            original=original,
            target=target,
            fields={"language": "cobol", "function_name": "f", "extra": 1},
        )
    )
    assert seen == {
        "language": "python",
        "function_name": "Outer.run",
        "extra": 1,
        "language_version": "3.12",
        "fence_tag": "py",
        "is_async": False,
        "target": target,
        "class_name": "Outer",
        "target_path": "pkg/b.py",
    }
    plain = template_variables(_request(original=original, fields={"function_name": "f", "class_name": "C"}))
    assert (plain["fence_tag"], plain["function_name"], plain["class_name"], plain["target_path"]) == (
        "python",
        "f",
        "C",
        "pkg/a.py",
    )
    assert template_variables(_request(target=Target.parse("g"), original=original))["target_path"] == "pkg/a.py"
    assert template_variables(_request())["target_path"] is None
    assert template_variables(_request(is_async=True))["is_async"] is True
    assert template_variables(_request(fields={"is_async": 1}))["is_async"] is True
    assert template_variables(_request(fields={"is_async": None}))["is_async"] is False


def test_a_fence_is_longer_than_any_backtick_run_in_the_code() -> None:
    assert fence("x = 1\n\n", "python") == "```python\nx = 1\n```"
    assert fence("a `b` ``c``", None) == "```\na `b` ``c``\n```"
    assert fence("```\ninner\n```") == "````\n```\ninner\n```\n````"
    assert fence("`` ` ````` `") == "``````\n`` ` ````` `\n``````"
    assert fence("```x") == "````\n```x\n````"  # the longest run first
    assert fence(None) == "```\n\n```"


def test_stable_order_follows_the_content_not_the_position() -> None:
    items = ["diff one", "diff two", "diff three", "diff four"]
    order = stable_order(items)
    assert sorted(order) == [0, 1, 2, 3]
    assert [items[i] for i in order] == [list(reversed(items))[i] for i in stable_order(list(reversed(items)))]
    assert order != [0, 1, 2, 3] or stable_order(list(reversed(items))) != [0, 1, 2, 3]
    assert stable_order(["same", "same"]) == [0, 1]
    assert stable_order(None) == [] and stable_order([]) == []


def test_a_template_is_read_once(tmp_path: Path) -> None:
    """Templates ship with their package: a file changed after its first render is not read again
    (no stat() of each template per render)."""
    partial = tmp_path / "_once.j2"
    partial.write_text("first\n")
    assert render_partial("_once.j2", [tmp_path]) == "first\n"
    partial.write_text("second\n")
    os.utime(partial, (partial.stat().st_atime + 10, partial.stat().st_mtime + 10))
    assert render_partial("_once.j2", [tmp_path]) == "first\n"
