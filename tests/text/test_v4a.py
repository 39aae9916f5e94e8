"""V4A patches: the whole grammar, fuzz, errors, CRLF."""

from __future__ import annotations

import ast
import re

import pytest

from codeflash_engine.text.edits import apply_edit, detect_format, edit_paths
from codeflash_engine.text.v4a import END_OF_FILE_FUZZ, PatchError, apply_v4a, parse_v4a, render_v4a

GEO = """import math


class Vec:
    def __init__(self, xs):
        self.xs = list(xs)

    def length(self):
        total = 0
        for x in self.xs:
            total += x * x
        return math.sqrt(total)


class Mat:
    def length(self):
        total = 0
        for x in self.xs:
            total += x * x
        return math.sqrt(total)
"""
FILES = {"pkg/geo.py": GEO, "pkg/util.py": "SCALE = 3\n"}


def patch(*body: str) -> str:
    return "*** Begin Patch\n" + "\n".join(body) + "\n*** End Patch\n"


def test_update_with_scope_lines_and_context() -> None:
    edit = patch(
        "*** Update File: pkg/geo.py",
        "@@ class Mat:",
        "     def length(self):",
        "-        total = 0",
        "-        for x in self.xs:",
        "-            total += x * x",
        "-        return math.sqrt(total)",
        "+        return math.hypot(*self.xs)",
    )
    result = apply_edit(FILES, edit)
    assert result.ok, result.errors
    assert result.format == "v4a"
    expected = (
        GEO[: GEO.index("class Mat:")] + "class Mat:\n    def length(self):\n        return math.hypot(*self.xs)\n"
    )
    assert result.files == {"pkg/geo.py": expected}
    assert result.fuzz == 0
    assert result.blocks[0].line == 16


def test_stacked_scope_lines() -> None:
    edit = patch(
        "*** Update File: pkg/geo.py",
        "@@ class Mat:",
        "@@ def length(self):",
        "-        total = 0",
        "+        total = 0.0",
    )
    result = apply_edit(FILES, edit)
    assert result.ok, result.errors
    assert result.files["pkg/geo.py"].count("total = 0.0") == 1
    assert result.files["pkg/geo.py"].index("total = 0.0") > GEO.index("class Mat:")
    # Scope lines matched by stripped text cost 1, by prefix 10.
    assert result.fuzz == 1
    loose = patch("*** Update File: pkg/geo.py", "@@ class Mat", "-        total = 0", "+        total = 0.0")
    assert apply_edit(FILES, loose).fuzz == 10


def test_without_scope_an_ambiguous_context_is_an_error() -> None:
    edit = patch("*** Update File: pkg/geo.py", "@@", "-        total = 0", "+        total = 0.0")
    result = apply_edit(FILES, edit)
    assert not result.ok and result.files == {}
    assert "matches 2 places in pkg/geo.py (lines 9, 17)" in result.errors[0]
    assert "@@" in result.errors[0]


def test_hunks_search_forward_from_the_cursor() -> None:
    edit = patch(
        "*** Update File: pkg/geo.py",
        "@@ class Vec:",
        "-        total = 0",
        "+        total = 1",
        "@@ class Mat:",
        "-        total = 0",
        "+        total = 2",
    )
    result = apply_edit(FILES, edit)
    assert result.ok, result.errors
    text = result.files["pkg/geo.py"]
    assert text.index("total = 1") < text.index("total = 2")
    assert [b.line for b in result.blocks] == [9, 17]


def test_out_of_order_hunks_are_an_error() -> None:
    edit = patch(
        "*** Update File: pkg/geo.py",
        "@@ class Mat:",
        " class Mat:",
        "@@",
        " import math",
        "+import os",
    )
    result = apply_edit(FILES, edit)
    assert not result.ok
    assert "before the previous hunk" in result.errors[0]
    assert "its lines occur at line 1 of pkg/geo.py" in result.errors[0]  # where they are, 1-based


