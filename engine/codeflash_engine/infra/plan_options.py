"""A plan's options as operators type them (``plans set``, the dashboard's plan form): rate limits
such as ``40/60s``, quotas, budgets in USD, model mixes; ``none``/``default``/``unlimited`` clear a
field. A text that cannot be read raises :class:`OptionError`, naming the option and the fix."""

from __future__ import annotations

import math
import re

from codeflash_engine.infra.db.types import Plan
from codeflash_engine.infra.llm.errors import LLMConfigError
from codeflash_engine.infra.llm.mix import ModelMix


class OptionError(ValueError):
    """An option's text that cannot be read; ``option`` names it (``--quota``), when known."""

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.option = option


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*(ms|s|m|h|d)?\s*$")
_WINDOW_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
#: the largest values the store's integer and bigint columns hold (rate_limit_max and
#: optimizations_limit; rate_limit_window_ms): larger ones are refused here, not by the database
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
#: option values that clear a field (back to the environment's rate limit, unlimited, the default mix)
CLEAR = ("none", "default", "unlimited")


def _number(digits: str) -> int | None:
    """``digits`` as an int; None when int() cannot read them (a digit such as ``²``, or more
    digits than Python converts)."""
    try:
        return int(digits)
    except ValueError:
        return None


def parse_rate_limit(text: str) -> tuple[int | None, int | None]:
    """``40/60s`` (requests per window: ms, s, m, h or d; seconds when no unit) as (max, window ms);
    ``default``: the environment's RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS."""
    if text.strip().lower() in CLEAR:
        return None, None
    found = _RATE.match(text)
    if found is not None:
        count, per = _number(found[1]), _number(found[2])
        if count is not None and per is not None:
            window = per * _WINDOW_MS[found[3] or "s"]
            if 1 <= count <= INT_MAX and 1 <= window <= BIGINT_MAX:
                return count, window
    raise OptionError(
        f"{text!r}: give requests per window, e.g. 40/60s, 600/1h, 5000/1d (or 'default')", option="--rate-limit"
    )


def parse_quota(text: str) -> int | None:
    if text.strip().lower() in CLEAR:
        return None
    digits = text.strip()
    limit = _number(digits) if digits.isdigit() else None  # isdigit: no sign, so never negative
    if limit is None or limit > INT_MAX:
        raise OptionError(f"{text!r}: a whole number of optimizations, or 'none'", option="--quota")
    return limit


def parse_budget(text: str) -> float | None:
    if text.strip().lower() in CLEAR:
        return None
    try:
        usd = float(text.strip().lstrip("$"))
    except ValueError:
        usd = -1.0
    if not (math.isfinite(usd) and 0 <= usd < 1e10):
        raise OptionError(f"{text!r}: an amount in USD such as 25 or 12.50, or 'none'", option="--budget")
    return usd


def parse_models(text: str) -> str | None:
    if text.strip().lower() in CLEAR:
        return None
    try:
        return str(ModelMix.parse(text))
    except LLMConfigError as exc:
        raise OptionError(str(exc).replace("CODEFLASH_ENGINE_MODELS", "--models"), option="--models") from None


def format_rate(plan: Plan) -> str:
    if plan.rate_limit_max is None or plan.rate_limit_window_ms is None:
        return "env"
    ms = plan.rate_limit_window_ms
    for unit in ("d", "h", "m", "s"):
        if ms % _WINDOW_MS[unit] == 0:
            return f"{plan.rate_limit_max}/{ms // _WINDOW_MS[unit]}{unit}"
    return f"{plan.rate_limit_max}/{ms}ms"
