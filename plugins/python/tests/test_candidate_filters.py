"""The Python candidate filters as tables: which changes of a definition make a candidate that is
refused (its signature changed), kept (its behaviour may differ), or dropped as the original.

The client keeps the original header and benchmarks the candidate's body (contract 4.4), so a
changed parameter default is a changed signature; and it compares normal forms (contract 4.2),
so a candidate that only tunes a constant is a real candidate, not the original.
"""

from __future__ import annotations

import ast

import pytest

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_python.candidates.normalize import decorators_key, function_code_key
from codeflash_engine_python.candidates.pipeline import CLEANER
from codeflash_engine_python.candidates.signature import restore_header

from .answers import answers as answers_of

ORIGINAL = '''\
import math

CHUNK = 64


def batched(xs, size=64, *, scale=1.0, label="batch"):
    """Cut xs into lists of ``size``, each value times ``scale``."""
    step = size
    out = []
    for i in range(0, len(xs), step):
        out.append([x * scale for x in xs[i : i + step]])
    total = 0
    for part in out:
        total += len(part)
    limit = 1000
    sep = ", "
    if total > limit:
        return [[sep.join(label)]]
    return out if total else [[label]]
'''
PATH = "pkg/batch.py"
FILES = (CodeFile(PATH, ORIGINAL),)
BODY = ORIGINAL.split('``scale``."""\n')[1]  # the body below the docstring


def _clean(original: tuple[CodeFile, ...], texts: list[str], target: str) -> list[Candidate]:
    """The candidates the plugin keeps from answers ``texts`` for ``target`` in ``original``."""
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11.7",
        original=original,
        answers=answers_of(texts, original),
        target=Target.parse(target),
        fence_tags=("python", "py", "python3"),
    )
    return CLEANER.postprocess(request)


def _run(*definitions: str) -> list[Candidate]:
    return _clean(FILES, [f"```python:{PATH}\n{definition}```" for definition in definitions], "batched")


def _def(header: str, body: str = BODY) -> str:
    return f"{header}\n{body}"


HEADER = 'def batched(xs, size=64, *, scale=1.0, label="batch"):'
FASTER = BODY.replace("    total = 0\n    for part in out:\n        total += len(part)\n", "    total = len(xs)\n")

MULTI_LINE = (
    'def batched(\n    xs: list,\n    size: int = 64,\n    *,\n    scale: float = 1.0,\n    label: str = "batch",\n'
    ") -> list:"
)

SIGNATURES = [
    # (id, candidate, what happens)
    ("a header over several lines", _def(MULTI_LINE, FASTER), "kept"),
    ("the same, decorated", "@functools.lru_cache(maxsize=None)\n" + _def(MULTI_LINE, FASTER), "kept"),
    ("odd spacing", _def('def  batched(xs, size=64, *, scale=1.0, label="batch") :', FASTER), "kept"),
    ("a tab after def", _def('def\tbatched(xs, size=64, *, scale=1.0, label="batch"):', FASTER), "kept"),
    ("same header, faster body", _def(HEADER, FASTER), "kept"),
    (
        "annotations added",
        _def(
            'def batched(xs: list[float], size: int = 64, *, scale: float = 1.0, label: str = "batch") -> list:', FASTER
        ),
        "kept",
    ),
    ("positional default changed", _def('def batched(xs, size=128, *, scale=1.0, label="batch"):', FASTER), "refused"),
    (
        "positional default of another type",
        _def('def batched(xs, size=64.0, *, scale=1.0, label="batch"):', FASTER),
        "refused",
    ),
    ("keyword-only default changed", _def('def batched(xs, size=64, *, scale=2.0, label="batch"):', FASTER), "refused"),
    ("string default changed", _def('def batched(xs, size=64, *, scale=1.0, label="chunk"):', FASTER), "refused"),
    ("default dropped", _def('def batched(xs, size, *, scale=1.0, label="batch"):', FASTER), "refused"),
    ("keyword-only default dropped", _def('def batched(xs, size=64, *, scale, label="batch"):', FASTER), "refused"),
    ("default added", _def('def batched(xs=(), size=64, *, scale=1.0, label="batch"):', FASTER), "refused"),
    ("keyword-only made positional", _def('def batched(xs, size=64, scale=1.0, label="batch"):', FASTER), "refused"),
    (
        "parameter renamed",
        _def('def batched(values, size=64, *, scale=1.0, label="batch"):', FASTER.replace("xs", "values")),
        "refused",
    ),
    ("*args added", _def('def batched(xs, size=64, *args, scale=1.0, label="batch"):', FASTER), "refused"),
    ("**kwargs added", _def('def batched(xs, size=64, *, scale=1.0, label="batch", **kw):', FASTER), "refused"),
    ("positional-only marker", _def('def batched(xs, /, size=64, *, scale=1.0, label="batch"):', FASTER), "refused"),
    ("made async", _def('async def batched(xs, size=64, *, scale=1.0, label="batch"):', FASTER), "refused"),
]

CONSTANTS = [
    # (id, old text in the body, new text): each only tunes a constant (the same bytecode, another
    # value in the same slot of the constants), so it is a candidate
    ("int", "limit = 1000", "limit = 5000"),
    ("int to float", "limit = 1000", "limit = 1000.0"),
    ("int to bool", "limit = 1000", "limit = True"),
    ("string", 'sep = ", "', 'sep = "; "'),
    ("shared constant", "total = 0", "total = 1"),
]

SAME = [
    # (id, candidate): the original written differently, never a candidate
    ("docstring dropped", _def(HEADER, BODY)),
    ("locals renamed", _def(HEADER, BODY.replace("step", "n").replace("total", "count"))),
    ("comment and layout", _def(HEADER, BODY.replace("    out = []\n", "    out = [ ]  # parts\n\n"))),
]


