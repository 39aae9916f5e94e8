"""Typed application state: every resource the handlers reach lives under one of these keys."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
PLUGINS = web.AppKey("plugins", PluginHost)
LANGUAGES = web.AppKey("languages", LanguageRegistry)
