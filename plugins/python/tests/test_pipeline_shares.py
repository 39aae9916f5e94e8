"""How the Python cleaner maps an answer's blocks to files and shares indexes of the originals
(candidates/pipeline.py), pinned where the other shares of ``scripts/mutation.py python.pipeline``
found the tests blind."""

from __future__ import annotations

import ast

from codeflash_engine import CodeFile
from codeflash_engine.plugins.types import Candidate
from codeflash_engine_python.candidates.extract import RawBlock
from codeflash_engine_python.candidates.module import ModuleIndex
from codeflash_engine_python.candidates.pipeline import CLEANER, IndexCache, assign_blocks, index_original

from .answers import optimize_request

MAIN = CodeFile(
    "pkg/main.py", "from pkg.helpers import scale\n\n\ndef total(xs):\n    return sum(scale(x) for x in xs)\n"
)
HELPERS = CodeFile("pkg/helpers.py", "FACTOR = 2\n\n\ndef scale(x):\n    result = x * FACTOR\n    return result\n")
#: a file of the project written for a newer Python than ours (3.12 generics): it does not parse
NEWER = CodeFile("pkg/newer.py", "def first[T](xs: list[T]) -> T:\n    return xs[0]\n")

#: blocks of an answer by their paths: the target file's, and a helper file's under another folder
BLOCKS_BY_PATH = [
    ("pkg/main.py", "def total(xs):\n    return sum([scale(x) for x in xs])\n"),
    ("lib/helpers.py", "FACTOR = 3\n"),
]


def _fence(path: str | None, code: str) -> str:
    """A fenced Python block of an answer, with ``path`` after the language when given."""
    return f"```python{':' + path if path else ''}\n{code}```\n"


def _candidates(blocks: list[str], original: tuple[CodeFile, ...], target: str = "total") -> list[Candidate]:
    """The candidates of one answer made of ``blocks``."""
    return CLEANER.postprocess(optimize_request(["Faster.\n\n" + "\n".join(blocks)], original, target))


def _files(candidate: Candidate) -> dict[str | None, str]:
    """A candidate's files by path."""
    return {file.path: file.code for file in candidate.files}


def test_a_lone_block_that_does_not_parse_is_refused_for_that_reason() -> None:
    """The drop is logged with the parse error of the answer's only block (without a path, in
    a request of two files), not as a block skipped for illustrating something."""
    answer = "Faster.\n\n" + _fence(None, "def total(xs:\n    return 0\n")
    request = optimize_request([answer], (MAIN, HELPERS), "total")
    [outcome] = CLEANER.triage(request)
    assert outcome.candidate is None
    assert "does not parse: line 1" in outcome.reason, outcome.reason


def test_a_block_whose_path_differs_in_its_folders_goes_to_the_file_of_that_name() -> None:
    """``lib/helpers.py`` (a base file, say, sent under another folder) maps to
    ``pkg/helpers.py``, the only file of that name, even when the block shares no definition
    with it (it changes a module constant)."""
    original = index_original(optimize_request([], (MAIN, HELPERS), "total"))
    blocks = [(RawBlock(path, code), ModuleIndex(code, ast.parse(code))) for path, code in BLOCKS_BY_PATH]
    assigned = assign_blocks(blocks, original)
    assert {where: [index.source.text for index in indexes] for where, indexes in assigned.items()} == {
        0: [BLOCKS_BY_PATH[0][1]],
        1: [BLOCKS_BY_PATH[1][1]],
    }


def test_a_file_that_does_not_parse_does_not_hide_the_files_after_it() -> None:
    """Blocks without a path go to the file that defines what they define, past an original file
    written for a newer Python."""
    main = _fence(None, "def total(xs):\n    return sum([scale(x) for x in xs])\n")
    helpers = _fence(None, "def scale(x):\n    return x * FACTOR\n")
    [candidate] = _candidates([main, helpers], (MAIN, NEWER, HELPERS))
    files = _files(candidate)
    assert "    return x * FACTOR\n" in files["pkg/helpers.py"]
    assert "def scale" not in files["pkg/main.py"]


