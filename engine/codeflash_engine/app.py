"""The aiohttp application factory: settings, plugins, resources (cleanup_ctx), middlewares, routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from codeflash_engine.http import admin, guards, metrics
from codeflash_engine.http.cfapi_guard import cfapi_guard_middleware
from codeflash_engine.http.context import INTEGRATIONS, context_middleware, error_class_middleware
from codeflash_engine.http.errors import error_middleware
from codeflash_engine.http.metrics import METRICS, RECORDER, Metrics
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.parsing import BodyParser
from codeflash_engine.http.quota import BUDGETS, Budgets
from codeflash_engine.http.routes import candidates, cfapi, health, judging, telemetry, testgen, usage, workflow
from codeflash_engine.http.state import BODY_PARSER, ENDPOINTS, ENGINE, LANGUAGES, PLUGINS, SETTINGS
from codeflash_engine.infra.db.factory import open_store
from codeflash_engine.infra.integrations import Integrations
from codeflash_engine.infra.llm.client import open_llm_client
from codeflash_engine.infra.llm.config import resolve_mix
from codeflash_engine.infra.observability import LoopMonitor, RecordTap
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.pipelines.common import Engine
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

ROUTES: tuple[ApiRoutes, ...] = (
    health.routes,
    candidates.routes,
    testgen.routes,
    judging.routes,
    telemetry.routes,
    workflow.routes,
    metrics.routes,
    cfapi.routes,
    usage.routes,
)

#: the event-loop monitor, running while the application serves
LOOP_MONITOR: web.AppKey[LoopMonitor] = web.AppKey("loop_monitor", LoopMonitor)

#: seconds between two refreshes of sampled metrics (recorder queue, memory) in each worker
METRICS_REFRESH = 1.0
#: seconds the recorder may take at shutdown to write what it holds (the database may be down)
RECORDER_DRAIN = 15.0
#: seconds a batch of records waits for more before it is written (see Recorder)
RECORDER_LINGER = 0.05


def load_plugins(settings: Settings) -> PluginHost:
    """A PluginHost loaded as the settings ask (allow-list, block-list, strict)."""
    host = PluginHost(
        allow=settings.codeflash_engine_plugins,
        block=settings.codeflash_engine_disabled_plugins,
        strict=settings.codeflash_engine_strict_plugins,
        timeout=settings.codeflash_engine_plugin_timeout,
        trace=settings.codeflash_engine_trace_plugins,
    )
    host.load()
    return host


async def _observability(app: web.Application) -> AsyncIterator[None]:
    """Integrations (Sentry, PostHog) and the metrics refresher.

    Opened before the other resources and closed after them, so that errors while opening or
    closing them still reach Sentry, and the last sampled values are taken after the drain.
    """
    settings = app[SETTINGS]
    integrations = Integrations.start(settings)
    app[INTEGRATIONS] = integrations
    metrics_ = app[METRICS]

    async def refresh_forever() -> None:
        while True:
            metrics_.refresh(app.get(RECORDER))
            await asyncio.sleep(METRICS_REFRESH)

    refresher = asyncio.create_task(refresh_forever(), name="codeflash-engine metrics refresher")
    try:
        yield
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        metrics_.refresh(app.get(RECORDER))
        await integrations.aclose()


async def _start_loop_monitor(app: web.Application) -> None:
    """on_startup, after every resource is open: sample the event loop's lag while serving.

    Started last so that start-up work done before the server listens (opening the store,
    settling the heap) is not counted as lag: no request can be waiting on it.
    """
    interval = app[SETTINGS].codeflash_engine_loop_monitor_interval
    if interval > 0:
        monitor = LoopMonitor(interval, observe=app[METRICS].observe_lag)
        monitor.start()
        app[LOOP_MONITOR] = monitor


async def _stop_loop_monitor(app: web.Application) -> None:
    """on_cleanup: stop sampling."""
    monitor = app.get(LOOP_MONITOR)
    if monitor is not None:
        await monitor.stop()


#: allocations (minus deallocations) between two young-generation collections; CPython's default is 700
GC_GEN0_THRESHOLD = 10_000


def _settle_heap() -> None:
    """Move everything built at start-up out of the collector's way, and collect less often.

    The engine starts with hundreds of thousands of long-lived objects (modules, plugins,
    schemas, SDK clients); every full collection walked them all, about 150 ms of a stalled
    event loop each time and about 3 ms of CPU per /ai/optimize (parsing candidates allocates
    many short-lived AST nodes, which keeps triggering collections). ``gc.freeze`` parks the
    start-up objects in the permanent generation, and a larger young-generation threshold makes
    collections rarer (each one scans only the young objects that accumulated).
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


