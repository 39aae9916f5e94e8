"""Loading plugins: builtins first, then the ``codeflash_engine`` entry points, each in isolation.

A plugin that fails to import, fails to register, or declares hooks the engine does not know is
skipped and reported (``codeflash-engine plugins list``, ``GET /healthcheck``, the log), unless
strict loading is asked for, in which case :class:`PluginLoadError` stops start-up.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Iterable, Sequence
from importlib.metadata import Distribution, EntryPoint, entry_points
from typing import Any

import attrs
import pluggy

from codeflash_engine.plugins import hookspecs
from codeflash_engine.plugins.types import LanguageSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME

#: modules of the core registered exactly like external plugins (their hooks are ``trylast``)
BUILTIN_PLUGINS: tuple[str, ...] = ("codeflash_engine.plugins.builtin",)


class PluginLoadError(RuntimeError):
    """Raised in strict mode when a plugin cannot be loaded."""


@attrs.frozen
class PluginInfo:
    """What the engine knows about one plugin, loaded or not."""

    name: str
    distribution: str | None
    version: str | None
    module: str | None
    builtin: bool
    hooks: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=False) | {"hooks": list(self.hooks), "languages": list(self.languages)}


def _short_error(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


class PluginHost:
    """The pluggy PluginManager with isolation, allow/block lists, and a record of every plugin."""

    def __init__(
        self,
        *,
        allow: Sequence[str] | None = None,
        block: Iterable[str] = (),
        strict: bool = False,
        builtins: Sequence[str] = BUILTIN_PLUGINS,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self._allow = None if allow is None else frozenset(allow)
        self._block = frozenset(block)
        self._strict = strict
        self._builtins = tuple(builtins)
        self._infos: dict[str, PluginInfo] = {}
        self.languages: dict[str, LanguageSpec] = {}
        self.language_owner: dict[str, str] = {}

    @property
    def hook(self) -> Any:
        return self.pm.hook

    # ------------------------------------------------------------------ loading
    def load(self, eps: Iterable[EntryPoint] | None = None) -> None:
        """Register the builtins, then every entry point of the group, then collect languages."""
        for module_name in self._builtins:
            self._load_one(module_name, lambda m=module_name: importlib.import_module(m), None, builtin=True)
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name) if eps is None else eps:
            if ep.name in self._infos:
                continue
            if ep.name in self._block or (self._allow is not None and ep.name not in self._allow):
                log.info("plugin %s not loaded: excluded by configuration", ep.name)
                continue
            self._load_one(ep.name, ep.load, ep.dist, builtin=False, module=ep.value)
        self._collect_languages()

    def register(self, plugin: object, name: str) -> None:
        """Register an in-process plugin object (tests, embedding applications)."""
        self._load_one(name, lambda: plugin, None, builtin=False)
        self._collect_languages()

    def _load_one(
        self,
        name: str,
        load: Any,
        dist: Distribution | None,
        *,
        builtin: bool,
        module: str | None = None,
    ) -> None:
        dist_name = dist.metadata["Name"] if dist is not None else ("codeflash-engine" if builtin else None)
        version = dist.version if dist is not None else None
        if builtin:
            from codeflash_engine import __version__

            version = __version__
        try:
            plugin = load()
            self.pm.register(plugin, name=name)
            try:
                self.pm.check_pending()
            except pluggy.PluginValidationError:
                self.pm.unregister(name=name)
                raise
        except Exception as exc:
            error = _short_error(exc)
            self._infos[name] = PluginInfo(name, dist_name, version, module, builtin, error=error)
            if self._strict or builtin:  # a broken builtin is a bug of the engine, never skipped
                raise PluginLoadError(f"plugin {name!r} failed to load: {error}") from exc
            log.error("plugin %s skipped: %s", name, error)
            return
        module_name = module or getattr(plugin, "__name__", type(plugin).__name__)
        hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
        self._infos[name] = PluginInfo(name, dist_name, version, module_name, builtin, hooks=hooks)

    def _collect_languages(self) -> None:
        self.languages.clear()
        self.language_owner.clear()
        for impl in self.pm.hook.register_languages.get_hookimpls():  # registration order
            owner = impl.plugin_name
            specs: list[LanguageSpec] = []
            try:
                impl.function(register=specs.append)
                problems = [self._claim(spec, owner) for spec in specs]
            except Exception as exc:
                problems = [f"register_languages failed: {_short_error(exc)}"]
            info = self._infos[owner]
            claimed = tuple(s.name for s in specs if self.language_owner.get(s.name) == owner)
            error = "; ".join(p for p in problems if p) or None
            if error:
                log.error("plugin %s: %s", owner, error)
                if self._strict:
                    raise PluginLoadError(f"plugin {owner!r}: {error}")
            self._infos[owner] = attrs.evolve(info, languages=claimed, error=error or info.error)

    def _claim(self, spec: LanguageSpec, owner: str) -> str | None:
        taken = [n for n in spec.names if n.lower() in self.languages]
        if taken:
            other = self.language_owner[self.languages[taken[0].lower()].name]
            return f"language {spec.name!r}: {taken[0]!r} is already provided by plugin {other!r}"
        for alias in spec.names:
            self.languages[alias.lower()] = spec
        self.language_owner[spec.name] = owner
        return None

    # ------------------------------------------------------------------ reporting
    def plugins(self, *, include_builtin: bool = True) -> list[PluginInfo]:
        """Every plugin seen, loaded or failed, in load order."""
        return [i for i in self._infos.values() if include_builtin or not i.builtin]

    def errors(self) -> dict[str, str]:
        """Plugin name -> load error, for the plugins that failed."""
        return {i.name: i.error for i in self._infos.values() if i.error}
