"""The aiohttp application factory: settings, plugins, resources (cleanup_ctx), middlewares, routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from codeflash_engine.http import guards
from codeflash_engine.http.context import context_middleware
from codeflash_engine.http.errors import error_middleware
from codeflash_engine.http.openapi import ApiRoutes
from codeflash_engine.http.routes import candidates, health, judging, telemetry, testgen, workflow
from codeflash_engine.http.state import ENDPOINTS, ENGINE, LANGUAGES, PLUGINS, SETTINGS
from codeflash_engine.infra.db.factory import open_store
from codeflash_engine.infra.llm.client import open_llm_client
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
)


def load_plugins(settings: Settings) -> PluginHost:
    """A PluginHost loaded as the settings ask (allow-list, block-list, strict)."""
    host = PluginHost(
        allow=settings.codeflash_engine_plugins,
        block=settings.codeflash_engine_disabled_plugins,
        strict=settings.codeflash_engine_strict_plugins,
    )
    host.load()
    return host


async def _resources(app: web.Application) -> AsyncIterator[None]:
    """Open the store, the recorder and the LLM clients once; close them in reverse order.

    The recorder is closed after the LLM clients so that the records of the last calls are
    drained into the store before the store's pool closes.
    """
    settings = app[SETTINGS]
    async with open_store(settings) as store:
        recorder = Recorder(sink=store)
        recorder.start()
        try:
            async with open_llm_client(settings, recorder) as llm:
                app[ENGINE] = Engine(
                    settings=settings,
                    plugins=app[PLUGINS],
                    languages=app[LANGUAGES],
                    llm=llm,
                    recorder=recorder,
                    store=store,
                )
                app[guards.STORE] = store
                yield
        finally:
            await recorder.close()


def create_app(settings: Settings | None = None, *, plugins: PluginHost | None = None) -> web.Application:
    """Build the engine's application. Resources are opened and closed by its cleanup context."""
    settings = settings or Settings()
    plugins = plugins or load_plugins(settings)
    app = web.Application(
        middlewares=[context_middleware, error_middleware, guards.guards_middleware],
        client_max_size=settings.codeflash_engine_max_body_bytes,
    )
    app[SETTINGS] = settings
    app[PLUGINS] = plugins
    app[LANGUAGES] = LanguageRegistry(plugins)
    app[ENDPOINTS] = [ep for table in ROUTES for ep in table.endpoints]
    for table in ROUTES:
        app.add_routes(table)
    app.cleanup_ctx.append(_resources)
    return app
