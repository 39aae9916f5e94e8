"""The plugin kit: what a third party needs to build and test a codeflash-engine language plugin.

- :class:`LanguageSamples`: what a plugin declares about its language. Assigning it in a
  ``conftest.py`` turns the conformance suite on::

      codeflash_engine_conformance = LanguageSamples(language="go", plugin="go", ...)

- the conformance suite (:mod:`.suite`, rules in :data:`RULES`), collected by the kit's pytest
  plugin (:mod:`.pytest_plugin`, entry point ``pytest11``) under that conftest;
- fixtures for a plugin's own tests (:mod:`.fixtures`): the engine app with a given set of
  plugins, the fake LLM server, sample requests for every task;
- :func:`sample_requests`, :func:`prompt_requests` and :func:`llm_answers`: the requests, prompt
  contexts and model answers the suite uses, for any samples;
- the template ``codeflash-engine plugins new NAME`` copies (the ``template`` folder).

Guide: ``docs/plugins.md`` in the codeflash-engine repository.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from codeflash_engine.testing.plugin_kit.samples import ACTIVATION, LanguageSamples

if TYPE_CHECKING:
    from codeflash_engine.testing.plugin_kit.checks import RULES, ConformanceError, PluginUnderTest, plugin_under_test
    from codeflash_engine.testing.plugin_kit.requests import llm_answers, prompt_requests, sample_requests

#: names imported on first use (pytest loads the kit's plugin in every run: keep that cheap)
_LAZY = {
    "RULES": "checks",
    "ConformanceError": "checks",
    "PluginUnderTest": "checks",
    "plugin_under_test": "checks",
    "llm_answers": "requests",
    "prompt_requests": "requests",
    "sample_requests": "requests",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIVATION",
    "RULES",
    "ConformanceError",
    "LanguageSamples",
    "PluginUnderTest",
    "llm_answers",
    "plugin_under_test",
    "prompt_requests",
    "sample_requests",
]
