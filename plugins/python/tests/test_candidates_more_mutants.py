"""How an answer becomes a candidate file, pinned where ``scripts/mutation.py`` found the tests
blind (python.module, python.hoist, python.newmodule, python.extract, python.base): the index of
a file's definitions and indentation (candidates/module.py), new class attributes moved to the
module (hoist.py), new modules folded into their importer (newmodule.py), code read out of an
answer (extract.py) and an answer completed from the candidate it improves (base.py)."""

from __future__ import annotations

import ast
import collections

import pytest

from codeflash_engine import Answer, CodeFile
from codeflash_engine_python.candidates.base import complete_from_base, merged_nodes, restore_placeholders
from codeflash_engine_python.candidates.extract import Extracted, RawBlock, extract
from codeflash_engine_python.candidates.hoist import hoist_class_attributes
from codeflash_engine_python.candidates.module import ModuleIndex, convert_indentation, reindent
from codeflash_engine_python.candidates.newmodule import fold_new_modules


def index(text: str) -> ModuleIndex:
    return ModuleIndex(text, ast.parse(text))


# --- candidates/module.py -------------------------------------------------------------------


def test_reindent_keeps_string_lines_and_empties_blank_ones() -> None:
    """Lines inside a multi-line string stay byte for byte (they are the string's value); blank
    lines lose their whitespace; the rest swap the old indentation for the new."""
    text = "    s = '''\n    kept\n    '''\n    \n    return s\n"
    assert reindent(text, "    ", "  ", frozenset({1, 2})) == "  s = '''\n    kept\n    '''\n\n  return s\n"


def test_converting_indentation_leaves_lines_outside_the_base_alone() -> None:
    """A comment (or any continuation line) left of the piece's own indentation is not cut."""
    text = "    x = [\n# note\n        1]\n"
    assert convert_indentation(text, "    ", ("    ", "\t")) == "    x = [\n# note\n    \t1]\n"


def test_the_file_s_indentation_unit_is_the_one_most_blocks_add() -> None:
    """Two functions indented by four spaces outvote the last one, by two."""
    text = "def a():\n    return 1\n\n\ndef b():\n    return 2\n\n\ndef c():\n  return 3\n"
    found = index(text)
    assert found.indent_steps(found.tree) == collections.Counter({"    ": 2, "  ": 1})
    assert found.indent_unit == "    "


def test_a_block_s_indentation_is_read_from_its_first_statement() -> None:
    """The last statement of a body may sit anywhere after a backslash: the first one says how far
    the body is indented (for a class's new methods, for the file's indentation unit)."""
    text = "class A:\n    x = 1; \\\ny = 2\n\n\ndef f():\n    a = 1; \\\nb = 2\n"
    found = index(text)
    assert found.class_body_indent("A") == "    "
    assert found.indent_steps(found.tree) == collections.Counter({"    ": 2})


def test_only_annotated_assignments_with_a_value_are_units() -> None:
    """``LIMIT: int = 3`` is a module-level assignment the merge can replace; ``LIMIT: int`` binds nothing."""
    assert set(index("LIMIT: int = 3\nWIDTH: int\n").units) == {"=LIMIT"}


def test_attributes_read_through_self_that_the_file_does_not_define() -> None:
    """Read through the first parameter, neither bound by the class body (attributes, methods:
    after a docstring and a static method without parameters) nor assigned through ``self``."""
    text = (
        "class A:\n"
        '    """Doc."""\n\n'
        "    LIMIT = 3\n\n"
        "    @staticmethod\n"
        "    def make():\n"
        "        return 1\n\n"
        "    def total(this):\n"
        "        this.count = 0\n"
        "        return this.LIMIT + this.base_value + this.count + this.make()\n"
    )
    assert index(text).unseen_attributes == {"A": frozenset({"base_value"})}


# --- candidates/hoist.py --------------------------------------------------------------------

