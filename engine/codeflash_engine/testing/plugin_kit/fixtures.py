"""Fixtures of the plugin kit (registered by the kit's pytest plugin when it is turned on).

Together with ``fake_llm`` and ``fake_llm_settings`` (from
:mod:`codeflash_engine.testing.llm_fixtures`, registered with these):

- ``language_samples``: the :class:`LanguageSamples` declared by the nearest conftest (the
  first one when it declares several); skips the test when there is none;
- ``sample_requests``: endpoint path -> the JSON body the Codeflash CLI sends, for those samples;
- ``plugin_host_factory``: ``(*plugins) -> PluginHost`` with the builtins and exactly the given
  plugins (entry-point names or plugin objects), loaded strictly;
- ``engine_app_factory``: ``(plugins=None, **settings) -> web.Application``, the engine wired to
  ``fake_llm`` with the API key :data:`API_KEY` (plugins: a list as above; ``None`` = the samples'
  plugin when a conftest declares samples, else every installed plugin);
- ``plugin_engine_client``: an aiohttp ``TestClient`` for ``engine_app_factory()`` (post with
  :func:`codeflash_engine.testing.engine.call`, key :data:`API_KEY`).

Async fixtures use ``pytest_asyncio.fixture``, so they work in strict and auto mode alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from codeflash_engine.plugins.hookspecs import PROJECT_NAME
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.plugin_kit import pytest_plugin
from codeflash_engine.testing.plugin_kit.engine_check import API_KEY, engine_settings
from codeflash_engine.testing.plugin_kit.requests import sample_requests as build_sample_requests
from codeflash_engine.testing.plugin_kit.samples import LanguageSamples

__all__ = ["API_KEY", "make_plugin_host"]


def make_plugin_host(*plugins: str | object, strict: bool = True) -> PluginHost:
    """A PluginHost with the engine's builtins and exactly ``plugins`` (entry-point names or objects)."""
    names = [p for p in plugins if isinstance(p, str)]
    host = PluginHost(strict=strict, allow=names)
    wanted = set(names)
    host.load([ep for ep in entry_points(group=PROJECT_NAME) if ep.name in wanted])
    missing = wanted - {i.name for i in host.plugins(include_builtin=False)}
    if missing:
        raise LookupError(f"no installed plugin (entry point) named {sorted(missing)} in group {PROJECT_NAME!r}")
    for index, plugin in enumerate(p for p in plugins if not isinstance(p, str)):
        host.register(plugin, getattr(plugin, "__name__", f"in-process-{index}"))
    return host


@pytest.fixture
def language_samples(request: pytest.FixtureRequest) -> LanguageSamples:
    """The samples declared by the closest conftest above the test."""
    found = pytest_plugin.declared(request.config.pluginmanager)
    here = Path(str(request.path)).resolve()
    for folder in (here, *here.parents):
        samples = found.get(folder / "conftest.py")
        if samples:
            first: LanguageSamples = samples[0]
            return first
    pytest.skip("no conftest above this test declares codeflash_engine_conformance")


@pytest.fixture
def sample_requests(language_samples: LanguageSamples) -> dict[str, Any]:
    """Endpoint path -> the request body the client sends, for the declared samples."""
    return build_sample_requests(language_samples)


@pytest.fixture
def plugin_host_factory() -> Callable[..., PluginHost]:
    """``(*plugins, strict=True) -> PluginHost`` (see :func:`make_plugin_host`)."""
    return make_plugin_host


@pytest.fixture
def engine_app_factory(fake_llm: FakeLLM, request: pytest.FixtureRequest) -> Callable[..., web.Application]:
    """``(plugins=None, **settings) -> web.Application``: the engine over ``fake_llm``."""
    from codeflash_engine.app import create_app, load_plugins

    def make(plugins: Sequence[str | object] | None = None, **overrides: Any) -> web.Application:
        settings = engine_settings(fake_llm, **overrides)
        if plugins is None:
            found = pytest_plugin.declared(request.config.pluginmanager)
            here = Path(str(request.path)).resolve()
            declared = next((found[f / "conftest.py"] for f in (here, *here.parents) if f / "conftest.py" in found), [])
            plugins = [declared[0].plugin] if declared else None
        host = load_plugins(settings) if plugins is None else make_plugin_host(*plugins)
        return create_app(settings, plugins=host)

    return make


@pytest_asyncio.fixture
async def plugin_engine_client(
    engine_app_factory: Callable[..., web.Application],
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client for ``engine_app_factory()``."""
    async with TestClient(TestServer(engine_app_factory())) as client:
        yield client
