"""Loading plugins and calling their hooks, each plugin contained.

Loading: builtins first, then the ``codeflash_engine`` entry points, each in isolation. A plugin
that fails to import, fails to register, or declares hooks the engine does not know is skipped
and reported (``codeflash-engine plugins list``, ``GET /healthcheck``, the log), unless strict
loading is asked for, in which case :class:`PluginLoadError` stops start-up.

Calling: a language's hook goes to the plugin that registered the language, then (when that
plugin has no implementation or returns None) to the engine's builtin default; it is never
broadcast. An exception raised by a plugin's hook, or a hook that runs past its time limit,
becomes :class:`PluginFailed` (a 502 naming the plugin and the hook) for that request only (for
one answer only, when the candidates pipeline cleans a fan-out's answers one by one); the
failure is counted and kept for the health check. The pipelines' hook calls run in a worker
process of their plugin's own (:mod:`.lanes`, :mod:`.workers`), so a plugin that hangs or crashes
holds up only its own languages' calls, and a call that overruns the limit is stopped with its
process while the plugin's next calls get a new one.
"""

from __future__ import annotations

import collections
import contextvars
import functools
import gc
import importlib
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import Distribution, EntryPoint, entry_points
from typing import Any

import attrs
import pluggy

from codeflash_engine.errors import EngineError
from codeflash_engine.infra.logging import request_id_var, trace_id_var, user_id_var
from codeflash_engine.infra.records import organization_id_var
from codeflash_engine.plugins import hookspecs, lanes
from codeflash_engine.plugins.types import LanguageSpec
from codeflash_engine.plugins.workers import RemoteError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME

#: modules of the core registered exactly like external plugins (their hooks are ``trylast``)
BUILTIN_PLUGINS: tuple[str, ...] = ("codeflash_engine.plugins.builtin",)


#: the hooks called per language (``register_languages`` runs once, at load)
LANGUAGE_HOOKS = ("build_prompt", "validate", "postprocess_candidates", "postprocess_tests", "apply_diff")

#: how many recent run-time failures are kept per plugin
RECENT_FAILURES = 20


class PluginLoadError(RuntimeError):
    """Raised in strict mode when a plugin cannot be loaded."""


class PluginFailed(EngineError):
    """A plugin's hook raised or ran past its time limit: only its own language's request fails (502)."""

    status = 502

    def __init__(self, plugin: str, hook: str, language: str | None, problem: str) -> None:
        where = f" for language {language!r}" if language else ""
        super().__init__(
            f"language plugin {plugin!r} failed in hook {hook}{where}: {problem}; "
            "other languages are unaffected (the engine's log has the details)"
        )
        self.plugin = plugin
        self.hook = hook
        self.language = language
        self.problem = problem

    def __reduce__(self) -> tuple[Any, ...]:  # sent back from the plugin's worker process
        return (PluginFailed, (self.plugin, self.hook, self.language, self.problem))


@attrs.frozen
class HookFailure:
    """One run-time failure of a plugin's hook."""

    plugin: str
    hook: str
    language: str | None
    error: str
    at: float  #: time.time() of the failure

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


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


#: the request's context a plugin's worker process runs each call in (its log lines carry them)
CONTEXT_VARS: tuple[contextvars.ContextVar[Any], ...] = (request_id_var, trace_id_var, user_id_var, organization_id_var)


def tenant() -> tuple[str, object]:
    """Whose turn a plugin call waits for in its lane: the caller's organization, else its user
    (None outside a request: the engine's own calls, as one tenant)."""
    organization = organization_id_var.get()
    if organization is not None:
        return ("org", organization)
    return ("user", user_id_var.get())


