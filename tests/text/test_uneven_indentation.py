"""Edits whose quoted lines are indented unevenly against the file (issue 20, class 1).

A model quotes a docstring or Javadoc column one space left, or object properties two spaces
deeper than the file, and writes its replacement where it belongs: the result must be the file it
meant, in the three edit formats, in Python, Java and JS/TS files. A quote off by one uniform
offset still re-indents the replacement (aider's rule), unless the lines it keeps show it was
written in the file's frame. Each case is replayed with ``codeflash-engine apply-patch`` too.
"""

from __future__ import annotations

import ast
import difflib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codeflash_engine.commands.apply_patch import apply_patch
from codeflash_engine.text.edits import apply_edit
from codeflash_engine.text.matching import split_text
from codeflash_engine.text.search_replace import apply_search_replace
from codeflash_engine.text.unified import to_v4a
from codeflash_engine.text.v4a import apply_v4a

Perturb = Callable[[str], str]

# ------------------------------------------------------------------------------------------
# Building the three formats with some quoted lines re-indented
# ------------------------------------------------------------------------------------------


def _reindent(line: str, delta: int) -> str:
    body = line.lstrip(" ")
    return " " * max(0, len(line) - len(body) + delta) + body


def _quote(line: str, off: dict[str, int]) -> str:
    """A file line as the model quoted it: re-indented by ``off[stripped content]``."""
    return _reindent(line, off.get(line.strip(), 0)) if line.strip() else line


def search_replace(path: str, search: list[str], replace: list[str]) -> str:
    return "\n".join([path, "<<<<<<< SEARCH", *search, "=======", *replace, ">>>>>>> REPLACE", ""])