SCORER = (
    "class Helper:\n    pass\n\n\nclass Other:\n    pass\n\n\nclass Third:\n    pass\n\n\n"
    "class Scorer:\n    BONUS = 2\n\n    def score(self, x):\n        return 1\n"
)


def hoisted(code: str) -> tuple[ModuleIndex, ModuleIndex]:
    """The candidate ``code`` and what the hoist makes of it (against :data:`SCORER`)."""
    candidate = index(code)
    return candidate, hoist_class_attributes(candidate, index(SCORER), "3.11.7")


def run_module(text: str) -> dict[str, object]:
    scope: dict[str, object] = {}
    exec(compile(text, "pkg/mod.py", "exec"), scope)
    return scope


def test_a_constant_a_case_pattern_compares_with_stays_in_its_class() -> None:
    """``case self._STOP:`` compares with the attribute; ``case _STOP:`` would capture any value
    (the method would return 1 for 5 too): the attribute is left where the answer put it."""
    code = (
        "class Scorer:\n"
        "    _STOP = 3\n\n"
        "    def score(self, x):\n"
        "        match x:\n"
        "            case 0:\n"
        "                return 0\n"
        "            case self._STOP:\n"
        "                return 1\n"
        "        return 2\n"
    )
    candidate, out = hoisted(code)
    assert out is candidate
    scorer = run_module(out.source.text)["Scorer"]
    assert [scorer().score(v) for v in (0, 3, 5)] == [0, 1, 2]  # type: ignore[operator]


def test_a_constant_an_f_string_prints_with_its_own_text_stays_in_its_class() -> None:
    """``f"{self._SEP=}"`` prints ``self._SEP='-'``; moved, it would print ``_SEP='-'``."""
    code = "class Scorer:\n    _SEP = '-'\n\n    def score(self, x):\n        return f'{x}{self._SEP}{ self._SEP = }'\n"
    candidate, out = hoisted(code)
    assert out is candidate
    scorer = run_module(out.source.text)["Scorer"]
    assert scorer().score(1) == "1- self._SEP = '-'"  # type: ignore[operator]


def test_a_constant_an_f_string_only_formats_moves() -> None:
    """A plain ``{self._SEP}`` field (or ``{x == self._SEP}``: the text before it is not ``=``) moves."""
    code = (
        "class Scorer:\n    _SEP = '-'\n\n    def score(self, x):\n        return f'{x}={self._SEP}{x == self._SEP}'\n"
    )
    _, out = hoisted(code)
    assert out.source.text.startswith("_SEP = '-'\n"), out.source.text
    assert run_module(out.source.text)["Scorer"]().score(1) == "1=-False"  # type: ignore[operator]


def test_a_read_after_a_case_pattern_is_rewritten() -> None:
    """Only the pattern's own value stays dotted: a read in the case's body moves like any other."""
    code = (
        "class Scorer:\n"
        "    _BONUS = 3\n\n"
        "    def score(self, x):\n"
        "        match x:\n"
        "            case 0:\n"
        "                return self._BONUS\n"
        "        return 2\n"
    )
    _, out = hoisted(code)
    assert out.source.text.startswith("_BONUS = 3\n"), out.source.text
    assert "return _BONUS\n" in out.source.text


def test_a_lambda_stays_a_class_attribute() -> None:
    """Read through ``self`` a lambda of the class is a method (``self`` its first argument)."""
    code = "class Scorer:\n    _DEFAULT = lambda *_: 7\n\n    def score(self, x):\n        return self._DEFAULT()\n"
    candidate, out = hoisted(code)
    assert out is candidate
    assert run_module(out.source.text)["Scorer"]().score(0) == 7  # type: ignore[operator]


def test_a_multi_line_string_moves_with_its_value() -> None:
    """The lines inside the string are its value: they keep their indentation at the top level."""
    code = (
        "class Scorer:\n"
        '    _HELP = """usage:\n'
        "    score text\n"
        '    """\n\n'
        "    def score(self, x):\n"
        "        return self._HELP\n"
    )
    _, out = hoisted(code)
    assert out.source.text.startswith('_HELP = """usage:\n    score text\n    """\n'), out.source.text
    assert run_module(out.source.text)["Scorer"]().score(0) == "usage:\n    score text\n    "  # type: ignore[operator]


