"""Checks of what the Codeflash CLI (0.20.6) reads from our answers, written from the contract.

Use them in tests of the engine and of plugins: a 200 that fails one of these would crash the
client or make it drop the candidate.
"""

from __future__ import annotations

import re
from typing import Any

#: the client's reading of the multi-file markdown (contract 2.1): a tag of word characters,
#: an optional ``:path`` to the end of the line, the code up to the first newline + three backticks
CLIENT_BLOCK = re.compile(r"```(\w+)(?::([^\n]+))?\n(.*?)\n```", re.DOTALL)


def client_blocks(markdown: str) -> list[tuple[str, str | None, str]]:
    """(tag, path, code) of every block the client would find."""
    return [(m.group(1), (m.group(2) or "").strip() or None, m.group(3)) for m in CLIENT_BLOCK.finditer(markdown)]


def check_candidate(candidate: Any, *, parent_id: str | None = None, python: bool = True) -> None:
    """Raise AssertionError unless ``candidate`` is one the client keeps (contract 2.2)."""
    assert isinstance(candidate, dict), candidate
    assert isinstance(candidate.get("source_code"), str), "source_code must be a string"
    assert isinstance(candidate.get("explanation"), str), "explanation must be a string"
    assert isinstance(candidate.get("optimization_id"), str) and candidate["optimization_id"], "optimization_id"
    assert candidate.get("parent_id") is None or isinstance(candidate["parent_id"], str)
    assert candidate.get("model") is None or isinstance(candidate["model"], str)
    if parent_id is not None:
        assert candidate["parent_id"] == parent_id, (candidate["parent_id"], parent_id)
    blocks = client_blocks(candidate["source_code"])
    assert blocks, f"no block the client can read in {candidate['source_code']!r}"
    for tag, _path, code in blocks:
        if python and tag in ("python", "py"):
            compile(code, "<candidate>", "exec")


def check_candidates(candidates: Any, *, empty_ok: bool = False, **kwargs: Any) -> None:
    """At least one candidate (unless ``empty_ok``: the test expects none), every candidate valid,
    and optimization ids unique. A check that passed on an empty list would pass on nothing."""
    assert isinstance(candidates, list), f"candidates must be a list, not {type(candidates).__name__}"
    assert candidates or empty_ok, "no candidates (pass empty_ok=True where none are expected)"
    for candidate in candidates:
        check_candidate(candidate, **kwargs)
    ids = [c["optimization_id"] for c in candidates]
    assert len(ids) == len(set(ids)), "optimization ids must be unique"
