"""The kit's pytest plugin (entry point ``pytest11``: ``codeflash_engine_kit``). Off unless asked for.

Installed with codeflash-engine, so pytest loads it in every run; by itself it only adds two
options and does nothing else. It turns on when:

- a ``conftest.py`` declares ``codeflash_engine_conformance = <LanguageSamples or a list>``:
  the conformance suite is collected under that conftest (``conftest.py::test_...``) and the
  kit's fixtures are registered;
- ``--codeflash-engine-kit`` is given, or the ini option ``codeflash_engine_kit = true`` is set:
  the kit's fixtures are registered (for a plugin's own tests of the engine).

The fixtures: see :mod:`codeflash_engine.testing.plugin_kit.fixtures`.
``--codeflash-engine-no-engine`` skips the suite's "engine" tests (each starts a server).
"""

from __future__ import annotations

import importlib.util
import types
import weakref
from pathlib import Path
from typing import Any

import pytest

from codeflash_engine.testing.plugin_kit.samples import ACTIVATION, as_sample_list

INI = "codeflash_engine_kit"
FIXTURE_MODULES = ("codeflash_engine.testing.llm_fixtures", "codeflash_engine.testing.plugin_kit.fixtures")
SUITE = "codeflash_engine.testing.plugin_kit.suite"

#: per plugin manager: conftest path -> the samples it declares
_declared: weakref.WeakKeyDictionary[Any, dict[Path, list[Any]]] = weakref.WeakKeyDictionary()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("codeflash-engine", "codeflash-engine plugin kit")
    group.addoption(
        "--codeflash-engine-kit",
        action="store_true",
        default=False,
        dest="codeflash_engine_kit",
        help="register the plugin kit's fixtures (engine app, fake LLM, sample requests)",
    )
    group.addoption(
        "--codeflash-engine-no-engine",
        action="store_true",
        default=False,
        dest="codeflash_engine_no_engine",
        help="skip the conformance suite's tests that run requests through the whole engine",
    )
    parser.addini(INI, type="bool", default=False, help="register the codeflash-engine plugin kit's fixtures")


def declared(manager: Any) -> dict[Path, list[Any]]:
    """Conftest path -> the samples it declares, for the session of ``manager``."""
    return _declared.setdefault(manager, {})


def enable_fixtures(manager: Any) -> None:
    """Register the kit's fixture modules (once; skipped when already registered by name)."""
    for name in FIXTURE_MODULES:
        if manager.get_plugin(name) is None and not manager.is_blocked(name):
            manager.import_plugin(name)


def pytest_plugin_registered(plugin: object, manager: Any) -> None:
    """Notice conftest modules that declare the conformance samples."""
    if not isinstance(plugin, types.ModuleType) or not hasattr(plugin, ACTIVATION):
        return
    path = Path(getattr(plugin, "__file__", "") or "")
    if path.name != "conftest.py":
        return
    declared(manager)[path.resolve()] = as_sample_list(getattr(plugin, ACTIVATION))
    enable_fixtures(manager)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(INI, default=False) or config.getini(INI):
        enable_fixtures(config.pluginmanager)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect the suite under each conftest that declares samples."""
    if file_path.name != "conftest.py":
        return None
    samples = declared(parent.config.pluginmanager).get(file_path.resolve())
    if not samples:
        return None
    suite: ConformanceSuite = ConformanceSuite.from_parent(parent, path=file_path)
    suite.samples_list = samples
    return suite


class ConformanceSuite(pytest.Module):
    """The suite's test module, collected as if it lived in the declaring conftest.

    Each instance executes its own copy of the suite module, so that pytest registers the
    suite's fixtures for every declaring conftest (pytest parses a module object once).
    """

    samples_list: list[Any]

    def _getobj(self) -> types.ModuleType:
        spec = importlib.util.find_spec(SUITE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