def test_a_moved_line_keeps_its_comment_and_a_class_may_be_its_value() -> None:
    """A plain assignment moves as written (its comment too); naming a class of the file is not
    naming a function (which would be bound as a method)."""
    code = "class Scorer:\n    _MAKE = Helper  # the factory\n\n    def score(self, x):\n        return self._MAKE\n"
    _, out = hoisted(code)
    assert out.source.text.startswith("_MAKE = Helper  # the factory\n\n\nclass Scorer:\n"), out.source.text
    assert "return _MAKE\n" in out.source.text


def test_an_attribute_sharing_its_last_line_with_another_stays() -> None:
    """``_X = (...); _Y = 3`` over two lines: moving the lines of ``_X`` would take ``_Y`` along."""
    code = (
        "class Scorer:\n    _X = (\n        1, 2); _Y = 3\n\n    def score(self, x):\n        return self._X, self._Y\n"
    )
    candidate, out = hoisted(code)
    assert out is candidate


def test_a_rewrite_that_cannot_be_made_leaves_the_candidate_as_it_was() -> None:
    """Reads inside a moved statement (overlapping edits), reads where a bare name is not allowed
    (a mapping pattern's key): the candidate is merged as the answer gave it, not refused."""
    overlapping = (
        "class Scorer:\n    _A = 2\n    _B = Scorer._A\n\n    def score(self, x):\n        return self._A + self._B\n"
    )
    candidate, out = hoisted(overlapping)
    assert out is candidate
    key = (
        "class Scorer:\n"
        "    _K = 'k'\n\n"
        "    def score(self, x):\n"
        "        match x:\n"
        "            case {self._K: v}:\n"
        "                return v\n"
        "        return 0\n"
    )
    candidate, out = hoisted(key)
    assert out is candidate


def test_only_reads_through_the_first_parameter_are_rewritten() -> None:
    """``other._X`` reads another object's attribute: it stays as it was."""
    code = "class Scorer:\n    _X = 3\n\n    def score(self, other):\n        return other._X + self._X\n"
    _, out = hoisted(code)
    assert out.source.text.startswith("_X = 3\n"), out.source.text
    assert "return other._X + _X\n" in out.source.text


def test_statements_sharing_a_line_stay_and_the_others_move() -> None:
    """``_X = 3; _Y = (`` starts a statement that ends a line later, ``_W = (...); _V = 4`` ends one
    on the line of another: all four stay in the class, ``_Z`` on its own lines moves."""
    code = (
        "class Scorer:\n"
        "    _X = 3; _Y = (\n"
        "        1)\n"
        "    _W = (\n"
        "        2); _V = 4\n"
        "    _Z = 5\n\n"
        "    def score(self, x):\n"
        "        return self._X + self._Y + self._Z + self._W + self._V\n"
    )
    _, out = hoisted(code)
    assert out.source.text.startswith("_Z = 5\n\n\nclass Scorer:\n    _X = 3; _Y = (\n"), out.source.text
    assert "_Z = 5" not in out.source.text.split("class Scorer:")[1]
    assert run_module(out.source.text)["Scorer"]().score(0) == 15  # type: ignore[operator]


def test_a_private_class_constant_stays_in_its_class() -> None:
    """``self.__LIMIT`` and a global ``__LIMIT`` read in the class are both mangled to
    ``_Scorer__LIMIT``: moved, the method would raise NameError."""
    code = "class Scorer:\n    __LIMIT = 3\n\n    def score(self, x):\n        return self.__LIMIT\n"
    candidate, out = hoisted(code)
    assert out is candidate
    assert run_module(out.source.text)["Scorer"]().score(0) == 3  # type: ignore[operator]


def test_a_new_attribute_nothing_reads_leaves_the_candidate_as_it_was() -> None:
    code = "class Scorer:\n    _UNUSED = 3\n\n    def score(self, x):\n        return x\n"
    candidate, out = hoisted(code)
    assert out is candidate


