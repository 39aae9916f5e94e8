"""What the plugin host tells operators and callers about plugins: who registered which
language, what broke at load (and where), the recent run-time failures the health check and the
dashboard list, their counts, the optional timing trace, and which failures are a plugin's (a 502
naming it) rather than the engine's own."""

from __future__ import annotations

import gc
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from codeflash_engine import LanguageSpec, __version__, hookimpl
from codeflash_engine.plugins.manager import PluginFailed, PluginHost


class Toy:
    """A language plugin whose postprocess_tests does what the test asks."""

    def __init__(self, name: str = "toy", aliases: tuple[str, ...] = (), behave: Callable[[], Any] | None = None):
        self.spec = LanguageSpec(name=name, aliases=aliases, extensions=(f".{name}",), fence_tags=(name,))
        self.behave = behave or (lambda: None)

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(self.spec)

    @hookimpl
    def postprocess_tests(self, request: Any) -> Any:
        return self.behave()


def host_with(*plugins: tuple[str, object], **options: Any) -> PluginHost:
    host = PluginHost(**options)
    host.load([])
    for name, plugin in plugins:
        host.register(plugin, name)
    return host


def slow() -> list[str]:
    time.sleep(0.03)
    return ["x"]


def fail(message: str) -> Callable[[], Any]:
    def behave() -> Any:
        raise RuntimeError(message)

    return behave


def test_the_builtin_plugin_is_reported_as_the_engine_s_own_distribution() -> None:
    [builtin] = [info for info in host_with().plugins() if info.builtin]
    assert (builtin.distribution, builtin.version, builtin.error) == ("codeflash-engine", __version__, None)
    [plugin] = host_with(("toy", Toy())).plugins(include_builtin=False)
    assert (plugin.distribution, plugin.version, plugin.builtin) == (None, None, False)  # registered in-process


def test_a_plugin_is_listed_with_the_languages_it_won_not_those_already_taken() -> None:
    second = Toy("beta", aliases=("gamma", "alpha"))
    host = host_with(("first", Toy("alpha")), ("second", second), ("third", Toy("delta")))
    infos = {info.name: info for info in host.plugins(include_builtin=False)}
    assert infos["first"].languages == ("alpha",)
    assert infos["second"].languages == ()
    assert infos["third"].languages == ("delta",)
    # the conflict names the first of its names already taken, and who has it
    assert infos["second"].error == "language 'beta': 'alpha' is already provided by plugin 'first'"
    late = Toy("beta", aliases=("omega", "alpha"))
    two = host_with(("first", Toy("omega")), ("third", Toy("alpha")), ("second", late))
    assert two.errors()["second"] == "language 'beta': 'omega' is already provided by plugin 'first'"


def test_a_load_error_says_where_it_was_raised() -> None:
    def load_fails() -> object:
        return nested()

    def nested() -> object:
        raise ImportError("no module named 'toylib'")

    host = PluginHost()
    host.load([])
    host._load_one("broken", load_fails, None, builtin=False)
    error = host.errors()["broken"]
    line = nested.__code__.co_firstlineno + 1
    assert error == f"ImportError: no module named 'toylib' ({__file__}:{line})"


def test_a_load_error_raised_by_the_plugin_s_own_code_names_its_file_and_line() -> None:
    def load_fails() -> object:
        return int("not a number")  # raised in C: the innermost Python frame is this one

    host = PluginHost()
    host.load([])
    host._load_one("broken", load_fails, None, builtin=False)
    line = load_fails.__code__.co_firstlineno + 1
    assert host.errors()["broken"].endswith(f" ({__file__}:{line})")


def test_a_load_error_raised_in_a_library_names_the_library_s_line() -> None:
    """The innermost frame, not the plugin's own call into the library."""
    import json

    host = PluginHost()
    host.load([])
    host._load_one("broken", lambda: json.loads("{"), None, builtin=False)
    error = host.errors()["broken"]
    assert error.startswith("JSONDecodeError: Expecting property name")
    assert re.search(r" \([^()]*json[\\/]decoder\.py:\d+\)$", error), error