def stretch(before: str, after: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(old lines, new lines, hunk body) of the one stretch holding every change of ``before``
    to ``after``, with two unchanged lines around it where there are some."""
    old, new = split_text(before)[0], split_text(after)[0]
    ops = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
    a = max(0, ops[0][1] - 2)
    b = min(len(old), ops[-1][2] + 2)
    c = ops[0][3] - (ops[0][1] - a)
    d = ops[-1][4] + (b - ops[-1][2])
    body: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old[a:b], new[c:d], autojunk=False).get_opcodes():
        if tag == "equal":
            body.extend((" ", x) for x in old[a + i1 : a + i2])
        else:
            body.extend(("-", x) for x in old[a + i1 : a + i2])
            body.extend(("+", x) for x in new[c + j1 : c + j2])
    return old[a:b], new[c:d], body


def all_formats(path: str, before: str, after: str, off: dict[str, int], *, copy_quote: bool = False) -> dict[str, str]:
    """The edit from ``before`` to ``after`` in each format, as one block or hunk over the changed
    stretch; quoted lines (SEARCH, context and '-' lines) re-indented by ``off``. With
    ``copy_quote`` the REPLACE lines kept from SEARCH copy its indentation errors too (the lines
    the model changed or added stay where they belong)."""
    old, new, body = stretch(before, after)
    quoted = [k + (_quote(x, off) if k != "+" else x) for k, x in body]
    n_old = sum(k != "+" for k, _ in body)
    n_new = sum(k != "-" for k, _ in body)
    kept = {x for k, x in body if k == " "}
    replace = [_quote(x, off) if copy_quote and x in kept else x for x in new]
    return {
        "search_replace": search_replace(path, [_quote(x, off) for x in old], replace),
        "v4a": "\n".join(["*** Begin Patch", f"*** Update File: {path}", "@@", *quoted, "*** End Patch", ""]),
        "unified": "\n".join([f"--- a/{path}", f"+++ b/{path}", f"@@ -1,{n_old} +1,{n_new} @@", *quoted, ""]),
    }


@contextmanager
def project(files: dict[str, str]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
        yield root


def replay(files: dict[str, str], edit: str) -> dict[str, str]:
    """The files after ``codeflash-engine apply-patch`` replayed ``edit`` on them."""
    with project(files) as root:
        (root / ".edit").write_text(edit, encoding="utf-8")
        result = CliRunner().invoke(apply_patch, [str(root / ".edit"), "--root", str(root)])
        assert result.exit_code == 0, result.output
        return {p: (root / p).read_text(encoding="utf-8") for p in files}


def check(path: str, before: str, after: str, off: dict[str, int]) -> None:
    for fmt, edit in all_formats(path, before, after, off).items():
        result = apply_edit({path: before}, edit)
        assert result.ok, (fmt, edit, result.errors)
        assert result.files[path] == after, (fmt, edit)
        assert replay({path: before}, edit)[path] == after, fmt


# ------------------------------------------------------------------------------------------
# The shapes seen in real answers
# ------------------------------------------------------------------------------------------

PY = '''import math


class Stats:
    def mean(self, xs):
        """Average of xs.

        Returns 0 for an empty list.
        """
        if not xs:
            return 0
        return sum(xs) / len(xs)

    def norm(self, xs):
        return math.sqrt(sum(x * x for x in xs))
'''

PY_AFTER = PY.replace(
    "        if not xs:\n            return 0\n        return sum(xs) / len(xs)\n",
    "        n = len(xs)\n        if not n:\n            return 0\n        return sum(xs) / n\n",
)

JAVA = """package demo;

public class Stats {
    /**
     * Average of xs.
     *
     * @param xs the values
     */
    public static double mean(int[] xs) {
        long s = 0;
        for (int i = 0; i < xs.length; i++) {
            s += xs[i];
        }
        return (double) s / xs.length;
    }
}
"""

JAVA_AFTER = JAVA.replace(
    "        for (int i = 0; i < xs.length; i++) {\n            s += xs[i];\n        }\n",
    "        for (int x : xs) {\n            s += x;\n        }\n",
).replace("     * Average of xs.\n", "     * Average of xs (0 divides by zero).\n")

JS = """export function config(env) {
  const cfg = {
    retries: 3,
    timeout: 1000,
    verbose: env === "dev",
  };
  return cfg;
}
"""

JS_AFTER = JS.replace("    timeout: 1000,\n", "    timeout: 250,\n    backoff: 2,\n")

TS = """export class Cache<T> {
  private items: Map<string, T> = new Map();

  /**
   * The item under key, or undefined.
   */
  get(key: string): T | undefined {
    const hit = this.items.get(key);
    return hit;
  }
}
"""

TS_AFTER = TS.replace("    const hit = this.items.get(key);\n    return hit;\n", "    return this.items.get(key);\n")


def _parses_python(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def test_python_docstring_quoted_one_column_left() -> None:
    off = {"Returns 0 for an empty list.": -1, '"""': -1}
    check("pkg/stats.py", PY, PY_AFTER, off)
    assert _parses_python(PY_AFTER)


def test_python_body_quoted_unevenly_replacement_correct() -> None:
    off = {"if not xs:": 2, "return 0": -1}
    check("pkg/stats.py", PY, PY_AFTER, off)


def test_java_javadoc_quoted_one_column_left() -> None:
    off = {"* Average of xs.": -1, "*": -1, "* @param xs the values": -1, "*/": -1}
    check("src/demo/Stats.java", JAVA, JAVA_AFTER, off)


def test_js_object_properties_quoted_two_spaces_deeper() -> None:
    off = {"retries: 3,": 2, "timeout: 1000,": 2, 'verbose: env === "dev",': 2}
    check("src/config.js", JS, JS_AFTER, off)


def test_ts_jsdoc_quoted_one_column_left() -> None:
    off = {"* The item under key, or undefined.": -1, "*/": -1}
    check("src/cache.ts", TS, TS_AFTER, off)


@pytest.mark.parametrize(("module", "grammar", "text"), [("tree_sitter_java", "language", JAVA_AFTER)])
def test_the_java_result_parses(module: str, grammar: str, text: str) -> None:
    ts = pytest.importorskip("tree_sitter")
    lang = pytest.importorskip(module)
    parser = ts.Parser(ts.Language(getattr(lang, grammar)()))
    assert not parser.parse(text.encode()).root_node.has_error


def test_uniform_offset_is_reapplied() -> None:
    """aider's rule: the whole quote outdented by four, the replacement in the quote's frame."""
    search = [line[4:] for line in PY.splitlines()[4:12]]
    replace = [line[4:] for line in PY_AFTER.splitlines()[4:13]]
    result = apply_edit({"s.py": PY}, search_replace("s.py", search, replace))
    assert result.ok and result.blocks[0].level == "indentation"
    assert result.files["s.py"] == PY_AFTER


def test_uniform_offset_with_a_replacement_in_the_files_frame_is_taken_as_written() -> None:
    search = ["  " + line for line in PY.splitlines()[4:12]]
    replace = PY_AFTER.splitlines()[4:13]
    result = apply_edit({"s.py": PY}, search_replace("s.py", search, replace))
    assert result.ok and result.files["s.py"] == PY_AFTER


def test_a_replacement_copying_its_uneven_quote() -> None:
    """The model's picture is consistently off (its REPLACE copies the quote's errors): taken as
    written, the changed line keeps the model's indentation; with a parser, the reading that
    parses (each changed line moved by the offset of the quoted line it replaces) is taken."""
    lines = PY.splitlines()[4:12]
    off = {"if not xs:": 2, "return 0": 2, "return sum(xs) / len(xs)": 3}
    search = [_quote(x, off) for x in lines]
    replace = [x.replace("len(xs)", "max(1, len(xs))") for x in search]
    edit = search_replace("s.py", search, replace)
    plain = apply_edit({"s.py": PY}, edit)
    assert plain.ok and not _parses_python(plain.files["s.py"])

    def accept(path: str, text: str) -> bool:
        return _parses_python(text)

    result = apply_edit({"s.py": PY}, edit, accept=accept)
    assert result.files["s.py"] == PY.replace("/ len(xs)", "/ max(1, len(xs))")
    assert replay({"s.py": PY}, edit)["s.py"] == result.files["s.py"]  # apply-patch checks syntax too


def test_a_parser_picks_the_other_reading_when_the_automatic_one_does_not_parse() -> None:
    # The kept line says the file's frame, so the changed line is taken as written; it does not
    # parse, the line re-indented by its quote's offset does.
    source = "def f(x):\n    if x:\n        y = 1\n    return y\n"
    edit = search_replace("a.py", ["def f(x):", "  if x:", "    y = 1"], ["def g(x):", "    if x:", "    y = 2"])
    plain = apply_edit({"a.py": source}, edit)
    assert plain.ok and not _parses_python(plain.files["a.py"])

    def accept(path: str, text: str) -> bool:
        return not path.endswith(".py") or _parses_python(text)

    checked = apply_edit({"a.py": source}, edit, accept=accept)
    assert checked.ok and _parses_python(checked.files["a.py"])
    assert checked.files["a.py"] == "def g(x):\n    if x:\n        y = 2\n    return y\n"
    # A file that did not parse before the edit is not held against it.
    broken = "def f(x:\n    if x:\n        y = 1\n"
    edit2 = search_replace("a.py", ["  if x:", "        y = 1"], ["  if x:", "        y = 2"])
    assert apply_edit({"a.py": broken}, edit2, accept=accept).ok


# ------------------------------------------------------------------------------------------
# Property: random files, random edits, quotes off unevenly
# ------------------------------------------------------------------------------------------

_INDENTS = (0, 1, 2, 4, 5, 8, 9, 12)


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, str, dict[str, int]]:
    """(file, intended file, per-line quote offsets): every line unique, the edit within one
    stretch, some quoted lines of that stretch off by different amounts, at least one exact."""
    before, after = draw(_edit())
    old = [x.strip() for x in stretch(before, after)[0] if x.strip()]
    assume(len(old) >= 2)
    exact = draw(st.sampled_from(old))
    off = {c: draw(st.sampled_from((-2, -1, 1, 2, 3))) for c in old if c != exact and draw(st.booleans())}
    assume(_really_off(before, off))
    return before, after, off


