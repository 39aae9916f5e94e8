"""The language registry: a request's language (or an alias, or a fence tag) -> its LanguageSpec."""

from __future__ import annotations

import asyncio
import re

from codeflash_engine.errors import UnsupportedLanguage
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import LanguageSpec

#: for tasks that need no language plugin (ranking, explaining): the core prompts serve it
ANY_LANGUAGE = LanguageSpec(name="code")

_FENCE_TAG = re.compile(r"^```(\w+)(?::([^\n]*))?$", re.MULTILINE)
_FLAT_HEADER = re.compile(r"^(\S+) file: (\S[^\n]*)$", re.MULTILINE)
_DIFF_HEADER = re.compile(r"^(?:\+\+\+|---) (?:[ab]/)?(\S+)", re.MULTILINE)


class LanguageRegistry:
    """Resolves language names against what the loaded plugins registered."""

    def __init__(self, host: PluginHost) -> None:
        self._host = host

    def names(self) -> list[str]:
        """Canonical names of every language provided, sorted."""
        return sorted({spec.name for spec in self._host.languages.values()})

    def get(self, name: str | None) -> LanguageSpec | None:
        if not name:
            return None
        return self._host.languages.get(name.strip().lower())

    def resolve(self, name: str | None) -> LanguageSpec:
        """The spec for ``name`` (canonical or alias); :class:`UnsupportedLanguage` (422) if none."""
        spec = self.get(name)
        if spec is None:
            provided = ", ".join(self.names()) or "none"
            raise UnsupportedLanguage(
                f"language {name!r} is not supported by this engine (languages provided: {provided}); "
                "install the plugin that provides it"
            )
        return spec

    def by_extension(self, path: str) -> LanguageSpec | None:
        lowered = path.strip().lower()
        best: LanguageSpec | None = None
        best_len = 0
        for spec in self._host.languages.values():
            for ext in spec.extensions:
                if lowered.endswith(ext.lower()) and len(ext) > best_len:
                    best, best_len = spec, len(ext)
        return best

    async def detect_off_loop(self, *texts: str, default: LanguageSpec | str) -> LanguageSpec:
        """The language ``texts`` show (:meth:`detect`), else ``default``: a spec as it is, or a
        language's name, resolved only then (:class:`UnsupportedLanguage`, 422, when no plugin
        provides it; code that shows its language needs no default).

        For code that arrives without a ``language`` field. The scan runs in a worker thread:
        detection reads every text up to three times with regular expressions, and request-sized
        code (32 ranked diffs of 1 MiB: ~0.9 s) would hold the event loop, every other request
        waiting meanwhile.
        """
        found = await asyncio.to_thread(self.detect, *texts)
        if found is not None:
            return found
        return default if isinstance(default, LanguageSpec) else self.resolve(default)

    def detect(self, *texts: str) -> LanguageSpec | None:
        """The language ``texts`` show, or None: markdown fence tags and paths first, then the
        ``<comment> file: <path>`` headers of the flat form (by file extension, then by comment
        prefix), then the file names of unified-diff headers."""
        for text in texts:
            for match in _FENCE_TAG.finditer(text or ""):
                spec = self.get(match.group(1))
                path = (match.group(2) or "").strip()
                if path and (by_path := self.by_extension(path)) is not None:
                    return by_path
                if spec is not None:
                    return spec
        for text in texts:
            for match in _FLAT_HEADER.finditer(text or ""):
                prefix, path = match.group(1), match.group(2)
                if (by_path := self.by_extension(path)) is not None:
                    return by_path
                for spec in self._host.languages.values():
                    if spec.comment_prefix == prefix:
                        return spec
        for text in texts:
            for match in _DIFF_HEADER.finditer(text or ""):
                if (by_path := self.by_extension(match.group(1))) is not None:
                    return by_path
        return None