def test_two_blocks_for_one_file_are_both_merged() -> None:
    """An answer giving two blocks for the same file: the changes of both are in the candidate."""
    first = _fence("pkg/helpers.py", "def scale(x):\n    return x * FACTOR\n")
    second = _fence("pkg/helpers.py", "FACTOR = 3\n")
    [candidate] = _candidates([first, second], (MAIN, HELPERS), "scale")
    helpers = _files(candidate)["pkg/helpers.py"]
    assert "    return x * FACTOR\n" in helpers and "FACTOR = 3\n" in helpers


def _code_of(size: int, name: str) -> str:
    """A function definition of exactly ``size`` characters (padded with a comment)."""
    code = f"def {name}(x):\n    return x\n"
    return code + "#" * (size - len(code) - 1) + "\n"


def test_the_index_cache_keeps_up_to_its_budget_and_a_quarter_of_it_per_file() -> None:
    """Files of up to a quarter of the budget are kept, until their sizes add up to more than the
    budget: then the least recently used goes."""
    cache = IndexCache(budget=400)
    codes = [_code_of(100, f"f{i}") for i in range(4)]
    first = [cache.index(code, None) for code in codes]
    assert [cache.index(code, None) for code in codes] == first  # 400 characters: all kept
    assert all(cache.index(code, None) is index for code, index in zip(codes, first, strict=True))
    assert cache.index("1", None) is not None  # one character more than the budget
    assert cache.index(codes[0], None) is not first[0]  # the least recently used went


def test_a_file_over_a_quarter_of_the_budget_is_not_kept() -> None:
    """A file of a quarter of the budget is kept; one of a third is parsed each time."""
    cache = IndexCache(budget=400)
    quarter, third = _code_of(100, "quarter"), _code_of(133, "third")
    assert cache.index(quarter, None) is cache.index(quarter, None)
    assert cache.index(third, None) is not cache.index(third, None)


def _reason(answer_code: str, original: tuple[CodeFile, ...], target: str) -> str:
    """Why the one answer holding ``answer_code`` for the target's file was dropped."""
    path = original[0].path
    [outcome] = CLEANER.triage(optimize_request(["Faster.\n\n" + _fence(path, answer_code)], original, target))
    assert outcome.candidate is None
    return outcome.reason


def test_an_answer_that_changes_nothing_or_only_adds_code_is_refused_for_that_reason() -> None:
    """The original answered back is refused as the original; an answer that renames the target
    as something nothing calls is refused as code nothing calls."""
    assert "the original code after normalisation" in _reason(HELPERS.code, (HELPERS,), "scale")
    renamed = HELPERS.code.replace(
        "def scale(x):\n    result = x * FACTOR\n    return result\n", "def scale_fast(x):\n    return x * FACTOR\n"
    )
    assert "only adds code that nothing calls" in _reason(renamed, (HELPERS,), "scale")


def test_a_new_private_helper_nothing_calls_is_left_out() -> None:
    """A new function named with two leading underscores (not a dunder) that nothing calls is
    left out of the candidate, like any unused new definition."""
    code = "def scale(x):\n    return x * FACTOR\n\n\ndef __warm_up():\n    return scale(1)\n"
    [candidate] = _candidates([_fence("pkg/helpers.py", code)], (HELPERS,), "scale")
    helpers = _files(candidate)["pkg/helpers.py"]
    assert "    return x * FACTOR\n" in helpers and "__warm_up" not in helpers


def test_an_example_call_beside_the_code_is_not_merged() -> None:
    """A second block without a path that only calls the function (an example) is skipped: the
    candidate is the one of the real block alone."""
    real = _fence("pkg/helpers.py", "def scale(x):\n    return x * FACTOR\n")
    example = _fence(None, "print(scale(3))\n")
    [alone] = _candidates([real], (MAIN, HELPERS), "scale")
    [with_example] = _candidates([real, example], (MAIN, HELPERS), "scale")
    assert with_example.files == alone.files