@st.composite
def _edit(draw: st.DrawFn) -> tuple[str, str]:
    """A file of unique lines at assorted indentations and an edit of one stretch of it."""
    n = draw(st.integers(4, 30))
    file = []
    for k in range(n):
        if k and draw(st.integers(0, 9)) == 0:
            file.append("")
        else:
            file.append(" " * draw(st.sampled_from(_INDENTS)) + f"line_{k} = {k}")
    a = draw(st.integers(0, n - 3))
    b = draw(st.integers(a + 3, min(n, a + 10)))
    region = file[a:b]
    new_region: list[str] = []
    fresh = 0
    for line in region:
        action = draw(st.sampled_from(("keep", "keep", "change", "drop", "insert")))
        indent = len(line) - len(line.lstrip(" "))
        if action in ("keep", "insert") or not line.strip():
            new_region.append(line)
        if action == "change" and line.strip():
            new_region.append(" " * indent + f"changed_{fresh}()")
            fresh += 1
        if action == "insert":
            near = draw(st.sampled_from((indent, indent + 4, max(0, indent - 4))))
            new_region.append(" " * near + f"inserted_{fresh}()")
            fresh += 1
    if new_region == region:
        new_region.append(" " * 4 + "appended()")
    after = file[:a] + new_region + file[b:]
    return "\n".join(file) + "\n", "\n".join(after) + "\n"