def test_add_delete_and_move() -> None:
    edit = patch(
        "*** Add File: pkg/new.py",
        "+def helper():",
        "+    return 1",
        "*** Delete File: pkg/util.py",
        "*** Update File: pkg/geo.py",
        "*** Move to: pkg/vectors.py",
        "@@",
        "-import math",
        "+import math, os",
    )
    result = apply_edit(FILES, edit)
    assert result.ok, result.errors
    assert result.files == {
        "pkg/new.py": "def helper():\n    return 1\n",
        "pkg/vectors.py": GEO.replace("import math\n", "import math, os\n", 1),
    }
    assert set(result.deleted) == {"pkg/util.py", "pkg/geo.py"}
    assert [b.action for b in result.blocks] == ["add", "delete", "update", "move"]
    assert edit_paths(edit) == ["pkg/new.py", "pkg/util.py", "pkg/geo.py", "pkg/vectors.py"]


def test_move_without_changes() -> None:
    result = apply_edit(FILES, patch("*** Update File: pkg/util.py", "*** Move to: lib/util.py"))
    assert result.files == {"lib/util.py": "SCALE = 3\n"} and result.deleted == ("pkg/util.py",)


def test_file_operation_errors() -> None:
    assert "already exists" in apply_edit(FILES, patch("*** Add File: pkg/util.py", "+X = 1")).errors[0]
    assert "no such file" in apply_edit(FILES, patch("*** Delete File: nope.py")).errors[0]
    assert "no such file" in apply_edit(FILES, patch("*** Update File: nope.py", "@@", "-x", "+y")).errors[0]
    moved = patch("*** Update File: pkg/geo.py", "*** Move to: pkg/util.py")
    assert "already exists" in apply_edit(FILES, moved).errors[0]


def test_end_of_file_hunks() -> None:
    tail = patch("*** Update File: pkg/geo.py", "@@", "         return math.sqrt(total)", "+# end", "*** End of File")
    result = apply_edit(FILES, tail)
    assert result.ok and result.files["pkg/geo.py"].endswith("return math.sqrt(total)\n# end\n")
    assert result.fuzz == 0
    # Context that is not at the end of the file is found elsewhere, at a high fuzz.
    elsewhere = patch("*** Update File: pkg/geo.py", "@@", " import math", "+import os", "*** End of File")
    result = apply_edit(FILES, elsewhere)
    assert result.ok and result.fuzz == END_OF_FILE_FUZZ == 10_000  # the documented figure (OpenAI's apply_patch's)
    # Pure addition at the end.
    append = patch("*** Update File: pkg/util.py", "@@", "+X = 1", "*** End of File")
    assert apply_edit(FILES, append).files == {"pkg/util.py": "SCALE = 3\nX = 1\n"}


def test_fuzz_levels_are_reported_and_context_keeps_the_files_text() -> None:
    files = {"a.py": 'def f():\n    s = "x"  \n    return s\n'}
    rstrip = patch("*** Update File: a.py", "@@", " def f():", '     s = "x"', "-    return s", "+    return s * 2")
    result = apply_edit(files, rstrip)
    assert result.fuzz == 1
    assert result.files["a.py"] == 'def f():\n    s = "x"  \n    return s * 2\n'
    stripped = patch("*** Update File: a.py", "@@", " def f():", '   s = "x"', "-  return s", "+  return s * 2")
    result = apply_edit(files, stripped)
    assert result.ok and result.blocks[0].level in ("indentation", "surrounding whitespace")
    # The context is off unevenly (0, -2, -2): the '+' line is taken as written (issue 20) ...
    assert result.files["a.py"] == 'def f():\n    s = "x"  \n  return s * 2\n'

    # ... unless that does not parse, when a caller's parser gets the re-indented reading.
    def parses(path: str, text: str) -> bool:
        try:
            ast.parse(text)
        except SyntaxError:
            return False
        return True

    result = apply_edit(files, stripped, accept=parses)
    assert result.files["a.py"] == 'def f():\n    s = "x"  \n    return s * 2\n'
    curly = patch(
        "*** Update File: a.py", "@@", " def f():", "     s = \u201cx\u201d", "-    return s", "+    return s * 2"
    )
    result = apply_edit(files, curly)
    assert result.ok and result.fuzz == 1000
    assert '    s = "x"  ' in result.files["a.py"]


