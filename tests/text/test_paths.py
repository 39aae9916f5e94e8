"""File paths as LLMs write them (text/paths.py): normalised to clean POSIX, matched to the request's
files without guessing, found in a line of prose or a fence's info string."""

from __future__ import annotations

import pytest

from codeflash_engine.text.markdown import CodeBlock, extract_code_blocks
from codeflash_engine.text.paths import (
    has_code_extension,
    looks_like_path,
    match_path,
    normalize_path,
    parse_fence_info,
    path_from_line,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("pkg/geo.py", "pkg/geo.py"),
        ("  `./pkg/geo.py`  ", "pkg/geo.py"),
        ("'pkg\\\\geo.py'", "pkg/geo.py"),
        ('"pkg/sub/../geo.py"', "pkg/geo.py"),
        ("/home/me/proj/pkg/geo.py", "/home/me/proj/pkg/geo.py"),
        ("//srv//share/geo.py", "/srv/share/geo.py"),
        ("///x.py", "/x.py"),
        (".", ""),
        ("./", ""),
        (" `` ", ""),
        ("", ""),
    ],
)
def test_normalize_path(raw: str, clean: str) -> None:
    """Quotes, backticks and spaces go, backslashes become slashes, ``.`` and ``..`` are resolved,
    a leading ``//`` is one slash (POSIX keeps two), and nothing left is the empty path."""
    assert normalize_path(raw) == clean


KNOWN = ["src/pkg/geo.py", "src/pkg/util.py", "tests/test_geo.py", "src/other/util.py", "README.md"]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("src/pkg/geo.py", "src/pkg/geo.py"),
        ("./src\\pkg\\geo.py", "src/pkg/geo.py"),
        ("pkg/geo.py", "src/pkg/geo.py"),  # the only known path ending with it
        ("/home/me/proj/src/pkg/geo.py", "src/pkg/geo.py"),  # it ends with the only known path
        ("geo.py", "src/pkg/geo.py"),  # only file of that base name (test_geo.py is another name)
        ("lib/test_geo.py", "tests/test_geo.py"),  # the same base name, only one
        ("util.py", None),  # two files of that name: nothing is guessed
        ("/abs/util.py", None),
        ("pkg/util.py", "src/pkg/util.py"),  # the suffix decides where the base name cannot
        ("missing.py", None),
        ("", None),
        (".", None),
    ],
)
def test_match_path(written: str, meant: str | None) -> None:
    assert match_path(written, KNOWN) == meant


def test_match_path_with_nothing_known_or_two_suffix_matches() -> None:
    assert match_path("geo.py", []) is None
    # both end with "/pkg/geo.py": the suffix is ambiguous, and the base name must not decide
    assert match_path("pkg/geo.py", ["a/pkg/geo.py", "b/pkg/geo.py"]) is None
    # the known entry comes back as given, not normalised
    assert match_path("pkg/geo.py", ["./pkg\\geo.py"]) == "./pkg\\geo.py"
    assert match_path("geo.py", ["", "src/geo.py"]) == "src/geo.py"
    # an empty path names no file, not even an empty entry
    assert match_path("", ["", "a.py"]) is None and match_path("./", ["."]) is None
    # the exact path wins over a longer one that ends with it
    assert match_path("pkg/util.py", ["vendor/pkg/util.py", "pkg/util.py"]) == "pkg/util.py"