PROPERTY = settings(
    max_examples=int(os.environ.get("TEXT_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _really_off(before: str, off: dict[str, int]) -> dict[str, int]:
    """Offsets that change a line (a line at column 0 quoted further left stays put)."""
    lines = {x.strip(): x for x in split_text(before)[0] if x.strip()}
    return {c: d for c, d in off.items() if _reindent(lines[c], d) != lines[c]}


@PROPERTY
@given(_case(), st.booleans())
def test_uneven_quotes_give_the_intended_file(case: tuple[str, str, dict[str, int]], copy_quote: bool) -> None:
    before, after, off = case
    for fmt, edit in all_formats("pkg/mod.py", before, after, off, copy_quote=copy_quote).items():
        result = apply_edit({"pkg/mod.py": before}, edit)
        assert result.ok, (fmt, edit, result.errors)
        assert result.files.get("pkg/mod.py", before) == after, (fmt, edit, before, off)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_apply_patch_replays_uneven_quotes(case: tuple[str, str, dict[str, int]]) -> None:
    before, after, off = case
    for edit in all_formats("pkg/mod.py", before, after, off).values():
        assert replay({"pkg/mod.py": before}, edit)["pkg/mod.py"] == after


def test_apply_patch_prefers_the_reading_that_parses() -> None:
    """The same choice the Python plugin's apply_diff makes, replayed by the command."""
    source = "def f(x):\n    if x:\n        y = 1\n    return y\n"
    edit = search_replace("a.py", ["def f(x):", "  if x:", "    y = 1"], ["def g(x):", "    if x:", "    y = 2"])
    assert replay({"a.py": source}, edit)["a.py"] == "def g(x):\n    if x:\n        y = 2\n    return y\n"
    with project({"a.py": source}) as root:
        (root / ".edit").write_text(edit, encoding="utf-8")
        result = CliRunner().invoke(apply_patch, [str(root / ".edit"), "--root", str(root), "--no-syntax-check"])
        assert result.exit_code == 0, result.output
        assert (root / "a.py").read_text() == "def g(x):\n    if x:\n    y = 2\n    return y\n"


@st.composite
def _uniform_case(draw: st.DrawFn) -> tuple[str, str, int, bool]:
    """(file, intended file, one offset for every quoted line, whether REPLACE is written in the
    quote's frame); in the file's frame REPLACE keeps a line of the quote."""
    before, after = draw(_edit())
    old, new, body = stretch(before, after)
    quoted = [x for x in old if x.strip()]
    assume(quoted)
    least = min(len(x) - len(x.lstrip(" ")) for x in quoted)
    delta = draw(st.sampled_from([d for d in (-4, -2, -1, 1, 2, 4) if d >= -least]))
    quote_frame = draw(st.booleans())
    if quote_frame:  # the replacement must be shiftable back: no line pushed left of column 0
        assume(all(len(x) - len(x.lstrip(" ")) + delta >= 0 for x in new if x.strip()))
    else:
        assume(any(k == " " and x.strip() for k, x in body))
    return before, after, delta, quote_frame


@PROPERTY
@given(_uniform_case())
def test_a_uniform_offset_is_reapplied_or_kept_as_the_replacement_says(case: tuple[str, str, int, bool]) -> None:
    before, after, delta, quote_frame = case
    old, new, _ = stretch(before, after)
    search = [_reindent(x, delta) if x.strip() else x for x in old]
    replace = [_reindent(x, delta) if x.strip() and quote_frame else x for x in new]
    result = apply_edit({"m.py": before}, search_replace("m.py", search, replace))
    assert result.ok, result.errors
    assert result.files.get("m.py", before) == after


# ------------------------------------------------------------------------------------------
# The shifted reading: a replacement written in the frame of its uneven quote
# ------------------------------------------------------------------------------------------

STATS = """class Stats:
    def mean(self, xs):
        total = 0

        for x in xs:
            if x is not None:
                total += x
        return total / len(xs)
"""

#: how the model pictured the method: every line off by its own amount (file column -> quoted column)
PICTURE_OFF = {
    "def mean(self, xs):": -1,
    "total = 0": -2,
    "for x in xs:": 2,
    "if x is not None:": 1,
    "total += x": -4,
    "return total / len(xs)": 3,
}


def _at(column: int, text: str) -> str:
    return " " * column + text


def _three_formats(path: str, search: list[str], replace: list[str]) -> dict[str, str]:
    """The edit of ``search`` into ``replace`` as a SEARCH/REPLACE block, a V4A hunk and a unified
    hunk (unchanged lines as context, the others as '-' and '+' lines)."""
    body: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, search, replace, autojunk=False).get_opcodes():
        if tag == "equal":
            body.extend(" " + x for x in search[i1:i2])
        else:
            body.extend("-" + x for x in search[i1:i2])
            body.extend("+" + x for x in replace[j1:j2])
    return {
        "search_replace": search_replace(path, search, replace),
        "v4a": "\n".join(["*** Begin Patch", f"*** Update File: {path}", "@@", *body, "*** End Patch", ""]),
        "unified": "\n".join(
            [f"--- a/{path}", f"+++ b/{path}", f"@@ -2,{len(search)} +2,{len(replace)} @@", *body, ""]
        ),
    }


def _picture() -> list[str]:
    """The method as the model quoted it."""
    return [_quote(x, PICTURE_OFF) for x in STATS.splitlines()[1:]]


# Each case: the replacement as the model wrote it (in the frame of its quote) and the file it
# meant. The rule of the shifted reading: a line moves by the offset of the quoted line it stands
# for (the one it replaces, or a kept line's own), and a line inserted between quoted lines by
# the offset of the nearest non-blank quoted line above it (below it at the top of the block).
SHIFTED_CASES = {
    # a kept line the model re-indented (it dropped the `if` around it): its own quote's offset
    "kept-line-dedented": (
        [
            _at(3, "def mean(self, xs):"),
            _at(6, "total = 0"),
            "",
            _at(10, "for x in xs:"),
            _at(8, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("            if x is not None:\n                total += x\n", "            total += x\n"),
    ),
    # two lines changed line for line: each by the offset of the line it replaces
    "changed-line-for-line": (
        [
            _at(3, "def mean(self, xs):"),
            _at(6, "total = 0"),
            "",
            _at(10, "for x in list(xs):"),
            _at(13, "if x:"),
            _at(12, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("for x in xs:", "for x in list(xs):").replace("if x is not None:", "if x:"),
    ),
    # a line inserted between quoted lines: by the offset of the line above it
    "inserted-after-a-line": (
        [
            _at(3, "def mean(self, xs):"),
            _at(6, "total = 0"),
            "",
            _at(10, "for x in xs:"),
            _at(13, "if x is not None:"),
            _at(17, "x = float(x)"),
            _at(12, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("                total += x\n", "                x = float(x)\n                total += x\n"),
    ),
    # a line inserted after the first quoted line: by that line's offset
    "inserted-after-the-first-line": (
        [
            _at(3, "def mean(self, xs):"),
            _at(7, '"""The mean of xs."""'),
            _at(6, "total = 0"),
            "",
            _at(10, "for x in xs:"),
            _at(13, "if x is not None:"),
            _at(12, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("    def mean(self, xs):\n", '    def mean(self, xs):\n        """The mean of xs."""\n'),
    ),
    # a line inserted after a blank quoted line: by the nearest non-blank line above it
    "inserted-after-a-blank-line": (
        [
            _at(3, "def mean(self, xs):"),
            _at(6, "total = 0"),
            "",
            _at(6, "count = 0"),
            _at(10, "for x in xs:"),
            _at(13, "if x is not None:"),
            _at(12, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("        total = 0\n\n", "        total = 0\n\n        count = 0\n"),
    ),
    # a line inserted at the top of the block: by the offset of the first quoted line
    "inserted-at-the-top": (
        [
            _at(3, "@staticmethod"),
            _at(3, "def mean(self, xs):"),
            _at(6, "total = 0"),
            "",
            _at(10, "for x in xs:"),
            _at(13, "if x is not None:"),
            _at(12, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("    def mean", "    @staticmethod\n    def mean"),
    ),
    # a line written where the quote has a blank line: by the offset of the line above it
    "written-over-a-blank-line": (
        [
            _at(3, "def mean(self, xs):"),
            _at(6, "total = 0"),
            _at(6, "count = 0"),
            _at(10, "for x in xs:"),
            _at(13, "if x is not None:"),
            _at(12, "total += x"),
            _at(11, "return total / len(xs)"),
        ],
        STATS.replace("        total = 0\n\n", "        total = 0\n        count = 0\n"),
    ),
}


@pytest.mark.parametrize("case", sorted(SHIFTED_CASES))
def test_the_shifted_reading_moves_each_line_by_the_offset_of_the_quoted_line_it_stands_for(case: str) -> None:
    replace, meant = SHIFTED_CASES[case]
    picture = _picture()
    assert picture == [
        _at(3, "def mean(self, xs):"),
        _at(6, "total = 0"),
        "",
        _at(10, "for x in xs:"),
        _at(13, "if x is not None:"),
        _at(12, "total += x"),
        _at(11, "return total / len(xs)"),
    ]
    for fmt, edit in _three_formats("pkg/stats.py", picture, replace).items():
        if fmt == "search_replace":
            result = apply_search_replace({"pkg/stats.py": STATS}, edit, reading="shifted")
        else:
            result = apply_v4a({"pkg/stats.py": STATS}, to_v4a(edit) if fmt == "unified" else edit, reading="shifted")
        assert result.ok, (fmt, result.errors)
        assert result.files["pkg/stats.py"] == meant, (fmt, edit)
