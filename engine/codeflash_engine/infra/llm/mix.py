"""The model mix: which models answer a request's candidates, and in what proportion.

``CODEFLASH_ENGINE_MODELS`` is a comma-separated list of ``provider:model=weight`` entries, for
example ``openai:gpt-5-mini=3,anthropic:claude-sonnet-4-6=2``; the weight defaults to 1. A request
for ``n`` candidates gives each entry ``n * weight / total`` of them, rounded by the largest
remainder method (ties go to the earlier entry), so the split is deterministic and always sums to
``n``. Providers: ``openai`` (also any OpenAI-compatible server, through ``OPENAI_BASE_URL``),
``azure`` (the model is the deployment name), ``anthropic`` and ``bedrock`` (a Bedrock model id
or inference profile, e.g. ``us.anthropic.claude-sonnet-4-5-20250929-v1:0``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction

import attrs

from codeflash_engine.infra.llm.errors import LLMConfigError
from codeflash_engine.infra.llm.models import PROVIDERS


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen
class ModelChoice:
    """One model of a mix: its provider, its id (or Azure deployment) and its weight."""

    provider: str
    model: str
    weight: float = attrs.field(default=1.0, converter=float, validator=_positive)

    @property
    def key(self) -> str:
        """``provider:model``, the name used in logs, records and health tracking."""
        return f"{self.provider}:{self.model}"

    def __str__(self) -> str:
        weight = int(self.weight) if float(self.weight).is_integer() else self.weight
        return f"{self.key}={weight}"


@attrs.frozen
class ModelMix:
    """An ordered list of weighted models (at least one, no duplicates)."""

    entries: tuple[ModelChoice, ...]

    def __attrs_post_init__(self) -> None:
        if not self.entries:
            raise LLMConfigError("the model mix is empty")
        keys = [e.key for e in self.entries]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise LLMConfigError(f"the model mix names {', '.join(dupes)} more than once")

    @classmethod
    def of(cls, *entries: ModelChoice) -> ModelMix:
        """A mix of the given choices, in order."""
        return cls(tuple(entries))

    @classmethod
    def parse(cls, text: str) -> ModelMix:
        """Parse ``provider:model=weight,...`` (the format of ``CODEFLASH_ENGINE_MODELS``)."""
        entries = []
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            provider, sep, rest = item.partition(":")
            provider = provider.strip().lower()
            if not sep or not rest.strip():
                raise LLMConfigError(
                    f"CODEFLASH_ENGINE_MODELS: {item!r} is not provider:model=weight "
                    "(for example openai:gpt-5-mini=3,anthropic:claude-sonnet-4-6=2)"
                )
            if provider not in PROVIDERS:
                raise LLMConfigError(
                    f"CODEFLASH_ENGINE_MODELS: unknown provider {provider!r} in {item!r}; "
                    f"use one of {', '.join(PROVIDERS)} (an OpenAI-compatible server is 'openai' "
                    "with OPENAI_BASE_URL)"
                )
            model, weight = rest.strip(), 1.0
            head, eq, tail = model.rpartition("=")
            if eq:
                try:
                    weight = float(tail)
                except ValueError:
                    raise LLMConfigError(f"CODEFLASH_ENGINE_MODELS: the weight of {item!r} is not a number") from None
                model = head.strip()
                if not weight > 0:
                    raise LLMConfigError(f"CODEFLASH_ENGINE_MODELS: the weight of {item!r} must be positive")
            if not model:
                raise LLMConfigError(f"CODEFLASH_ENGINE_MODELS: {item!r} names no model")
            entries.append(ModelChoice(provider, model, weight))
        if not entries:
            raise LLMConfigError("CODEFLASH_ENGINE_MODELS is set but names no model")
        return cls(tuple(entries))

    def __str__(self) -> str:
        return ",".join(str(e) for e in self.entries)

    def __iter__(self) -> Iterator[ModelChoice]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def providers(self) -> frozenset[str]:
        """The providers the mix uses."""
        return frozenset(e.provider for e in self.entries)

    @property
    def first(self) -> ModelChoice:
        """The first entry: the model for single calls when the caller names none."""
        return self.entries[0]

    def split(self, n: int) -> list[int]:
        """How many of ``n`` calls each entry gets (largest remainder; ties to the earlier entry)."""
        if n < 0:
            raise ValueError("n must not be negative")
        weights = [Fraction(e.weight).limit_denominator(10**6) for e in self.entries]
        total = sum(weights)
        quotas = [n * w / total for w in weights]
        counts = [int(q) for q in quotas]  # floor: quotas are non-negative
        left = n - sum(counts)
        by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - counts[i]), i))
        for i in by_remainder[:left]:
            counts[i] += 1
        return counts

    def assign(self, n: int) -> list[ModelChoice]:
        """The model of each of ``n`` calls, grouped in entry order (``split`` decides the sizes)."""
        out: list[ModelChoice] = []
        for entry, count in zip(self.entries, self.split(n), strict=True):
            out.extend([entry] * count)
        return out

    def fallbacks(self, choice: ModelChoice) -> list[ModelChoice]:
        """The other entries, starting after ``choice`` and wrapping around (the fallback order)."""
        keys = [e.key for e in self.entries]
        if choice.key not in keys:
            return list(self.entries)
        i = keys.index(choice.key)
        return list(self.entries[i + 1 :] + self.entries[:i])

    def restricted_to(self, providers: Sequence[str]) -> ModelMix | None:
        """The entries whose provider is in ``providers`` (None if none is)."""
        kept = tuple(e for e in self.entries if e.provider in providers)
        return ModelMix(kept) if kept else None
