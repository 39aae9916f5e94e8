"""The aiohttp application factory: settings, plugins, resources (cleanup_ctx), middlewares, routes."""

from __future__ import annotations

import logging

from aiohttp import web

from codeflash_engine.http.context import context_middleware
from codeflash_engine.http.errors import error_middleware
from codeflash_engine.http.routes import health
from codeflash_engine.http.state import LANGUAGES, PLUGINS, SETTINGS
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)


def load_plugins(settings: Settings) -> PluginHost:
    """A PluginHost loaded as the settings ask (allow-list, block-list, strict)."""
    host = PluginHost(
        allow=settings.codeflash_engine_plugins,
        block=settings.codeflash_engine_disabled_plugins,
        strict=settings.codeflash_engine_strict_plugins,
    )
    host.load()
    return host


def create_app(settings: Settings | None = None, *, plugins: PluginHost | None = None) -> web.Application:
    """Build the engine's application. Resources are opened and closed by its cleanup contexts."""
    settings = settings or Settings()
    plugins = plugins or load_plugins(settings)
    app = web.Application(
        middlewares=[context_middleware, error_middleware],
        client_max_size=settings.codeflash_engine_max_body_bytes,
    )
    app[SETTINGS] = settings
    app[PLUGINS] = plugins
    app[LANGUAGES] = LanguageRegistry(plugins)
    app.add_routes(health.routes)
    return app