def test_run_time_failures_are_kept_newest_last_counted_and_cut_to_300_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    messages = iter(f"failure {i} " + "x" * 400 for i in range(25))
    host = host_with(("toy", Toy(behave=lambda: fail(next(messages))())))
    now = time.time()
    for i in range(25):
        # the first failure an hour ago: out of the health check's window, still in the history
        monkeypatch.setattr(time, "time", lambda i=i: now - 3600 if i == 5 else now)
        with pytest.raises(PluginFailed) as raised:
            host.call("postprocess_tests", "toy", request=None)
        problem = str(raised.value).split("for language 'toy': ", 1)[1].split("; other languages", 1)[0]
        assert problem.startswith(f"RuntimeError: failure {i} ") and len(problem) == 300
    monkeypatch.setattr(time, "time", lambda: now)
    kept = host.failures()["toy"]
    assert len(kept) == 20  # the health check and the dashboard list the 20 most recent
    assert [f.error.split()[2] for f in kept] == [str(i) for i in range(5, 25)]
    assert all(len(f.error) == len("RuntimeError: ") + 300 for f in kept)
    assert host.failure_counts() == {("toy", "postprocess_tests"): 25}
    assert host.failures(within=60)["toy"] == kept[1:]


def test_a_failure_of_the_builtin_is_the_engine_s_bug_not_a_plugin_s() -> None:
    """The builtin's exceptions propagate as they are (a 500 with its record), never as a 502
    blaming a plugin, and are not counted as plugin failures."""
    host = host_with(("toy", Toy()))  # answers None: the builtin default runs
    with pytest.raises(Exception) as raised:
        host.call("postprocess_tests", "toy", request=object())
    assert not isinstance(raised.value, PluginFailed)
    assert host.failure_counts() == {}


def test_the_trace_logs_each_hook_call_with_its_time(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.plugins.manager")
    quiet = host_with(("toy", Toy(behave=slow)))
    quiet.call("postprocess_tests", "toy", request=None)
    assert not [r for r in caplog.records if "took" in r.getMessage()]
    traced = host_with(("toy", Toy(behave=slow)), trace=True)
    traced.call("postprocess_tests", "toy", request=None)
    [line] = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
    assert line.startswith("plugin hook toy.postprocess_tests(toy) took ")
    assert 25 <= float(line.split()[-2]) < 1000  # milliseconds


async def test_hooks_run_with_the_cyclic_collector_paused_and_it_resumes_after() -> None:
    host = host_with(("toy", Toy(behave=lambda: [gc.isenabled()])))
    try:
        assert gc.isenabled()
        # paused in the plugin's process during the call (its answer says so); the engine's untouched
        assert await host.run("postprocess_tests", "toy", request=None) == [False]
        assert gc.isenabled()
        assert await host.run("postprocess_tests", "toy", request=None) == [False]
    finally:
        host.close()


def test_the_host_s_time_limit_is_the_setting_s_default() -> None:
    """A host made without settings (the plugin kit's) limits hooks as the service does."""
    from codeflash_engine.settings import Settings

    assert PluginHost().timeout == Settings().codeflash_engine_plugin_timeout == 60


def test_a_plugin_s_report_as_the_health_check_and_plugins_list_show_it() -> None:
    host = host_with(("toy", Toy()))
    [info] = host.plugins(include_builtin=False)
    assert info.as_dict() == {
        "name": "toy",
        "distribution": None,
        "version": None,
        "module": "Toy",  # registered in-process: its class
        "builtin": False,
        "hooks": ["postprocess_tests", "register_languages"],
        "languages": ["toy"],
        "error": None,
    }


def test_a_clean_plugin_loads_in_strict_mode_and_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="codeflash_engine.plugins.manager")
    host = host_with(("toy", Toy()), strict=True)
    assert host.errors() == {} and host.language_owner == {"toy": "toy"}
    assert caplog.records == []


def test_closing_the_host_stops_its_plugins_processes() -> None:
    import asyncio
    import os

    host = host_with(("toy", Toy(behave=lambda: [os.getpid()])))

    async def one_call() -> list[int]:
        found: list[int] = await host.run("postprocess_tests", "toy", request=None)
        return found

    (pid,) = asyncio.run(one_call())
    assert pid != os.getpid()
    os.kill(pid, 0)  # running
    host.close()  # its event loop is gone already: closing still stops the process
    for _ in range(250):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"the plugin's process {pid} still runs")