def test_every_class_of_the_answer_is_looked_at() -> None:
    """The first classes move nothing (nothing new, only methods, a constant nothing reads): the
    last one's constant moves all the same."""
    code = (
        'class Helper:\n    """Helps."""\n\n    pass\n\n\n'
        "class Other:\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n\n\n"
        "class Third:\n    _UNUSED = 1\n\n    def c(self):\n        return 1\n\n\n"
        "class Scorer:\n    _X = 3\n\n    def score(self, x):\n        return self._X\n"
    )
    _, out = hoisted(code)
    assert "_X = 3\n\n\nclass Scorer:\n" in out.source.text, out.source.text
    assert "return _X\n" in out.source.text


def test_a_multi_line_constant_moves_dedented_by_its_first_line() -> None:
    code = (
        "class Scorer:\n"
        "    _TABLE = {\n"
        '        "a": 1,\n'
        '        "b": 2,\n'
        "    }\n\n"
        "    def score(self, x):\n"
        "        return self._TABLE[x]\n"
    )
    _, out = hoisted(code)
    assert out.source.text.startswith('_TABLE = {\n    "a": 1,\n    "b": 2,\n}\n\n\nclass Scorer:\n'), out.source.text
    assert run_module(out.source.text)["Scorer"]().score("b") == 2  # type: ignore[operator]


# --- candidates/newmodule.py ----------------------------------------------------------------

KERNEL = "def sumsq(vs):\n    return sum(v * v for v in vs)\n"
TOTAL = "def total(vs):\n    return sumsq(vs)\n"


def fold(importer: str | None, import_line: str, kernel: str, *, first: bool = True) -> list[tuple[str | None, str]]:
    """The blocks after folding: the importer's (for a file the client sent, or without a path) and
    a new module's at ``kernel``, the importer first unless ``first`` is False."""
    blocks = [(importer, f"{import_line}\n\n\n{TOTAL}"), (kernel, KERNEL)]
    if not first:
        blocks.reverse()
    parsed = [(RawBlock(path, code), index(code)) for path, code in blocks]
    known = {importer} if importer else {"pkg/tot.py"}
    return [(block.path, found.source.text) for block, found in fold_new_modules(parsed, known, "3.11.7")]


def is_folded(blocks: list[tuple[str | None, str]]) -> bool:
    """The new module's block went into the importer's, and the import with it."""
    [(_, code)] = blocks
    assert "import" not in code, code
    return code.strip("\n").startswith(KERNEL) and run_module(code)["total"]([1, 2]) == 5  # type: ignore[operator]


@pytest.mark.parametrize(
    ("importer", "import_line", "kernel"),
    [
        ("pkg/tot.py", "from pkg.fast import sumsq", "pkg/fast/__init__.py"),
        ("pkg/sub/tot.py", "from ._kernels import sumsq", "pkg/sub/_kernels.py"),
        ("a/b/c/tot.py", "from .._k import sumsq", "a/b/_k.py"),
        ("pkg/tot.py", "from pkg._kernels import sumsq as sumsq", "pkg\\_kernels.py"),
        (None, "from pkg._kernels import sumsq", "pkg/_kernels.py"),
    ],
    ids=["package", "same-package", "parent-package", "windows-path", "block-without-path"],
)
def test_a_new_module_is_folded_into_its_importer(importer: str, import_line: str, kernel: str) -> None:
    assert is_folded(fold(importer, import_line, kernel))
    assert is_folded(fold(importer, import_line, kernel, first=False))