def _short_error(exc: BaseException) -> str:
    """The exception and where it was raised, for load errors (shown to operators)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{_what(exc)}{where}"


def _what(exc: BaseException) -> str:
    """The exception's kind and message, without any path: what a client and the health check see
    of a run-time failure (the log has the traceback)."""
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message[:300]}" if message else type(exc).__name__


class PluginHost:
    """The pluggy PluginManager with isolation, allow/block lists, and a record of every plugin."""

    def __init__(
        self,
        *,
        allow: Sequence[str] | None = None,
        block: Iterable[str] = (),
        strict: bool = False,
        builtins: Sequence[str] = BUILTIN_PLUGINS,
        timeout: float = 60.0,
        trace: bool = False,
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
        self.timeout = timeout
        self.trace = trace
        self._failures: dict[str, collections.deque[HookFailure]] = {}
        self._failure_counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._lanes: dict[str, lanes.Lane] = {}
        #: in a plugin's worker process, the failures of the current call with their tracebacks
        #: (the engine logs and records them)
        self._journal: list[tuple[HookFailure, str]] | None = None
        #: called with (plugin, hook) on every run-time failure (the application counts them)
        self.on_failure: Callable[[str, str], None] | None = None

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
            problems: list[str | None] = []
            try:
                impl.function(register=specs.append)
            except Exception as exc:  # what it registered before failing is kept; the failure is reported
                problems.append(f"register_languages failed: {_short_error(exc)}")
            problems += [self._claim(spec, owner) for spec in specs]
            info = self._infos[owner]
            claimed = tuple(s.name for s in specs if self.language_owner.get(s.name) == owner)
            error = "; ".join(p for p in problems if p) or None
            if error:
                log.error("plugin %s: %s", owner, error)
                if self._strict:
                    raise PluginLoadError(f"plugin {owner!r}: {error}")
            self._infos[owner] = attrs.evolve(info, languages=claimed, error=error or info.error)

    def _claim(self, spec: LanguageSpec, owner: str) -> str | None:
        if not isinstance(spec, LanguageSpec):
            return f"register_languages passed {type(spec).__name__}, not a LanguageSpec"
        taken = [n for n in spec.names if n.lower() in self.languages]
        if taken:
            other = self.language_owner[self.languages[taken[0].lower()].name]
            return f"language {spec.name!r}: {taken[0]!r} is already provided by plugin {other!r}"
        for alias in spec.names:
            self.languages[alias.lower()] = spec
        self.language_owner[spec.name] = owner
        return None

    # ------------------------------------------------------------------ calling
    def owner(self, language: str | None) -> str | None:
        """The name of the plugin that registered ``language`` (canonical name), or None."""
        return self.language_owner.get(language) if language else None

    def _impls(self, hook: str, language: str | None) -> list[tuple[str, Callable[..., Any], bool]]:
        """(plugin, function, builtin) to try in order: the owner's implementation, then the builtin's."""
        owner = self.owner(language)
        found: list[tuple[str, Callable[..., Any], bool]] = []
        builtin: list[tuple[str, Callable[..., Any], bool]] = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            info = self._infos.get(impl.plugin_name)
            if info is not None and info.builtin:
                builtin.append((impl.plugin_name, impl.function, True))
            elif impl.plugin_name == owner:
                found.append((impl.plugin_name, impl.function, False))
        return found + builtin[-1:]

    def call(
        self, hook: str, language: str | None, /, *, expected: tuple[type[Exception], ...] = (), **kwargs: Any
    ) -> Any:
        """Call ``hook`` for ``language`` in this thread: the owner's result, else the builtin's.

        A plugin's exception becomes :class:`PluginFailed` (and is recorded), except those of the
        ``expected`` types, which the hook's contract allows (``ValueError`` from
        ``postprocess_tests``); the builtin's propagate (they are the engine's own bugs). None
        when nobody answers.
        """
        return self._call(hook, language, expected, kwargs)

    def _call(
        self, hook: str, language: str | None, expected: tuple[type[Exception], ...], kwargs: dict[str, Any]
    ) -> Any:
        for plugin, function, builtin in self._impls(hook, language):
            started = time.perf_counter()
            try:
                result = function(**_accepted(function, kwargs))
            except Exception as exc:
                if builtin or isinstance(exc, expected):
                    raise
                raise self._failed(plugin, hook, language, _what(exc), exc) from exc
            finally:
                if self.trace:
                    log.info(
                        "plugin hook %s.%s(%s) took %.2f ms",
                        plugin,
                        hook,
                        language or "-",
                        (time.perf_counter() - started) * 1000,
                        extra={"plugin": plugin, "hook": hook, "language": language},
                    )
            if result is not None:
                return result
        return None

    async def run(
        self, hook: str, language: str | None, /, *, expected: tuple[type[Exception], ...] = (), **kwargs: Any
    ) -> Any:
        """:meth:`call` in the owning plugin's worker process, within the per-hook time limit.

        The keyword arguments and the result travel as pickles (the hooks' types all do).
        """
        return await self._in_worker(language, ("hook", hook, language, expected, kwargs), hook)

    async def in_worker(self, language: str | None, func: Callable[..., Any], *args: Any, hook: str = "") -> Any:
        """``func(host, *args)`` in the worker process of the plugin that owns ``language`` (``host``:
        this plugin host, as the process has it), within the time limit.

        ``func`` must be a module-level function and ``args`` picklable; it calls hooks with
        ``host.call``. The event loop keeps serving meanwhile. The plugin's calls run one at a time,
        each tenant's in order and the tenants' in turn (the caller's organization, else its user:
        see :func:`tenant`); the time limit (:attr:`timeout`) counts the call's own run, not its
        wait. Past it, or when the process dies during the call, the request gets
        :class:`PluginFailed` and the plugin's next calls get a new process
        (:class:`~codeflash_engine.plugins.lanes.Lane`). The cyclic collector is paused during the
        call (see :func:`_without_collections`).
        """
        return await self._in_worker(language, ("func", func, args), hook or getattr(func, "__name__", "hook"))

    async def _in_worker(self, language: str | None, request: tuple[Any, ...], what: str) -> Any:
        owner = self.owner(language) or "builtin"
        lane = self._lanes.get(owner)
        if lane is None:
            lane = self._lanes[owner] = lanes.Lane(owner, self._serve)
        context = tuple(var.get() for var in CONTEXT_VARS)
        try:
            ok, value, journal = await lane.run((context, request), self.timeout, tenant())
        except lanes.Overran:
            problem = f"no answer within {self.timeout:g} s (its process was stopped)"
            raise self._failed(owner, what, language, problem, None) from None
        except lanes.Died as died:
            raise self._failed(owner, what, language, f"its process {died}", None) from None
        for failure, trace in journal or ():
            self._record(failure, trace)
        if not ok:
            if isinstance(value, RemoteError):
                log.error("%s in %s's worker process:\n%s", what, owner, value.trace)
            raise value
        return value

    def _serve(
        self, message: tuple[tuple[Any, ...], tuple[Any, ...]]
    ) -> tuple[bool, Any, list[tuple[HookFailure, str]]]:
        """In the plugin's worker process: one call, in the caller's context; (ok, result or
        exception, the failures to record)."""
        context, request = message
        for var, value in zip(CONTEXT_VARS, context, strict=True):
            var.set(value)
        journal: list[tuple[HookFailure, str]] = []
        self._journal = journal
        try:
            if request[0] == "hook":
                _, hook, language, expected, kwargs = request
                result = _without_collections(self._call, hook, language, expected, kwargs)
            else:
                _, func, args = request
                result = _without_collections(func, self, *args)
        except Exception as exc:
            return False, exc, journal
        finally:
            self._journal = None
        return True, result, journal

    def _failed(
        self, plugin: str, hook: str, language: str | None, problem: str, exc: BaseException | None
    ) -> PluginFailed:
        """Log a run-time failure and record it (in a worker process: note it for the engine,
        which logs and records it when the call's answer comes back)."""
        failure = HookFailure(plugin, hook, language, problem, time.time())
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc is not None else ""
        if self._journal is not None:
            self._journal.append((failure, trace))
        else:
            self._record(failure, trace)
        return PluginFailed(plugin, hook, language, problem[:300])

    def _record(self, failure: HookFailure, trace: str) -> None:
        self._failures.setdefault(failure.plugin, collections.deque(maxlen=RECENT_FAILURES)).append(failure)
        self._failure_counts[(failure.plugin, failure.hook)] += 1
        if self.on_failure is not None:
            self.on_failure(failure.plugin, failure.hook)
        log.error(
            "plugin %s failed in %s for %s: %s%s",
            failure.plugin,
            failure.hook,
            failure.language,
            failure.error,
            f"\n{trace.rstrip()}" if trace else "",
            extra={"plugin": failure.plugin, "hook": failure.hook, "language": failure.language},
        )

    def failures(self, *, within: float | None = None) -> dict[str, list[HookFailure]]:
        """Plugin name -> its recent run-time failures (newest last), optionally only the last ``within`` s."""
        since = time.time() - within if within is not None else 0.0
        out = {name: [f for f in found if f.at >= since] for name, found in self._failures.items()}
        return {name: found for name, found in out.items() if found}

    def restarts(self) -> dict[str, int]:
        """Plugin name -> its worker processes replaced since start: stopped with a call past the
        time limit, or dead during a call (the plugin's next call starts a new one)."""
        return {name: lane.replaced for name, lane in self._lanes.items() if lane.replaced}

    def failure_counts(self) -> dict[tuple[str, str], int]:
        """(plugin, hook) -> run-time failures since start."""
        return dict(self._failure_counts)

    def close(self) -> None:
        """Stop the plugins' worker processes (a busy one too) and cancel the calls still queued."""
        for lane in self._lanes.values():
            lane.close()
        self._lanes.clear()

    # ------------------------------------------------------------------ reporting
    def plugins(self, *, include_builtin: bool = True) -> list[PluginInfo]:
        """Every plugin seen, loaded or failed, in load order."""
        return [i for i in self._infos.values() if include_builtin or not i.builtin]

    def errors(self) -> dict[str, str]:
        """Plugin name -> load error, for the plugins that failed."""
        return {i.name: i.error for i in self._infos.values() if i.error}


def _accepted(function: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments ``function`` declares (a hook implementation may take fewer)."""
    params = _params(function)
    return {k: v for k, v in kwargs.items() if k in params}


@functools.lru_cache(maxsize=256)
def _params(function: Callable[..., Any]) -> frozenset[str]:
    import inspect

    return frozenset(inspect.signature(function).parameters)


def _without_collections(func: Callable[..., Any], /, *args: Any) -> Any:
    """``func(*args)`` with the cyclic garbage collector paused.

    Plugin work builds large trees (ASTs, parse trees) that live only for the call and are freed
    by reference counting when it returns. Collections during the call would only walk them, again
    and again: for a large module, one pass holds the GIL long enough to stall the event loop.
    Paused, the collector resumes afterwards with the trees gone. When another plugin's thread
    paused it already, the call simply runs (the first to start resumes it).
    """
    if not gc.isenabled():
        return func(*args)
    gc.disable()
    try:
        return func(*args)
    finally:
        gc.enable()