@pytest.mark.parametrize(("candidate", "outcome"), [c[1:] for c in SIGNATURES], ids=[c[0] for c in SIGNATURES])
def test_signature_changes(candidate: str, outcome: str) -> None:
    found = _run(candidate)
    if outcome == "refused":
        assert found == [], candidate
    else:
        assert len(found) == 1
        code = found[0].files[0].code
        assert HEADER in code  # the client's header, whatever the candidate wrote
        assert "total = len(xs)" in code


@pytest.mark.parametrize(("old", "new"), [c[1:] for c in CONSTANTS], ids=[c[0] for c in CONSTANTS])
def test_a_candidate_that_only_tunes_a_constant_is_kept(old: str, new: str) -> None:
    assert old in BODY
    tuned = _def(HEADER, BODY.replace(old, new))
    found = _run(tuned)
    assert len(found) == 1, tuned
    assert new.strip() in found[0].files[0].code
    # and it is not a duplicate of a faster candidate nor of another tuning
    both = _run(_def(HEADER, FASTER), tuned, _def(HEADER, BODY.replace(old, new)))
    assert len(both) == 2


@pytest.mark.parametrize("candidate", [c[1] for c in SAME], ids=[c[0] for c in SAME])
def test_the_original_written_differently_is_dropped(candidate: str) -> None:
    assert _run(candidate) == []


def test_a_module_constant_tuned_is_a_candidate() -> None:
    answer = "CHUNK = 128\n\n\n" + _def(HEADER)
    found = _run(answer)
    assert len(found) == 1 and "CHUNK = 128" in found[0].files[0].code


def _function_returning(expr: ast.expr) -> ast.FunctionDef:
    node = ast.parse("def f():\n    return 0\n").body[0]
    assert isinstance(node, ast.FunctionDef) and isinstance(node.body[0], ast.Return)
    node.body[0].value = expr
    return ast.fix_missing_locations(node)


@pytest.mark.parametrize(
    "definition",
    [
        ast.parse("def f():\n    break\n").body[0],  # SyntaxError at compile time only
        ast.parse("def f(x):\n    return " + "not " * 2000 + "x\n").body[0],  # RecursionError
        _function_returning(ast.Name(id="None", ctx=ast.Load())),  # ValueError
        _function_returning(ast.Constant(value=[1])),  # TypeError
    ],
    ids=["syntax", "recursion", "value", "type"],
)
def test_a_definition_that_does_not_compile_has_no_key(definition: ast.stmt) -> None:
    assert isinstance(definition, ast.FunctionDef)
    assert function_code_key(definition) is None


def test_the_key_ignores_the_docstring_and_keeps_the_decorators_apart() -> None:
    plain, documented = (
        ast.parse(src).body[0] for src in ("def f(x):\n    return x\n", 'def f(x):\n    """Doc."""\n    return x\n')
    )
    assert isinstance(plain, ast.FunctionDef) and isinstance(documented, ast.FunctionDef)
    assert function_code_key(plain) == function_code_key(documented) is not None
    assert documented.body[0].value.value == "Doc."  # type: ignore[attr-defined]  # the tree itself is left alone
    only_doc = ast.parse('def f(x):\n    """Doc."""\n').body[0]
    assert isinstance(only_doc, ast.FunctionDef)
    assert function_code_key(only_doc) == function_code_key(ast.parse("def f(x):\n    pass\n").body[0])  # type: ignore[arg-type]
    cached = ast.parse("@functools.cache\ndef f(x):\n    return x\n").body[0]
    assert decorators_key(cached) != decorators_key(plain) == ""


def test_a_method_header_is_put_back_at_its_indentation() -> None:
    original = (CodeFile("pkg/geo.py", "class Vec:\n    def length(self) -> float:\n        return 0.0\n"),)
    answer = "```python:pkg/geo.py\nclass Vec:\n    def length(self) -> float | int:\n        return 0\n```"
    found = _clean(original, [answer], "Vec.length")
    assert [f.code for f in found[0].files] == ["class Vec:\n    def length(self) -> float:\n        return 0\n"]


def test_an_async_header_is_put_back_whole() -> None:
    original = (CodeFile("pkg/io.py", "async def fetch(url):\n    return await get(url, retries=1)\n"),)
    answer = "```python:pkg/io.py\nasync def fetch(url: str) -> bytes:\n    return await get(url, retries=2)\n```"
    found = _clean(original, [answer], "fetch")
    assert [f.code for f in found[0].files] == ["async def fetch(url):\n    return await get(url, retries=2)\n"]


@pytest.mark.parametrize(
    ("candidate", "original", "expected"),
    [
        # a one-line definition keeps its body on the header's line
        ("def f(x: int) -> int: return x + 1\n", "def f(x):\n    return x\n", "def f(x): return x + 1\n"),
        # a comment after the header stays where it was
        (
            "def f(x: int):  # faster\n    return x\n",
            "def f(x):\n    return x\n",
            "def f(x):  # faster\n    return x\n",
        ),
        (
            "@cache\ndef f(x: int):  # faster\n    return x\n",
            "@cache\ndef f(x):\n    return x\n",
            "@cache\ndef f(x):  # faster\n    return x\n",
        ),
        # an original whose header cannot be found (cut off in its parameters): the candidate as it is
        ("def f(x: int):\n    return x\n", "def f(x,\n", "def f(x: int):\n    return x\n"),
    ],
    ids=["one-line body", "comment after the colon", "decorated", "no original header"],
)
def test_the_original_header_is_put_back_exactly(candidate: str, original: str, expected: str) -> None:
    assert restore_header(candidate, original) == expected