@pytest.mark.parametrize(
    ("importer", "import_line", "kernel"),
    [
        ("pkg/sub/tot.py", "from ._kernels import sumsq", "pkg/other/_kernels.py"),
        ("a/b/c/tot.py", "from .._k import sumsq", "a/c/_k.py"),
        ("tot.py", "from . import sumsq", "_kernels.py"),
        (None, "from .other import sumsq", "pkg/_kernels.py"),
    ],
    ids=["another-package", "another-parent", "the-package-itself", "no-path-to-resolve-from"],
)
def test_an_import_of_another_module_is_left_as_it_was(importer: str | None, import_line: str, kernel: str) -> None:
    blocks = fold(importer, import_line, kernel)
    assert blocks == [(importer, f"{import_line}\n\n\n{TOTAL}"), (kernel, KERNEL)]


@pytest.mark.parametrize(
    "head",
    [
        "from pkg._kernels import sumsq; from pkg._kernels import sumsq as sumsq",  # one line: edits overlap
        "import math; X = 1 + \\\n2\nfrom pkg._kernels import sumsq",  # the new code would follow a backslash
    ],
    ids=["overlapping-edits", "unparsable"],
)
def test_a_fold_that_cannot_be_made_leaves_the_blocks_as_they_were(head: str) -> None:
    blocks = fold("pkg/tot.py", head, "pkg/_kernels.py")
    assert blocks == [("pkg/tot.py", f"{head}\n\n\n{TOTAL}"), ("pkg/_kernels.py", KERNEL)]


# --- candidates/extract.py ------------------------------------------------------------------

FILES = {"pkg/mod.py": "def f():\n    return 1\n", "": "def g():\n    return 2\n"}


def extracted(
    text: str, finish_reason: str | None = "stop", fence_tags: tuple[str, ...] = ("python",), **kw: object
) -> Extracted:
    answer = Answer(text=text, finish_reason=finish_reason, prose="the prose", **kw)  # type: ignore[arg-type]
    return extract(answer, files=FILES, language_version="3.11.7", fence_tags=fence_tags)


def test_an_applied_edit_gives_its_files_and_the_prose() -> None:
    edited = (CodeFile("pkg/mod.py", "def f():\n    return 3\n"), CodeFile("", "def g():\n    return 4\n"))
    found = extracted("ignored", edited=edited)
    assert found == Extracted(
        (RawBlock("pkg/mod.py", "def f():\n    return 3\n"), RawBlock(None, "def g():\n    return 4\n")), "the prose"
    )


def test_without_fence_tags_of_its_own_the_python_ones_are_read() -> None:
    text = "Faster:\n\n```py\ndef f():\n    return 3\n```\n"
    assert extracted(text, fence_tags=()).blocks == (RawBlock("pkg/mod.py", "def f():\n    return 3"),)
    assert extracted(text, fence_tags=("python",)).blocks == ()


def test_a_fence_left_open_is_cut_only_when_the_end_is_unknown() -> None:
    text = "Faster:\n\n```python\ndef f():\n    return 3\n"
    assert [b.truncated for b in extracted(text, finish_reason=None).blocks] == [True]
    assert [b.truncated for b in extracted(text, finish_reason="stop").blocks] == [False]
    two = "```python\ndef f():\n    return 3\n```\n\n```python\ndef g():\n    return 4\n"
    assert [(b.code, b.truncated) for b in extracted(two, finish_reason=None).blocks] == [
        ("def f():\n    return 3", False),
        ("def g():\n    return 4", True),
    ]


def test_fences_inside_a_code_tag_and_a_bare_code_tag() -> None:
    fenced = "Here:\n<code>\n```python\ndef f():\n    return 3\n```\n</code>\n```python\nprint(1)\n```\n"
    assert extracted(fenced).blocks == (RawBlock("pkg/mod.py", "def f():\n    return 3"),)
    bare = "Here:\n<code>\ndef f():\n    return 3\n</CODE >\n"
    assert extracted(bare, finish_reason=None) == Extracted((RawBlock(None, "def f():\n    return 3"),), "the prose")
    open_tag = "Here:\n<code>\ndef f():\n    return 3\n"
    assert [b.truncated for b in extracted(open_tag, finish_reason=None).blocks] == [True]
    assert [b.truncated for b in extracted(open_tag, finish_reason="stop").blocks] == [False]
    assert extracted("Here:\n<code>\n  \n</code>\n").blocks == ()


