"""PluginHost: isolation, strict mode, allow and block lists, language registration and resolution."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from codeflash_engine.errors import UnsupportedLanguage
from codeflash_engine.plugins.manager import PluginHost, PluginLoadError
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.plugins.types import LanguageSpec

GOOD = """
from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.types import LanguageSpec, SyntaxProblem

@hookimpl
def register_languages(register):
    register(LanguageSpec(name="toy", aliases=("toylang",), extensions=(".toy",), comment_prefix="--",
                          fence_tags=("toy",)))

@hookimpl
def validate(code, language_version):
    return [] if code.startswith("ok") else [SyntaxProblem(1, 1, "toy code starts with ok")]
"""
BROKEN_IMPORT = "raise ImportError('this plugin needs a library that is not installed')\n"
UNKNOWN_HOOK = """
from codeflash_engine.plugins.hookspecs import hookimpl

@hookimpl
def no_such_hook():
    return 1
"""
CONFLICT = """
from codeflash_engine.plugins.hookspecs import hookimpl
from codeflash_engine.plugins.types import LanguageSpec

@hookimpl
def register_languages(register):
    register(LanguageSpec(name="toy2", aliases=("toylang",)))
"""


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, EntryPoint]:
    sources = {"good": GOOD, "broken": BROKEN_IMPORT, "unknown": UNKNOWN_HOOK, "conflict": CONFLICT}
    eps = {}
    for name, source in sources.items():
        module = f"cfe_sample_{name}_{tmp_path.name}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        eps[name] = EntryPoint(name=name, value=module, group="codeflash_engine")
    monkeypatch.syspath_prepend(str(tmp_path))
    return eps


def test_broken_plugins_are_reported_and_skipped(modules: dict[str, EntryPoint]) -> None:
    host = PluginHost()
    host.load([modules["good"], modules["broken"], modules["unknown"]])
    errors = host.errors()
    assert set(errors) == {"broken", "unknown"}
    assert "ImportError: this plugin needs a library" in errors["broken"]
    assert "no_such_hook" in errors["unknown"]
    assert host.pm.get_plugin("unknown") is None
    assert host.call("validate", "toy", language="toy", code="ok", language_version=None) == []
    assert [i.name for i in host.plugins(include_builtin=False)] == ["good", "broken", "unknown"]


def test_strict_mode_stops_at_the_first_broken_plugin(modules: dict[str, EntryPoint]) -> None:
    with pytest.raises(PluginLoadError, match="broken"):
        PluginHost(strict=True).load([modules["good"], modules["broken"]])


def test_allow_and_block_lists(modules: dict[str, EntryPoint]) -> None:
    host = PluginHost(allow=["good", "broken"], block=["broken"])
    host.load([modules["good"], modules["broken"], modules["unknown"]])
    assert [i.name for i in host.plugins(include_builtin=False)] == ["good"]
    assert host.errors() == {}


def test_a_plugin_excluded_or_seen_before_does_not_stop_the_ones_after_it(modules: dict[str, EntryPoint]) -> None:
    host = PluginHost(block=["broken"])
    host.load([modules["broken"], modules["good"]])
    assert [i.name for i in host.plugins(include_builtin=False)] == ["good"]
    twice = PluginHost()
    twice.load([modules["good"], modules["good"], modules["conflict"]])
    assert [i.name for i in twice.plugins(include_builtin=False)] == ["good", "conflict"]


def test_builtins_register_like_plugins_and_run_last(modules: dict[str, EntryPoint]) -> None:
    host = PluginHost()
    host.load([modules["good"]])
    builtin = [i for i in host.plugins() if i.builtin]
    assert builtin and builtin[0].hooks == ("apply_diff", "build_prompt", "postprocess_candidates", "postprocess_tests")
    impls = host.pm.hook.build_prompt.get_hookimpls()
    assert impls[0].plugin_name == "codeflash_engine.plugins.builtin" and impls[0].trylast


def test_language_conflict_keeps_the_first_and_reports_the_second(modules: dict[str, EntryPoint]) -> None:
    host = PluginHost()
    host.load([modules["good"], modules["conflict"]])
    assert host.language_owner == {"toy": "good"}
    assert "already provided by plugin 'good'" in host.errors()["conflict"]


def test_registry_resolves_names_and_aliases(modules: dict[str, EntryPoint]) -> None:
    host = PluginHost()
    host.load([modules["good"]])
    registry = LanguageRegistry(host)
    assert registry.resolve("TOYLANG").name == "toy"
    assert registry.by_extension("src/a.toy") == registry.resolve("toy")
    with pytest.raises(UnsupportedLanguage) as caught:
        registry.resolve("cobol")
    assert caught.value.status == 422
    assert "'cobol' is not supported" in caught.value.message and "toy" in caught.value.message


async def test_registry_infers_language_from_fences_and_flat_headers() -> None:
    host = PluginHost()
    host.load()
    registry = LanguageRegistry(host)

    async def language(code: str) -> str:
        return (await registry.detect_off_loop(code, default="python")).name

    assert await language("```typescript:src/a.ts\nlet a = 1;\n```") == "typescript"
    assert await language("```python:a.py\nx = 1\n```") == "python"
    assert await language("// file: src/Main.java\nclass Main {}") == "java"
    assert await language("# file: pkg/mod.py\nx = 1") == "python"
    assert await language("no markers at all") == "python"


def test_in_process_registration_is_reported() -> None:
    class Plugin:
        from codeflash_engine.plugins.hookspecs import hookimpl

        @hookimpl
        def register_languages(self, register):  # type: ignore[no-untyped-def]
            register(LanguageSpec(name="inproc"))

    host = PluginHost()
    host.load([])
    host.register(Plugin(), "inproc")
    assert host.language_owner["inproc"] == "inproc"


def test_registry_detects_language_from_diff_headers() -> None:
    host = PluginHost()
    host.load()
    registry = LanguageRegistry(host)
    assert registry.detect("--- a/src/util.ts\n+++ b/src/util.ts\n@@ -1 +1 @@\n-a\n+b\n").name == "typescript"
    assert registry.detect("no markers") is None
