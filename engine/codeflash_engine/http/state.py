"""Typed application state: every resource the handlers reach lives under one of these keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.settings import Settings

if TYPE_CHECKING:
    from codeflash_engine.http.openapi import Endpoint
    from codeflash_engine.http.parsing import BodyParser
    from codeflash_engine.pipelines.common import Engine

SETTINGS = web.AppKey("settings", Settings)
PLUGINS = web.AppKey("plugins", PluginHost)
LANGUAGES = web.AppKey("languages", LanguageRegistry)
#: the pipelines' resources, set by the application's cleanup context once they are open
ENGINE: web.AppKey[Engine] = web.AppKey("engine")
#: every documented route, for the OpenAPI document
ENDPOINTS: web.AppKey[list[Endpoint]] = web.AppKey("endpoints")
#: where request bodies are validated (inline, or in a worker process when large)
BODY_PARSER: web.AppKey[BodyParser] = web.AppKey("body_parser")