def test_an_edit_that_did_not_apply_keeps_the_blocks_that_are_not_edits() -> None:
    edit = "```python\npkg/mod.py\n<<<<<<< SEARCH\n    return 9\n=======\n    return 3\n>>>>>>> REPLACE\n```\n"
    code = "```python\ndef f():\n    return 3\n```\n"
    assert extracted(edit + code, edit_error="no match").blocks == (RawBlock(None, "def f():\n    return 3"),)
    with pytest.raises(ValueError, match="the edit does not apply: no match"):
        extracted(edit, edit_error="no match")


def test_an_answer_that_is_only_python_is_one_block_without_prose() -> None:
    assert extracted("\ndef f():\n    return 3\n\n") == Extracted((RawBlock(None, "def f():\n    return 3"),), "")
    assert extracted("class A:\n    pass\n").blocks == (RawBlock(None, "class A:\n    pass"),)
    assert extracted("x = 1\n").blocks == ()  # defines nothing: not taken for code
    assert extracted("def f(:\n    return 3\n").blocks == ()  # does not parse


# --- candidates/base.py ---------------------------------------------------------------------

ORIGINAL_FILE = "import math\n\n\ndef f(xs):\n    return sorted(xs)\n\n\ndef g(xs):\n    return min(xs)\n"
BASE_FILE = (
    "import math\nfrom bisect import insort\n\n\n"
    "def _a(xs):\n    return _b(xs)\n\n\n"
    "def _b(xs):\n    return list(xs)\n\n\n"
    "def _c(xs):\n    return xs\n\n\n"
    "def _fast(xs):\n    return list(xs)\n\n\n"
    "def f(xs):\n    return _a(xs)\n\n\n"
    "def g(xs):\n    return min(xs)\n"
)


def test_placeholders_take_the_base_s_definitions_that_differ_from_the_original() -> None:
    """A class placeholder for the base's function is left; ``g``, which the base kept as the
    original has it, is left for the merge; ``_c``, only the base's, and ``f``, changed, come back."""
    stub = "    ...\n\n\n"
    candidate = index(f"class _b:\n    pass\n\n\ndef g(xs):\n{stub}def _c(xs):\n{stub}def f(xs):\n    ...\n")
    restored = restore_placeholders(candidate, index(ORIGINAL_FILE), index(BASE_FILE), "3.11.7")
    assert restored.source.text == (
        f"class _b:\n    pass\n\n\ndef g(xs):\n{stub}def _c(xs):\n    return xs\n\n\ndef f(xs):\n    return _a(xs)\n"
    )


def test_a_base_definition_at_the_end_of_its_file_keeps_the_line_break() -> None:
    """The base's last line has no line break: the placeholder's own is kept after it."""
    candidate = index("def f(xs):\n    ...\n\n\ndef g(xs):\n    return max(xs)\n")
    restored = restore_placeholders(candidate, index(ORIGINAL_FILE), index("def f(xs):\n    return list(xs)"), "3.11.7")
    assert restored.source.text == "def f(xs):\n    return list(xs)\n\n\ndef g(xs):\n    return max(xs)\n"


def test_the_merge_takes_top_level_code_and_the_methods_of_existing_classes() -> None:
    """Not the class statement of an existing class (its attributes stay out), nor placeholders."""
    original = index("class Box:\n    def total(self):\n        return 0\n")
    candidate = index(
        "class Box:\n    LIMIT = _CUTOFF\n\n    def total(self):\n        return 1\n\n\n"
        "def f(xs: Vec) -> Vec:\n    ...\n\n\ndef h():\n    return 2\n"
    )
    assert [getattr(node, "name", None) for node in merged_nodes(candidate, original)] == ["total", "h"]