async def _stop_parse_worker(app: web.Application) -> None:
    """on_cleanup: stop the worker process that parses large bodies, if one was started."""
    await app[BODY_PARSER].close()


async def _log_shutdown(app: web.Application) -> None:
    """on_shutdown: the listening socket is closed; say how many requests are still being served."""
    grace = app[SETTINGS].codeflash_engine_shutdown_grace
    log.info(
        "shutting down: no longer accepting connections; %d request(s) in flight get up to %g s to finish",
        app[METRICS].active,
        grace,
        extra={"in_flight": app[METRICS].active, "grace_s": grace},
    )


async def _resources(app: web.Application) -> AsyncIterator[None]:
    """Open the store, the recorder and the LLM clients once; close them in reverse order.

    The recorder is closed after the LLM clients so that the records of the last calls are
    drained into the store before the store's pool closes. While the database is away, records
    wait in the recorder's bounded queue and are written when it is back.
    """
    settings = app[SETTINGS]
    async with open_store(settings) as store:
        recorder = Recorder(
            sink=store,
            max_queue=settings.codeflash_engine_recorder_queue,
            linger=RECORDER_LINGER,
            retry_cap=5.0,
            close_timeout=RECORDER_DRAIN,
        )
        recorder.start()
        app[RECORDER] = recorder
        tap = RecordTap(recorder, [app[METRICS].observe_record])
        try:
            async with open_llm_client(settings, tap) as llm:
                app[ENGINE] = Engine(
                    settings=settings,
                    plugins=app[PLUGINS],
                    languages=app[LANGUAGES],
                    llm=llm,
                    recorder=recorder,
                    store=store,
                )
                app[guards.STORE] = store
                _settle_heap()
                yield
        finally:
            await recorder.close()
            log.info(
                "recorder closed: %d record(s) written, %d dropped, %d rejected",
                recorder.written,
                recorder.dropped,
                recorder.rejected,
                extra={"written": recorder.written, "dropped": recorder.dropped, "rejected": recorder.rejected},
            )


def create_app(settings: Settings | None = None, *, plugins: PluginHost | None = None) -> web.Application:
    """Build the engine's application. Resources are opened and closed by its cleanup context."""
    settings = settings or Settings()
    resolve_mix(settings)  # a configuration without a usable LLM fails here, before anything opens
    plugins = plugins or load_plugins(settings)
    app = web.Application(
        middlewares=[
            context_middleware,
            error_middleware,
            error_class_middleware,
            guards.guards_middleware,
            cfapi_guard_middleware,
        ],
        client_max_size=settings.codeflash_engine_max_body_bytes,
    )
    app[SETTINGS] = settings
    app[BUDGETS] = Budgets(ttl=settings.codeflash_engine_budget_cache_seconds)
    app[METRICS] = Metrics()
    app[BODY_PARSER] = BodyParser(settings.codeflash_engine_parse_worker_bytes)
    app[PLUGINS] = plugins
    plugins.on_failure = app[METRICS].observe_plugin_failure
    app[LANGUAGES] = LanguageRegistry(plugins)
    app[ENDPOINTS] = [ep for table in ROUTES for ep in table.endpoints]
    for table in ROUTES:
        app.add_routes(table)
    admin.install(app, settings)  # the operator's dashboard at /admin (off without CODEFLASH_ENGINE_ADMIN_TOKEN)
    app.cleanup_ctx.append(_observability)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(cfapi.github_context)
    app.on_startup.append(_start_loop_monitor)
    app.on_shutdown.append(_log_shutdown)
    app.on_cleanup.append(_stop_loop_monitor)
    app.on_cleanup.append(_stop_plugin_processes)
    app.on_cleanup.append(_stop_parse_worker)
    return app


async def _stop_plugin_processes(app: web.Application) -> None:
    app[PLUGINS].close()
