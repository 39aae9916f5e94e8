"""Verified wins: optimizations the client reported correct and faster, kept per tenant (issue 22).

A win is found again by the words of its code's identifiers (``sortList`` and ``sort_list`` both
give ``sort`` and ``list``) and of its explanation: PostgreSQL ranks them with full-text search
(``ts_rank`` over a GIN-indexed ``tsvector``), the in-memory store counts the query's words a win
holds. Both break ties the same way: the larger speedup, then the older win.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

#: words of at most this many characters are left out of the search (``i``, ``x``, ``np``)
MIN_WORD = 3
#: words too common in code to tell two functions apart
COMMON_WORDS = frozenset(
    (
        "and",
        "any",
        "are",
        "def",
        "else",
        "elif",
        "false",
        "for",
        "from",
        "import",
        "in",
        "not",
        "none",
        "null",
        "return",
        "self",
        "the",
        "this",
        "true",
        "try",
        "var",
        "let",
        "const",
        "function",
        "class",
        "async",
        "await",
        "with",
        "while",
        "int",
        "str",
        "float",
        "bool",
        "list",
        "dict",
        "set",
        "tuple",
        "new",
        "public",
        "private",
        "static",
        "void",
        "final",
        "value",
        "values",
        "result",
        "results",
        "item",
        "items",
        "data",
        "len",
        "range",
        "print",
    )
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(text: str) -> list[str]:
    """The distinct search words of ``text``, sorted: identifiers split at underscores and case
    changes, lower-cased, without short and common words."""
    found: set[str] = set()
    for identifier in _IDENTIFIER.findall(text):
        for part in identifier.split("_"):
            for word in _CAMEL.findall(part):
                lowered = word.lower()
                if len(lowered) >= MIN_WORD and not lowered.isdigit() and lowered not in COMMON_WORDS:
                    found.add(lowered)
    return sorted(found)


def tenant_of(user_id: str | None, organization_id: int | None) -> str | None:
    """The tenant a win belongs to: the organization, else the user (None: nobody)."""
    if organization_id is not None:
        return f"org:{organization_id}"
    return f"user:{user_id}" if user_id else None


@attrs.frozen
class VerifiedWin:
    """One win: the original and optimized code (contract markdown), the speedup as a gain (0.25:
    25 % faster), the candidate's explanation and the search words of the original and the
    explanation (computed once, when the win is made)."""

    tenant: str
    trace_id: str
    optimization_id: str
    original: str
    optimized: str
    speedup: float
    explanation: str = ""
    terms: str = ""

    @classmethod
    def of(
        cls,
        *,
        tenant: str,
        trace_id: str,
        optimization_id: str,
        original: str,
        optimized: str,
        speedup: float,
        explanation: str = "",
    ) -> VerifiedWin:
        return cls(
            tenant,
            trace_id,
            optimization_id,
            original,
            optimized,
            speedup,
            explanation,
            " ".join(words(f"{original}\n{explanation}")),
        )


def rank_in_memory(wins: Iterable[tuple[int, VerifiedWin]], query: Iterable[str], limit: int) -> list[VerifiedWin]:
    """The in-memory store's search: wins holding at least one query word, most words first, then
    the larger speedup, then the older (lower id)."""
    wanted = set(query)
    scored = []
    for ident, win in wins:
        held = set(win.terms.split())
        score = len(wanted & held)
        if score:
            scored.append((-score, -win.speedup, ident, win))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]
