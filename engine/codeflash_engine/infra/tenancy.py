"""The request's plan as the lower layers see it: its model mix and its privacy mode (issue 17).

The guards put the model mix of the caller's plan (``provider:model=weight,...``, as in
CODEFLASH_ENGINE_MODELS) in :data:`plan_models_var`; the LLM client then uses it instead of its
own mix, kept to the providers it has (a plan naming only providers the engine lacks, or a mix
that does not parse, falls back to the engine's mix, with a warning once).

Privacy mode (an organization's): the guards set :data:`privacy_var`. Then no source or test
code is kept: the stores keep numbers and ids only of ``/ai/log_features``
(:func:`private_features`), the recorder strips the message and stack of error records, and
every log line written in the request's context (any level, any logger) has its arguments that
are not plain tokens (ids, names, numbers) and its exception text withheld
(:func:`install_private_logging`).
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codeflash_engine.infra.llm.mix import ModelMix

log = logging.getLogger(__name__)

#: the caller's organization is in privacy mode: no code is stored or logged for this request
privacy_var: contextvars.ContextVar[bool] = contextvars.ContextVar("privacy", default=False)

#: a value fit for a private log line or feature row: a token without spaces (an id, a name, a path)
_TOKEN = re.compile(r"[\w.:/@+\-]{0,100}")
WITHHELD = "<withheld: privacy mode>"


def is_token(value: str) -> bool:
    """Whether ``value`` is a plain token (no spaces, brackets or operators): no code can hide in it."""
    return _TOKEN.fullmatch(value) is not None


def numbers_and_ids(value: Any) -> Any:
    """``value`` with every string that is not a plain token dropped (dicts and lists kept, filtered)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if is_token(value) else None
    if isinstance(value, Mapping):
        kept = {str(k): numbers_and_ids(v) for k, v in value.items() if is_token(str(k))}
        return {k: v for k, v in kept.items() if v is not None or value.get(k) is None}
    if isinstance(value, list | tuple):
        return [v for v in (numbers_and_ids(item) for item in value) if v is not None]
    return None


#: /ai/log_features fields that hold code or text about it: never kept in privacy mode
CODE_FEATURES = frozenset({"original_code", "optimizations_post", "optimized_line_profiler_results"})


def private_features(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A /ai/log_features body reduced to numbers and ids (privacy mode)."""
    return {name: numbers_and_ids(value) for name, value in payload.items() if name not in CODE_FEATURES}


def _private_arg(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and is_token(value):
        return value
    return WITHHELD


def _private_record(record: logging.LogRecord) -> None:
    if isinstance(record.args, Mapping):
        record.args = {k: _private_arg(v) for k, v in record.args.items()}
    elif record.args:
        record.args = tuple(_private_arg(a) for a in record.args)
    if record.exc_info and record.exc_info[0] is not None:
        record.msg = f"{record.msg} [{record.exc_info[0].__name__}: {WITHHELD}]"
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None


_installed = False


def install_private_logging() -> None:
    """Make every log record created in a privacy-mode request private (idempotent).

    Wraps the log record factory, so it holds for every logger and handler; outside privacy
    mode it costs one context-variable read per record.
    """
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if privacy_var.get():
            _private_record(record)
        return record

    logging.setLogRecordFactory(factory)


#: the model mix of the caller's plan (None: the engine's)
plan_models_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("plan_models", default=None)

_MIXES: dict[tuple[str, frozenset[str]], ModelMix | None] = {}


def request_mix(default: ModelMix, providers: Iterable[str]) -> ModelMix:
    """The mix of the current request's plan, kept to ``providers``; ``default`` when it has none."""
    text = plan_models_var.get()
    if text is None:
        return default
    key = (text, frozenset(providers))
    if key not in _MIXES:
        from codeflash_engine.infra.llm.errors import LLMConfigError
        from codeflash_engine.infra.llm.mix import ModelMix

        try:
            mix = ModelMix.parse(text).restricted_to(sorted(key[1]))
        except LLMConfigError as exc:
            log.warning("a plan's model mix %r cannot be used (%s): the engine's mix serves it", text, exc)
            mix = None
        else:
            if mix is None:
                log.warning("a plan's model mix %r names no configured provider: the engine's mix serves it", text)
        if len(_MIXES) > 1000:
            _MIXES.clear()
        _MIXES[key] = mix
    return _MIXES[key] or default