def test_missing_context_says_what_it_did_mean() -> None:
    edit = patch(
        "*** Update File: pkg/geo.py",
        "@@ class Vec:",
        "     def length(self):",
        "-        total = 1",
        "+        total = 2",
    )
    result = apply_edit(FILES, edit)
    assert not result.ok
    error = result.errors[0]
    assert error.startswith("block 1 (pkg/geo.py, hunk 1): its context and '-' lines did not match pkg/geo.py")
    assert "Did you mean these lines (pkg/geo.py, lines 8-9)?" in error
    assert (
        "scope line" in apply_edit(FILES, patch("*** Update File: pkg/geo.py", "@@ class Nope:", "-x", "+y")).errors[0]
    )


def test_crlf_files_stay_crlf() -> None:
    files = {"a.py": "x = 1\r\ny = 2\r\n"}
    edit = patch("*** Update File: a.py", "@@", " x = 1", "-y = 2", "+y = 3")
    assert apply_edit(files, edit).files == {"a.py": "x = 1\r\ny = 3\r\n"}
    assert apply_edit(files, edit.replace("\n", "\r\n")).files == {"a.py": "x = 1\r\ny = 3\r\n"}


def test_wrappers_and_lenient_markers() -> None:
    body = "*** Update File: pkg/util.py\n@@\n-SCALE = 3\n+SCALE = 4\n"
    heredoc = "apply_patch <<'EOF'\n  *** Begin Patch\n" + body + "*** End Patch  \nEOF\n"
    fenced = "Here is the patch:\n```diff\n*** Begin Patch\n" + body + "*** End Patch\n```\n"
    for edit in (heredoc, fenced):
        assert detect_format(edit) == "v4a"
        assert apply_edit(FILES, edit).files == {"pkg/util.py": "SCALE = 4\n"}


def test_empty_lines_in_hunks_are_blank_context() -> None:
    files = {"a.py": "a = 1\n\nb = 2\n"}
    edit = "*** Begin Patch\n*** Update File: a.py\n@@\n a = 1\n\n-b = 2\n+b = 3\n\n*** End Patch"
    assert apply_edit(files, edit).files == {"a.py": "a = 1\n\nb = 3\n"}


def test_unified_diff_style_headers_are_read_as_bare_hunks() -> None:
    edit = patch("*** Update File: pkg/util.py", "@@ -1,1 +1,1 @@", "-SCALE = 3", "+SCALE = 4")
    assert apply_edit(FILES, edit).files == {"pkg/util.py": "SCALE = 4\n"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*** Update File: a.py\n", "no '*** Begin Patch'"),
        ("*** Begin Patch\n*** Update File: a.py\n@@\n-x\n", "no '*** End Patch'"),
        ("*** Begin Patch\n*** Frobnicate File: a.py\n*** End Patch", "patch line 2: expected"),
        ("*** Begin Patch\n*** Add File: a.py\nx\n*** End Patch", "must start with '+'"),
        ("*** Begin Patch\n*** Update File: a.py\n@@\n?x\n*** End Patch", "patch line 4: a hunk line"),
        ("*** Begin Patch\n*** Add File: /etc/passwd\n+x\n*** End Patch", "absolute"),
        ("*** Begin Patch\n*** Add File: \n+x\n*** End Patch", "path is missing"),
    ],
)
def test_grammar_errors(text: str, message: str) -> None:
    with pytest.raises(PatchError, match=re.escape(message)):
        parse_v4a(text)
    result = apply_v4a(FILES, text)
    assert not result.ok and message in result.errors[0]


def test_an_empty_patch_is_rejected() -> None:
    result = apply_edit(FILES, "*** Begin Patch\n*** End Patch\n")
    assert not result.ok and "no file operation" in result.errors[0]


def test_failure_is_all_or_nothing() -> None:
    edit = patch("*** Add File: b.py", "+x", "*** Update File: pkg/util.py", "@@", "-SCALE = 9", "+SCALE = 4")
    result = apply_edit(FILES, edit)
    assert not result.ok
    assert result.files == {} and result.deleted == ()
    assert [b.ok for b in result.blocks] == [True, False]


def test_hunk_lines_are_the_patch_lines_they_start_at() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: a.py\n x\n-y\n+z\n@@ def f\n-a\n+b\n*** End of File\n@@\n-c\n+d\n"
        "*** End Patch\n"
    )
    hunks = parse_v4a(patch)[0].hunks
    assert [(h.line, h.scopes, h.end_of_file) for h in hunks] == [
        (3, (), False),
        (6, ("def f",), True),
        (10, (), False),
    ]