def test_the_base_s_helpers_and_imports_come_with_what_needs_them() -> None:
    """``_a`` needs ``_b``, which the answer also reads; ``_c`` after them; the answer's own
    ``_fast`` and the original's ``math`` are not taken from the base."""
    candidate = index(
        "import itertools\n\n\ndef _fast(xs):\n    return xs\n\n\n"
        "def f(xs):\n    return _a(xs) + _b(xs) + _c(xs) + _fast(xs) + [insort, math.pi, itertools]\n"
    )
    completed = complete_from_base(candidate, index(ORIGINAL_FILE), index(BASE_FILE), "3.11.7")
    assert completed.source.text == (
        "import itertools\n"
        "from bisect import insort\n"
        "def _a(xs):\n    return _b(xs)\n\n\n"
        "def _b(xs):\n    return list(xs)\n\n\n"
        "def _c(xs):\n    return xs\n\n\n"
        "\n\ndef _fast(xs):\n    return xs\n\n\n"
        "def f(xs):\n    return _a(xs) + _b(xs) + _c(xs) + _fast(xs) + [insort, math.pi, itertools]\n"
    )


def test_what_the_base_brings_goes_on_lines_of_its_own() -> None:
    """After an import on the last line without a line break, a line break first; after a line
    continued by a backslash, nothing can go: the candidate stays as it was."""
    candidate = index("import math; LIMIT = _c(3)")
    completed = complete_from_base(candidate, index(ORIGINAL_FILE), index(BASE_FILE), "3.11.7")
    assert completed.source.text == "import math; LIMIT = _c(3)\ndef _c(xs):\n    return xs\n\n\n"
    continued = index("import math; X = 1 + \\\n2\n\n\ndef f(xs):\n    return _c(xs)\n")
    assert complete_from_base(continued, index(ORIGINAL_FILE), index(BASE_FILE), "3.11.7") is continued


def test_the_new_module_goes_into_the_first_block_that_can_take_it() -> None:
    """A block that does not import from it is passed over, and so is one the fold would leave
    unparsable: the next importer gets the code."""
    head = "import math; X = 1 + \\\n2\nfrom pkg._kernels import sumsq\n"
    blocks = [
        ("pkg/other.py", "def other():\n    return 1\n"),
        ("pkg/a.py", f"{head}\n\n{TOTAL}"),
        ("pkg/tot.py", f"from pkg._kernels import sumsq\n\n\n{TOTAL}"),
        ("pkg/_kernels.py", KERNEL),
    ]
    parsed = [(RawBlock(path, code), index(code)) for path, code in blocks]
    folded = fold_new_modules(parsed, {"pkg/other.py", "pkg/a.py", "pkg/tot.py"}, "3.11.7")
    assert [(block.path, found.source.text) for block, found in folded[:2]] == blocks[:2]
    assert [block.path for block, _ in folded] == ["pkg/other.py", "pkg/a.py", "pkg/tot.py"]
    assert is_folded([(None, folded[2][1].source.text)])


def test_a_new_module_is_not_folded_into_another_new_module() -> None:
    """Neither file was sent: the client would write neither, folded or not."""
    blocks = [("pkg/_a.py", f"from pkg._b import sumsq\n\n\n{TOTAL}"), ("pkg/_b.py", KERNEL)]
    parsed = [(RawBlock(path, code), index(code)) for path, code in blocks]
    folded = fold_new_modules(parsed, {"pkg/tot.py"}, "3.11.7")
    assert [(block.path, found.source.text) for block, found in folded] == blocks


def test_a_block_for_a_sent_file_under_another_root_is_no_new_module() -> None:
    """``src/pkg/tot.py`` is the ``pkg/tot.py`` the client sent (matched by its name later): it is
    merged into that file, not folded into the file importing from it."""
    blocks = [("pkg/main.py", f"from pkg.tot import sumsq\n\n\n{TOTAL}"), ("src/pkg/tot.py", KERNEL)]
    parsed = [(RawBlock(path, code), index(code)) for path, code in blocks]
    folded = fold_new_modules(parsed, {"pkg/tot.py", "pkg/main.py"}, "3.11.7")
    assert [(block.path, found.source.text) for block, found in folded] == blocks
