"""The request's plan as the lower layers see it: its model mix (issue 17).

The guards put the model mix of the caller's plan (``provider:model=weight,...``, as in
CODEFLASH_ENGINE_MODELS) in :data:`plan_models_var`; the LLM client then uses it instead of its
own mix, kept to the providers it has (a plan naming only providers the engine lacks, or a mix
that does not parse, falls back to the engine's mix, with a warning once).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterable

from codeflash_engine.infra.llm.errors import LLMConfigError
from codeflash_engine.infra.llm.mix import ModelMix

log = logging.getLogger(__name__)

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