@pytest.mark.parametrize(
    ("token", "path", "extension"),
    [
        ("pkg/geo.py", True, True),
        ("Geo.PY", True, True),
        ("pkg\\geo.ts", True, True),
        ("Vec.length", False, False),
        ("e.g.", False, False),
        ("Makefile", False, False),
        ("pkg.dir/README", False, False),
        ("my file.py", False, True),
        ("", False, False),
    ],
)
def test_what_counts_as_a_path(token: str, path: bool, extension: bool) -> None:
    """A single word with a known source or text extension; ``Vec.length`` is no file."""
    assert looks_like_path(token) is path
    assert has_code_extension(token) is extension


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("pkg/geo.py", "pkg/geo.py"),
        ("pkg/geo.py:", "pkg/geo.py"),
        ("**pkg/geo.py**", "pkg/geo.py"),
        ("`./pkg/geo.py`", "pkg/geo.py"),
        ("### pkg/geo.py", "pkg/geo.py"),
        ("- File: pkg/geo.py", "pkg/geo.py"),
        ("2) Filename: `pkg/geo.py`:", "pkg/geo.py"),
        ("Changes to `pkg/geo.py`:", "pkg/geo.py"),  # a label, then the path
        ("See `pkg/geo.py` for the details.", None),  # a sentence, and no known file
        ("Vec.length", None),
        ("", None),
        ("   ", None),
    ],
)
def test_path_from_line_without_known_files(line: str, path: str | None) -> None:
    assert path_from_line(line) == path


def test_path_from_line_with_known_files() -> None:
    known = ["src/pkg/geo.py", "src/pkg/util.py"]
    # a bare name is the known file it means
    assert path_from_line("geo.py", known) == "src/pkg/geo.py"
    # a sentence counts when exactly one backticked token names a known file
    assert path_from_line("Changes to `geo.py` (and a note):", known) == "src/pkg/geo.py"
    assert path_from_line("Moved `norm` from `geo.py` to `util.py`:", known) is None
    assert path_from_line("Here `geo.py` and again `src/pkg/geo.py`:", known) == "src/pkg/geo.py"
    # a word that is no known file and has no extension is not a path
    assert path_from_line("Vec.length", known) is None


def test_a_long_line_is_prose_not_a_path() -> None:
    """Lines up to 300 characters are looked at; a longer one is prose."""
    name = "d/" * 147 + "x.py"  # 298 characters
    assert path_from_line(name + "**") == name
    assert path_from_line(name + "**:") is None


@pytest.mark.parametrize(
    ("info", "parsed"),
    [
        ("python", ("python", None)),
        ("Python:pkg/geo.py", ("python", "pkg/geo.py")),
        ("python: pkg/geo.py", ("python", "pkg/geo.py")),
        ("python pkg/geo.py", ("python", "pkg/geo.py")),
        ("python some words", ("python", None)),
        ("python: some words", ("python", "some words")),
        ('python title="pkg/geo.py"', ("python", "pkg/geo.py")),
        ("python {file=pkg/geo.py linenums}", ("python", "pkg/geo.py")),
        ("pkg/geo.py", (None, "pkg/geo.py")),
        ("geo.py", (None, "geo.py")),
        ("pkg/geo", (None, "pkg/geo")),
        (":pkg/geo.py", (None, "pkg/geo.py")),
        (":", (None, None)),
        ('{.Python title="pkg/geo.py"}', ("python", "pkg/geo.py")),
        ("{.python}", ("python", None)),
        ('{ title="geo" }', (None, "geo")),
        ('{title="geo.py"}', (None, "geo.py")),  # the dot of the file name is no class
        ('{file="my.file.py" .python}', ("python", "my.file.py")),
        ("{#main .python}", ("python", None)),
        ("", (None, None)),
        ("   ", (None, None)),
    ],
)
def test_parse_fence_info(info: str, parsed: tuple[str | None, str | None]) -> None:
    """The language tag (lower case) and the path, in every form LLMs write them."""
    assert parse_fence_info(info) == parsed


@pytest.mark.parametrize(
    "info", ['{title="pkg/my.geo.py" .python}', '{title="pkg/my.geo.py"}', '{.python title="pkg/my.geo.py"}']
)
def test_a_pandoc_fence_whose_file_name_has_dots_keeps_its_code(info: str) -> None:
    """The dots of a quoted file name are no class: the block is Python at its path, not a block of
    an unknown language ``geo`` that is skipped with its code."""
    blocks = extract_code_blocks(f"```{info}\nx = 1\n```", language_tags=("python", "py"), default_language="python")
    assert blocks == [CodeBlock("python", "pkg/my.geo.py", "x = 1")]