def test_a_stacked_scope_on_the_next_line_is_that_line() -> None:
    method = "    def length(self):\n        return 1\n"
    source = f"class Vec:\n{method}\n\nclass Other:\n{method}"
    patch = (
        "*** Begin Patch\n*** Update File: a.py\n@@ class Vec:\n@@     def length(self):\n"
        "-        return 1\n+        return 2\n*** End Patch\n"
    )
    result = apply_edit({"a.py": source}, patch)
    assert result.files == {"a.py": source.replace("return 1", "return 2", 1)}


def test_a_repeated_scope_moves_on_to_the_next_occurrence() -> None:
    source = "def f():\n    return 1\n\n\ndef f():\n    return 1\n"
    patch = (
        "*** Begin Patch\n*** Update File: a.py\n@@ def f():\n@@ def f():\n-    return 1\n+    return 2\n*** End Patch"
    )
    assert apply_edit({"a.py": source}, patch).files == {"a.py": "def f():\n    return 1\n\n\ndef f():\n    return 2\n"}


def test_every_error_names_its_block_counted_in_patch_order() -> None:
    """Blocks are the file operations and hunks in patch order (an update counts one per hunk, a
    move one more): the error of each failing one names the same block as its report."""
    edit = patch(
        "*** Update File: pkg/util.py",  # block 1
        "@@",
        "-SCALE = 3",
        "+SCALE = 4",
        "*** Add File: pkg/geo.py",  # block 2: exists
        "+x = 1",
        "*** Delete File: pkg/absent.py",  # block 3: no such file
        "*** Update File: lib/absent.py",  # blocks 4 and 5: no such file
        "@@",
        "-a",
        "+b",
        "@@",
        "-c",
        "+d",
        "*** Update File: pkg/geo.py",  # block 6, then the move, block 7: the target exists
        "*** Move to: pkg/util.py",
        "@@",
        " import math",
        "+import os",
    )
    result = apply_edit(FILES, edit)
    assert [(b.index, b.action, b.ok) for b in result.blocks] == [
        (1, "update", True),
        (2, "add", False),
        (3, "delete", False),
        (4, "update", False),
        (5, "update", False),
        (6, "update", True),
        (7, "move", False),
    ]
    assert result.errors == tuple(b.message for b in result.blocks if not b.ok)
    assert [e.split(":")[0] for e in result.errors] == [
        "block 2 (Add File pkg/geo.py)",
        "block 3 (Delete File pkg/absent.py)",
        "block 4 (Update File lib/absent.py)",
        "block 5 (Update File lib/absent.py)",
        "block 7 (Move to pkg/util.py)",
    ]


def test_a_block_rewritten_as_minus_then_plus_lines_keeps_the_lines_it_adds_back() -> None:
    """Models often rewrite a whole block: every old line as '-', then the new block as '+'. The
    lines added back unchanged are the file's own, here under a quote outdented by four (the
    method quoted without its class): the new lines are put in the file's frame."""
    edit = patch(
        "*** Update File: pkg/geo.py",
        "@@ class Vec:",
        "+@functools.cache",
        "-def length(self):",
        "-    total = 0",
        "-    for x in self.xs:",
        "-        total += x * x",
        "-    return math.sqrt(total)",
        "+def length(self):",
        "+    total = 0",
        "+    for x in self.xs:",
        "+        total += x * x",
        "+    return math.sqrt(total)  # the norm",
    )
    result = apply_edit(FILES, edit)
    assert result.ok, result.errors
    assert result.blocks[0].level == "indentation"
    vec = GEO.index("class Mat:")
    assert result.files["pkg/geo.py"] == (
        GEO[:vec]
        .replace("    def length(self):", "    @functools.cache\n    def length(self):")
        .replace("return math.sqrt(total)", "return math.sqrt(total)  # the norm")
        + GEO[vec:]
    )


def test_every_failing_operation_is_reported() -> None:
    files = {"a.py": "x = 1\n", "b.py": "y = 1\n"}
    patch = "*** Begin Patch\n*** Add File: a.py\n+z\n*** Update File: b.py\n@@\n-nope\n+q\n*** End Patch\n"
    errors = apply_edit(files, patch).errors
    assert len(errors) == 2
    assert "Add File a.py): the file already exists" in errors[0] and "(b.py, hunk 1)" in errors[1]


