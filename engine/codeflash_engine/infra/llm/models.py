"""The model table (``models.toml`` beside this module) and the cost of a call from its usage.

Costs are cache-aware: input tokens read from a provider's prompt cache and tokens written to it
are priced separately from the rest of the input. A model the table does not know costs zero,
and the log says so once per model.
"""

from __future__ import annotations

import functools
import logging
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

log = logging.getLogger(__name__)

PROVIDERS = ("openai", "azure", "anthropic", "bedrock")
_BEDROCK_REGION_PREFIX = re.compile(r"^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\.")
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


@attrs.frozen
class Usage:
    """Tokens of one call, normalised across providers.

    ``input_tokens`` counts every input token, cached or not (OpenAI's ``prompt_tokens``;
    Anthropic's ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``).
    ``cache_read_tokens`` and ``cache_write_tokens`` are the parts of it served from and
    written to the prompt cache.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens billed at the plain input price."""
        return max(0, self.input_tokens - self.cache_read_tokens - self.cache_write_tokens)

    def __bool__(self) -> bool:
        return bool(self.input_tokens or self.output_tokens or self.cache_read_tokens or self.cache_write_tokens)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )


@attrs.frozen
class ModelInfo:
    """One row of the model table. Prices are USD per million tokens."""

    provider: str
    id: str
    context_window: int
    max_output: int
    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None
    temperature: bool = True
    aliases: tuple[str, ...] = ()
    #: several choices per request (OpenAI's ``n``), the prompt billed once for all of them
    choices: bool = False

    def cost(self, usage: Usage) -> float:
        """USD for ``usage``; cache reads and writes without a price of their own cost as input."""
        cache_read = self.input if self.cache_read is None else self.cache_read
        cache_write = self.input if self.cache_write is None else self.cache_write
        micro = (
            usage.uncached_input_tokens * self.input
            + usage.cache_read_tokens * cache_read
            + usage.cache_write_tokens * cache_write
            + usage.output_tokens * self.output
        )
        return micro / 1_000_000


def _row(entry: Mapping[str, Any]) -> ModelInfo:
    provider = entry["provider"]
    if provider not in PROVIDERS:
        raise ValueError(f"model table: unknown provider {provider!r} for {entry.get('id')!r}")
    return ModelInfo(
        provider=provider,
        id=str(entry["id"]),
        context_window=int(entry["context_window"]),
        max_output=int(entry.get("max_output", 8192)),
        input=float(entry["input"]),
        output=float(entry["output"]),
        cache_read=None if entry.get("cache_read") is None else float(entry["cache_read"]),
        cache_write=None if entry.get("cache_write") is None else float(entry["cache_write"]),
        temperature=bool(entry.get("temperature", True)),
        aliases=tuple(str(a) for a in entry.get("aliases", ())),
        choices=bool(entry.get("choices", False)),
    )


class ModelTable:
    """Lookup of :class:`ModelInfo` by provider and model id (or alias), and costing."""

    def __init__(self, models: Iterable[ModelInfo]) -> None:
        self._rows: dict[tuple[str, str], ModelInfo] = {}
        for info in models:
            for name in (info.id, *info.aliases):
                self._rows[(info.provider, name)] = info
        self._unknown_logged: set[tuple[str, str]] = set()

    @classmethod
    def load(cls, path: str | Path | None = None) -> ModelTable:
        """The table from ``path``, or the engine's own ``models.toml``."""
        if path is None:
            text = resources.files(__package__).joinpath("models.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        return cls(_row(entry) for entry in data.get("model", ()))

    @classmethod
    def default(cls) -> ModelTable:
        """The engine's own table, loaded once per process (the unknown-model log is shared too)."""
        return _default_table()

    def __len__(self) -> int:
        return len({id(info) for info in self._rows.values()})

    def __iter__(self) -> Iterator[ModelInfo]:
        seen: dict[int, ModelInfo] = {}
        for info in self._rows.values():
            seen.setdefault(id(info), info)
        return iter(seen.values())

    def lookup(self, provider: str, model: str) -> ModelInfo | None:
        """The row for ``model`` at ``provider``, trying the usual spellings; None when unknown.

        Azure deployments fall back to the OpenAI model of the same name; Bedrock ids lose their
        cross-region prefix (``us.``, ``global.``, ...); dated snapshots (``-2025-04-14``,
        ``-20250929``) fall back to the undated id.
        """
        providers = [provider]
        if provider == "azure":
            providers.append("openai")
        names = [model]
        if provider == "bedrock":
            stripped = _BEDROCK_REGION_PREFIX.sub("", model)
            if stripped != model:
                names.append(stripped)
        undated = _DATE_SUFFIX.sub("", model)
        if undated != model:
            names.append(undated)
        for prov in providers:
            for name in names:
                info = self._rows.get((prov, name))
                if info is not None:
                    return info
        return None

    def cost(self, provider: str, model: str, usage: Usage, *, served_model: str | None = None) -> float:
        """USD for a call of ``model`` (or the model the provider says served it); 0 if unknown."""
        info = self.lookup(provider, model)
        if info is None and served_model and served_model != model:
            info = self.lookup(provider, served_model)
        if info is None:
            key = (provider, model)
            if key not in self._unknown_logged:
                self._unknown_logged.add(key)
                log.warning(
                    "model %s:%s is not in the model table; its calls are recorded at cost 0",
                    provider,
                    model,
                    extra={"provider": provider, "model": model},
                )
            return 0.0
        return info.cost(usage)


@functools.cache
def _default_table() -> ModelTable:
    return ModelTable.load()
