"""Scrub credentials from text before it reaches a log line, a record or an error body.

Providers quote keys back in their error messages (OpenAI: ``Incorrect API key provided:
sk-pr****************abcd``), so any provider message the engine repeats goes through a
:class:`Redactor` first. It removes the configured secrets (whole, and their leading and trailing
fragments; of a URL, its password), masked key forms (anything with ``***`` in it), bearer tokens
and key-shaped words.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import SecretStr

from codeflash_engine.settings import Settings

REDACTED = "[redacted]"

_PATTERNS = (
    # masked keys as providers echo them: sk-pr****abcd, AKIA****WXYZ, ...
    re.compile(r"\S*\*{3,}\S*"),
    # bearer / basic credentials in quoted headers
    re.compile(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # key-shaped words: OpenAI/Anthropic style prefixes, AWS access key ids
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{6,}"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"),
    # key=value / "api-key": "value" pairs
    re.compile(r"(?i)((?:api[-_]?key|x-api-key|secret|token|signature|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]{4,}"),
)


def _replace(match: re.Match[str]) -> str:
    # a pattern with a group keeps group 1, a prefix ("Bearer ", "api_key=")
    return (match.group(1) if match.re.groups else "") + REDACTED


def _fragments(secret: str) -> list[str]:
    parts = [secret]
    if "://" in secret:
        # a URL (the database's): its password alone is the secret; its first and last characters
        # are a scheme and a database name (``postgres``), words any message may hold
        with contextlib.suppress(ValueError):
            password = urlsplit(secret).password
            if password and len(password) >= 4:
                parts.append(password)
        return parts
    if len(secret) >= 20:
        # a provider may echo the first or last few characters of a key; scrub those too
        parts += [secret[:8], secret[-6:]]
    return parts


class Redactor:
    """Callable that returns its argument with every secret it knows about replaced."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        fragments = {frag for secret in secrets if secret and len(secret) >= 4 for frag in _fragments(secret)}
        # longest first, so a whole key is replaced before its fragments
        ordered = sorted(fragments, key=len, reverse=True)
        self._secrets = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None

    @classmethod
    def from_settings(cls, settings: Settings, *, extra: Iterable[str] = ()) -> Redactor:
        """A redactor for every secret in the settings (provider keys, database URL, ...) and ``extra``."""
        return cls([*settings_secrets(settings), *extra])

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        for pattern in _PATTERNS:
            text = pattern.sub(_replace, text)
        return text


def settings_secrets(settings: Settings) -> list[str]:
    """The values of every secret setting (comma-separated key lists also key by key)."""
    secrets = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            raw = value.get_secret_value()
            if raw:
                secrets.append(raw)
                secrets.extend(part.strip() for part in raw.split(",") if part.strip())
    return secrets
