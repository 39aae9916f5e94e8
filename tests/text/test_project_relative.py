"""The testgen prompt shows the context files' paths relative to the project, never the user's
directories: the client names the target's file relative to the project and the files of the
classes it adds for context by their absolute path."""

from __future__ import annotations

import pytest

from codeflash_engine.text.markdown import parse_markdown, project_relative

TARGET = "/home/alice/work/shop/pkg/orders.py"
CONTEXT = (
    "```python:/home/alice/work/shop/pkg/models.py\nclass Order:\n    total: int\n```\n"
    "```python:pkg/orders.py\ndef total(orders):\n    return sum(o.total for o in orders)\n```\n"
    "```python:/home/alice/.venv/lib/python3.12/site-packages/attr/_make.py\ndef attrib(): ...\n```\n"
    "```python:/home/alice/work/shop2/vendored/money.py\nclass Money: ...\n```"
)


def test_paths_under_the_project_become_relative_and_others_lose_their_directories() -> None:
    text = project_relative(CONTEXT, TARGET)
    assert "/home/alice" not in text
    assert [b.path for b in parse_markdown(text)] == [
        "pkg/models.py",
        "pkg/orders.py",
        "attr/_make.py",  # an installed library: its part after site-packages/
        "money.py",  # a sibling directory whose name starts like the project's is not under it
    ]
    assert [b.code for b in parse_markdown(text)] == [b.code for b in parse_markdown(CONTEXT)]


def test_the_root_comes_from_the_block_that_ends_the_target_path() -> None:
    """``./pkg/orders.py`` and a target under ``src/``: the root is cut at a path component."""
    context = "```python:./src/pkg/orders.py\nx = 1\n```\n```python:/srv/app/src/pkg/models.py\ny = 2\n```"
    text = project_relative(context, "/srv/app/src/pkg/orders.py")
    assert [b.path for b in parse_markdown(text)] == ["./src/pkg/orders.py", "src/pkg/models.py"]
    # "ders.py" ends the target's path but not at a component: it is no block of the target
    lone = "```python:ders.py\nx = 1\n```\n```python:/srv/app/pkg/models.py\ny = 2\n```"
    assert project_relative(lone, "/srv/app/pkg/orders.py") == lone


@pytest.mark.parametrize(
    "target",
    ["", "/elsewhere/pkg/other.py", "pkg/orders.py"],
    ids=["no target path", "no block is the target", "a relative target path"],
)
def test_without_a_known_root_the_text_is_unchanged(target: str) -> None:
    assert project_relative(CONTEXT, target) == CONTEXT


def test_windows_paths() -> None:
    context = "```python:pkg\\orders.py\nx = 1\n```\n```python:C:\\Users\\al\\shop\\pkg\\models.py\ny = 2\n```"
    text = project_relative(context, "C:\\Users\\al\\shop\\pkg\\orders.py")
    assert [b.path for b in parse_markdown(text)] == ["pkg\\orders.py", "pkg/models.py"]


def test_only_the_fence_lines_change() -> None:
    """A path in the code or in prose outside the blocks is left alone; so is every other byte."""
    context = (
        "Prose about /home/alice/work/shop/pkg/models.py\n"
        "```python:/home/alice/work/shop/pkg/models.py  \r\nPATH = '/home/alice/work/shop/data'\r\n```\n"
        "```python:pkg/orders.py\nx = 1\n```"
    )
    text = project_relative(context, TARGET)
    assert text == context.replace("python:/home/alice/work/shop/pkg/models.py  \r", "python:pkg/models.py  \r")


def test_a_block_without_a_path_before_the_targets_block_is_passed_over() -> None:
    """A block naming no file (or naming it by spaces only) neither gives the root nor keeps the
    target's block from giving it."""
    context = (
        "```python\nx = 1\n```\n```python: \ny = 2\n```\n"
        "```python:pkg/orders.py\nz = 3\n```\n```python:/home/alice/work/shop/pkg/models.py\nw = 4\n```"
    )
    text = project_relative(context, TARGET)
    assert [b.path for b in parse_markdown(text)] == [None, "", "pkg/orders.py", "pkg/models.py"]


def test_a_library_installed_in_a_nested_environment_keeps_its_part_after_the_last_site_packages() -> None:
    """A path holding ``site-packages/`` twice (a tool's environment installed inside another's)
    keeps only the part after the last one: the library's import path."""
    context = (
        "```python:pkg/orders.py\nx = 1\n```\n"
        "```python:/opt/tools/lib/site-packages/runner/env/lib/python3.12/site-packages/attr/_make.py\ny = 2\n```"
    )
    text = project_relative(context, TARGET)
    assert [b.path for b in parse_markdown(text)] == ["pkg/orders.py", "attr/_make.py"]
