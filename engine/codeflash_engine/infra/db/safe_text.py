"""Text that PostgreSQL accepts: its ``text`` and ``jsonb`` types refuse some strings.

PostgreSQL text cannot hold U+0000 (and jsonb refuses the ``\\u0000`` escape), and a lone UTF-16
surrogate (U+D800..U+DFFF, which JSON's ``\\ud800`` escape produces) cannot be encoded as UTF-8.
Everything a caller sent can reach the database (a ``trace_id``, a feature payload, an error
message quoting a request), so the store passes every string through :func:`pg_text` (or
:func:`pg_value` for JSON-shaped values) at its boundary: such characters become U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

#: the characters PostgreSQL text refuses or UTF-8 cannot encode
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def pg_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD (unchanged, same object, if safe)."""
    if _UNSAFE.search(value) is None:
        return value
    return _UNSAFE.sub(REPLACEMENT, value)


def pg_optional(value: str | None) -> str | None:
    """:func:`pg_text` that lets None through."""
    return None if value is None else pg_text(value)


def pg_value(value: Any) -> Any:
    """A JSON-shaped value (dicts, lists, strings, numbers) with every string, keys included, safe."""
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, dict):
        return {pg_value(k) if isinstance(k, str) else k: pg_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [pg_value(v) for v in value]
    return value