def test_an_update_that_failed_leaves_the_file_as_it_was_for_the_next_one() -> None:
    source = "".join(f"v{i} = {i}\n" for i in range(10))
    patch = (
        "*** Begin Patch\n*** Update File: a.py\n@@\n-v1 = 1\n+v1 = 10\n@@\n-missing\n+m\n"
        "*** Update File: a.py\n@@\n-v1 = 1\n+v1 = 11\n*** End Patch\n"
    )
    errors = apply_edit({"a.py": source}, patch).errors
    assert len(errors) == 1 and "(a.py, hunk 2)" in errors[0]  # the second update still saw v1 = 1


def test_a_rendered_hunk_has_three_lines_of_context() -> None:
    old = "".join(f"line_{i} = {i}\n" for i in range(20))
    body = render_v4a({"a.py": (old, old.replace("line_10 = 10", "line_10 = 100"))}).splitlines()
    hunk = body[body.index("@@") + 1 : body.index("*** End Patch")]
    assert hunk == [" line_7 = 7", " line_8 = 8", " line_9 = 9", "-line_10 = 10", "+line_10 = 100"] + [
        f" line_{i} = {i}" for i in (11, 12, 13)
    ]


def test_a_bad_hunk_line_is_quoted_up_to_80_characters() -> None:
    bad = "x" * 100
    with pytest.raises(PatchError) as refused:
        parse_v4a(f"*** Begin Patch\n*** Update File: a.py\n@@\n{bad}\n*** End Patch\n")
    assert f"got {'x' * 80!r}" in str(refused.value)


@pytest.mark.parametrize(
    ("old", "change", "hunks"),
    [
        pytest.param(  # a change inside a run of equal lines: the hunk grows until it is unique
            ["x"] * 4 + ["y"] + ["x"] * 8 + ["y"] + ["x"] * 4,
            {9: "z"},
            "@@\n x\n x\n x\n x\n-x\n+z\n x\n x\n x\n y\n",
            id="grows-to-unique",
        ),
        pytest.param(  # the second hunk's context starts after the first hunk's (the cursor)
            [f"l{i}" for i in range(12)],
            {3: "A", 8: "B"},
            "@@\n l0\n l1\n l2\n-l3\n+A\n l4\n l5\n l6\n@@\n l7\n-l8\n+B\n l9\n l10\n l11\n*** End of File\n",
            id="cursor",
        ),
        pytest.param(  # changes whose grown hunks meet are merged into one
            ["p", "q"] * 5,
            {1: "Q1", 8: "P8"},
            "@@\n+p\n+Q1\n p\n q\n p\n q\n p\n q\n-p\n+P8\n q\n-p\n-q\n*** End of File\n",
            id="merged",
        ),
        pytest.param(  # a line added at the very end: no room to grow, so it joins the hunk before
            [f"l{i}" for i in range(6)],
            {4: "A", 6: "Z"},
            "@@\n l1\n l2\n l3\n-l4\n+A\n l5\n+Z\n*** End of File\n",
            id="appended",
        ),
        pytest.param(  # growing at the end of the file: only upwards, and the hunk ends the file
            ["x"] * 5 + ["y"] + ["x"] * 5,
            {9: "z"},
            "@@\n y\n x\n x\n x\n+z\n x\n-x\n*** End of File\n",
            id="grows-at-the-end",
        ),
        pytest.param(  # a one-line file: the hunk is the whole file, so it ends the file too
            ["x"],
            {0: "y"},
            "@@\n-x\n+y\n*** End of File\n",
            id="one-line-file",
        ),
    ],
)
def test_rendered_hunks_are_pinned(old: list[str], change: dict[int, str], hunks: str) -> None:
    """The exact hunks rendered (as small as unique after the previous hunk), and they apply."""
    new = [change.get(i, line) for i, line in enumerate(old)] + [v for i, v in change.items() if i >= len(old)]
    before, after = "\n".join(old) + "\n", "\n".join(new) + "\n"
    patch = render_v4a({"a.py": (before, after)})
    assert patch == f"*** Begin Patch\n*** Update File: a.py\n{hunks}*** End Patch\n"
    assert apply_edit({"a.py": before}, patch).files["a.py"] == after
