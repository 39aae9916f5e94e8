"""Go imports added to a candidate or a generated test: the original's imports the code uses
and standard packages it uses unimported, spliced into the last import declaration or a new
block after the package clause; the syntax problems' positions and texts; and which numbers of
a generated test are sizes to cap (written against the survivors of ``scripts/mutation.py`` for
``go.imports``, ``go.syntax`` and ``go.testgen_sizes``)."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.types import SyntaxProblem
from codeflash_engine_go.imports import add_imports, insert_imports
from codeflash_engine_go.source import ImportSpec, Source
from codeflash_engine_go.syntax import problems
from codeflash_engine_go.testgen_sizes import size_edits

UTIL = ImportSpec(path="example.com/m/util", alias=None, text='"example.com/m/util"')
FMT = ImportSpec(path="fmt", alias=None, text='"fmt"')
BODY = "\nfunc F() string { return strings.ToUpper(fmt.Sprint(1)) }\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            'package p\n\nimport (\n\t"fmt"\n)\n',
            'package p\n\nimport (\n\t"fmt"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport (\n\t"fmt"\n    )\n',
            'package p\n\nimport (\n\t"fmt"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport ("fmt")\n',
            'package p\n\nimport ("fmt"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport "fmt"\n',
            'package p\n\nimport (\n\t"fmt"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport f "fmt"\n',
            'package p\n\nimport (\n\tf "fmt"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport "fmt"\nimport "os"\n',
            'package p\n\nimport "fmt"\nimport (\n\t"os"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport (\n\t"fmt"\n)\nimport "os"\n',
            'package p\n\nimport (\n\t"fmt"\n)\nimport (\n\t"os"\n\t"strings"\n)\n',
        ),
        (
            'package p\n\nimport "os"\nimport (\n\t"fmt"\n)\n',
            'package p\n\nimport "os"\nimport (\n\t"fmt"\n\t"strings"\n)\n',
        ),
    ],
)
def test_a_missing_standard_package_joins_the_last_import_declaration(head: str, expected: str) -> None:
    """A group gets the spec before its ``)`` (on a line of its own); a single import becomes a
    group; the declarations before the last are left as they are."""
    added = add_imports(Source.parse(head + BODY), [])
    assert added.code == expected + BODY
    assert added.ok


def test_without_imports_a_block_follows_the_package_clause() -> None:
    code = "package p\n" + BODY
    added = add_imports(Source.parse(code), [])
    assert added.code == 'package p\n\nimport (\n\t"fmt"\n\t"strings"\n)\n\n' + BODY.lstrip()


def test_without_a_package_clause_the_block_comes_first() -> None:
    assert insert_imports(Source.parse("\n\nfunc F() {}\n"), ['"fmt"']) == 'import (\n\t"fmt"\n)\n\nfunc F() {}\n'


def test_an_original_import_already_present_does_not_stop_the_others() -> None:
    """The original's ``fmt`` is there already; its ``util``, used and missing, is still added
    (in the original's order, before the standard packages)."""
    code = 'package p\n\nimport "fmt"\n\nfunc F() string { return fmt.Sprint(util.X, strings.ToUpper("")) }\n'
    added = add_imports(Source.parse(code), [FMT, UTIL])
    assert added.imports() == [
        FMT,
        UTIL,
        ImportSpec(path="strings", alias=None, text='"strings"'),
    ]


def test_unknown_packages_and_aliased_standard_ones_add_nothing() -> None:
    """``foo`` is no standard package and not among the original's imports; ``strings``
    imported under another name is present: the code is returned as it is."""
    code = 'package p\n\nimport str "strings"\n\nfunc F() string { return foo.Bar(strings.ToUpper("")) }\n'
    source = Source.parse(code)
    assert add_imports(source, []) is source
    assert add_imports(source, [UTIL]) is source


# ------------------------------------------------------------------------------------- syntax


def test_a_statement_outside_a_function_is_named_by_its_first_line_cut_at_40() -> None:
    code = 'package p\n\nfmt.Println("abcdefghijklmnopqrstuvwxyz0123456789", 1,\n\t2)\n'
    assert problems(code) == [
        SyntaxProblem(3, 1, "statement outside a function: 'fmt.Println(\"abcdefghijklmnopqrstuvwxyz0'")
    ]


@pytest.mark.parametrize("version", ["1.21", "go1.21.5", "1.17"])
def test_ranging_over_an_integer_before_go_1_22_is_placed_at_the_integer(version: str) -> None:
    code = "package p\n\nfunc F() {\n\tfor i := range 10 {\n\t\t_ = i\n\t}\n}\n"
    assert problems(code, version) == [
        SyntaxProblem(4, 17, f"ranging over an integer needs Go 1.22 (this is Go 1.{version.split('.')[1]})")
    ]
    assert problems(code, "1.22") == []
    assert problems(code) == []


def test_ranging_over_anything_else_is_fine_before_go_1_22() -> None:
    """A slice, a call, a channel, a constant's name: only an integer literal needs 1.22."""
    code = (
        "package p\n\nconst n = 3\n\nfunc F(xs []int, c chan int) {\n"
        "\tfor _, x := range xs {\n\t\t_ = x\n\t}\n"
        "\tfor i := range len(xs) {\n\t\t_ = i\n\t}\n"
        "\tfor v := range c {\n\t\t_ = v\n\t}\n"
        "\tfor range xs {\n\t}\n"
        "}\n"
    )
    assert problems(code, "1.21") == []


# ---------------------------------------------------------------------- generated tests' sizes


def _capped(body: str) -> str:
    source = Source.parse("package p\n\n" + body + "\n")
    capped = source.edited(size_edits(source))
    assert not capped.root.has_error
    return capped.code.removeprefix("package p\n\n").removesuffix("\n")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "func f() {\n\tn := 10_000_000\n\ta := make([]int, n)\n\t_ = a\n}",
            "func f() {\n\tn := 100000\n\ta := make([]int, n)\n\t_ = a\n}",
        ),
        (
            "func f() {\n\tfor i := 0; i < 1_000_000; i += 4 {\n\t\tg(i)\n\t}\n}",
            "func f() {\n\tfor i := 0; i < 40000; i += 4 {\n\t\tg(i)\n\t}\n}",
        ),
    ],
)
def test_short_declarations_and_steps_are_read(body: str, expected: str) -> None:
    """A size bound with ``:=`` is capped where it is bound; a ``+=`` loop keeps its step."""
    assert _capped(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "func f() {\n\tfor i := 1; i < 1<<30; i *= 2 {\n\t\tg(i)\n\t}\n}",
        "func f() {\n\tfor i := 0; i < 1_000_000; i -= 1 {\n\t\tg(i)\n\t}\n}",
        "func f() {\n\tfor i := 0; j < 1_000_000; i++ {\n\t\tg(i)\n\t}\n}",
        "func f() {\n\ti := 0\n\tfor ; i < 1_000_000; i++ {\n\t\tg(i)\n\t}\n}",
        "func f() {\n\tfor i := 0; ; i++ {\n\t\tg(i)\n\t}\n}",
        "func f() {\n\tfor i := 0; i < 1_000_000; {\n\t\ti++\n\t}\n}",
        "func f() {\n\tfor i, j := 0; i < 1_000_000; i++ {\n\t\tg(i, j)\n\t}\n}",
        "func f() {\n\tfor i := 0, 1; i < 1_000_000; i++ {\n\t\tg(i)\n\t}\n}",
        "func f(xs []int) {\n\tfor i := range xs {\n\t\tg(i)\n\t}\n}",
    ],
)
def test_loops_and_names_that_are_no_sizes_are_left_alone(body: str) -> None:
    """Only ``for i := a; i < b; i++`` (or ``i += k``) with one name and one value, all three
    parts present, is a counted loop; ranging over a slice is no size."""
    assert _capped(body) == body
