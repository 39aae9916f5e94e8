"""The plugin kit's pieces that the mutation runs of kit.requests, kit.engine_check, kit.checks,
commands.plugin_new, cli and infra.logging found untested: the sample request bodies and the
PromptRequests built from them, the engine check's verdicts, the conformance checks' refusals,
the plugin template, the CLI's wiring and the log setup."""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import toy_plugins
from click.testing import CliRunner
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import (
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    PromptRequest,
    SyntaxProblem,
    TestsRequest,
    cli,
    hookimpl,
)
from codeflash_engine.infra import logging as engine_logging
from codeflash_engine.plugins.manager import PluginInfo
from codeflash_engine.plugins.types import Task
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import FakeLLM
from codeflash_engine.testing.plugin_kit import checks, engine_check
from codeflash_engine.testing.plugin_kit.checks import ConformanceError, PluginUnderTest, plugin_under_test
from codeflash_engine.testing.plugin_kit.engine_check import engine_settings
from codeflash_engine.testing.plugin_kit.requests import (
    function_to_optimize,
    llm_answers,
    prompt_request,
    prompt_requests,
    sample_requests,
    tasks_for,
)
from codeflash_engine.testing.plugin_kit.requests import tests_code as code_of_tests

# ------------------------------------------------------------------------------ cli: serve


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``codeflash-engine serve`` hands to serve.run (which is replaced: nothing is bound)."""
    import codeflash_engine.serve

    calls: list[dict[str, Any]] = []

    def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
        calls.append({"settings": settings, "host": host, "port": port, "workers": workers})

    monkeypatch.setattr(codeflash_engine.serve, "run", run)
    for var in ("CODEFLASH_ENGINE_HOST", "CODEFLASH_ENGINE_PORT", "CODEFLASH_ENGINE_CFAPI_PORT"):
        monkeypatch.delenv(var, raising=False)
    return calls


def test_serve_takes_host_and_port_from_the_settings_unless_given(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEFLASH_ENGINE_HOST", "0.0.0.0")
    monkeypatch.setenv("CODEFLASH_ENGINE_PORT", "8123")
    assert CliRunner().invoke(cli.main, ["serve"]).exit_code == 0
    assert CliRunner().invoke(cli.main, ["serve", "--host", "10.1.2.3", "--port", "0", "--workers", "3"]).exit_code == 0
    first, second = served
    assert (first["host"], first["port"], first["workers"]) == ("0.0.0.0", 8123, 1)
    assert (second["host"], second["port"], second["workers"]) == ("10.1.2.3", 0, 3)
    assert first["settings"].codeflash_engine_cfapi_port == 3001


def test_serve_overrides_the_cfapi_port_only_when_given(served: list[dict[str, Any]]) -> None:
    assert CliRunner().invoke(cli.main, ["serve", "--cfapi-port", "0"]).exit_code == 0
    assert CliRunner().invoke(cli.main, ["serve", "--cfapi-port", "65535"]).exit_code == 0
    assert [c["settings"].codeflash_engine_cfapi_port for c in served] == [0, 65535]
    assert CliRunner().invoke(cli.main, ["serve", "--cfapi-port", "65536"]).exit_code == 2
    assert CliRunner().invoke(cli.main, ["serve", "--workers", "0"]).exit_code == 2
    assert CliRunner().invoke(cli.main, ["serve", "--workers", "65"]).exit_code == 2
    assert CliRunner().invoke(cli.main, ["serve", "--workers", "64"]).exit_code == 0
    assert len(served) == 3


def test_serve_refuses_a_bad_configuration_by_naming_the_variable(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEFLASH_ENGINE_ADMIN_TOKEN", "short")
    monkeypatch.setenv("CODEFLASH_ENGINE_PORT", "70000")
    result = CliRunner().invoke(cli.main, ["serve"])
    assert result.exit_code == 1 and served == []
    line = result.output.strip()
    assert line.startswith("Error: the configuration is refused: CODEFLASH_ENGINE_")
    assert "CODEFLASH_ENGINE_PORT: " in line and "CODEFLASH_ENGINE_ADMIN_TOKEN: " in line and "; " in line
    assert "short" not in line  # the refused value is not echoed


# ------------------------------------------------------------------------------ cli: plugins list


class _Host:
    def __init__(self, infos: list[PluginInfo], errors: dict[str, str]) -> None:
        self.infos = infos
        self._errors = errors
        self.asked: list[bool] = []

    def plugins(self, include_builtin: bool = False) -> list[PluginInfo]:
        self.asked.append(include_builtin)
        return self.infos

    def errors(self) -> dict[str, str]:
        return self._errors


INFOS = [
    PluginInfo("rust", "codeflash-engine-rust", "1.2.3", "codeflash_engine_rust", False, ("validate",), ("rust",)),
    PluginInfo("x", None, None, None, False, (), ()),
]


def _listing(monkeypatch: pytest.MonkeyPatch, errors: dict[str, str], *args: str) -> tuple[Any, _Host]:
    import codeflash_engine.app

    host = _Host(INFOS, errors)
    monkeypatch.setattr(codeflash_engine.app, "load_plugins", lambda settings: host)
    return CliRunner().invoke(cli.main, ["plugins", "list", *args]), host


def test_plugins_list_prints_an_aligned_table(monkeypatch: pytest.MonkeyPatch) -> None:
    result, host = _listing(monkeypatch, {})
    assert result.exit_code == 0, result.output
    assert host.asked == [False]
    assert result.output.splitlines() == [
        "NAME  DISTRIBUTION           VERSION  LANGUAGES  HOOKS",
        "rust  codeflash-engine-rust  1.2.3    rust       validate",
        "x     -                      -        -          -",
    ]
    result, host = _listing(monkeypatch, {}, "--all")
    assert host.asked == [True]


def test_plugins_list_exits_1_and_names_the_plugins_that_failed_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    result, _ = _listing(monkeypatch, {"bad": "ImportError: no module named bad"})
    assert result.exit_code == 1
    assert result.output.endswith("\nplugins that failed to load:\n  bad: ImportError: no module named bad\n")
    result, _ = _listing(monkeypatch, {"bad": "boom"}, "--json")
    assert result.exit_code == 1
    assert [p["failures"] for p in json.loads(result.output)] == [[], []]


class _Response:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return self.body


def _serving(monkeypatch: pytest.MonkeyPatch, health: Any) -> list[str]:
    import urllib.request

    asked: list[str] = []

    def urlopen(url: str, timeout: float) -> _Response:
        asked.append(url)
        if isinstance(health, Exception):
            raise health
        return _Response(json.dumps(health).encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return asked


def test_plugins_list_shows_a_servers_run_time_failures_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    failure = {"hook": "validate", "language": None, "error": "TimeoutError"}
    asked = _serving(monkeypatch, {"plugin_failures": {"rust": [failure]}})
    result, _ = _listing(monkeypatch, {}, "--server", "http://h:1/")
    assert asked == ["http://h:1/healthcheck"]
    assert result.exit_code == 1
    assert result.output.endswith("\nrecent run-time failures at http://h:1/:\n  rust.validate (-): TimeoutError\n")
    result, _ = _listing(monkeypatch, {}, "--server", "http://h:1", "--json")
    assert result.exit_code == 1
    assert [p["failures"] for p in json.loads(result.output)] == [[failure], []]


@pytest.mark.parametrize("health", [{"plugin_failures": {}}, {"plugin_failures": ["odd"]}, {}])
def test_plugins_list_with_a_healthy_server_exits_0(monkeypatch: pytest.MonkeyPatch, health: Any) -> None:
    _serving(monkeypatch, health)
    result, _ = _listing(monkeypatch, {}, "--server", "http://h:1")
    assert result.exit_code == 0, result.output
    assert "run-time failures" not in result.output


def test_plugins_list_exits_2_when_the_server_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    _serving(monkeypatch, OSError("connection refused"))
    result, _ = _listing(monkeypatch, {}, "--server", "http://h:1")
    assert result.exit_code == 2
    assert "cannot read http://h:1/healthcheck: connection refused" in result.output


def test_plugins_hooks_prints_the_reference() -> None:
    from codeflash_engine.plugins.hookspecs import reference_markdown

    result = CliRunner().invoke(cli.main, ["plugins", "hooks"])
    assert result.exit_code == 0 and result.output == reference_markdown()


def test_every_command_is_wired() -> None:
    assert {"serve", "plugins", "apply-patch", "connect", "db", "keys", "orgs", "plans", "usage"} <= set(
        cli.main.commands
    )
    assert set(cli.plugins.commands) == {"list", "hooks", "new"}
    assert CliRunner().invoke(cli.main, ["-h"]).exit_code == 0


# ------------------------------------------------------------------------------ infra.logging


def _record(**extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("engine.test", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.created = 0.0
    record.msecs = 7.9
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_is_one_json_line_with_its_extras() -> None:
    line = engine_logging.JsonFormatter().format(_record(route="/ai/rank", n=3))
    assert "\n" not in line
    assert json.loads(line) == {
        "ts": "1970-01-01T00:00:00.007Z",
        "level": "warning",
        "logger": "engine.test",
        "msg": "hello you",
        "request_id": None,
        "trace_id": None,
        "route": "/ai/rank",
        "n": 3,
    }


def test_the_context_filter_stamps_the_ids_and_keeps_every_record() -> None:
    record = _record()
    rid = engine_logging.request_id_var.set("r-1")
    tid = engine_logging.trace_id_var.set("t-1")
    try:
        assert engine_logging.ContextFilter().filter(record) is True
    finally:
        engine_logging.request_id_var.reset(rid)
        engine_logging.trace_id_var.reset(tid)
    out = json.loads(engine_logging.JsonFormatter().format(record))
    assert (out["request_id"], out["trace_id"]) == ("r-1", "t-1")
    assert engine_logging.ContextFilter().filter(record) is True
    assert (getattr(record, "request_id"), getattr(record, "trace_id")) == (None, None)  # noqa: B009


def test_an_exception_is_formatted_into_the_line() -> None:
    try:
        raise RuntimeError("broken")
    except RuntimeError:
        record = _record(exc_info=sys.exc_info())
    out = json.loads(engine_logging.JsonFormatter().format(record))
    assert out["exc"].startswith("Traceback") and "RuntimeError: broken" in out["exc"]
    assert "exc" not in json.loads(engine_logging.JsonFormatter().format(_record()))


def _ours(root: logging.Logger) -> list[logging.Handler]:
    return [h for h in root.handlers if getattr(h, "_codeflash_engine", False)]


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    access = logging.getLogger("aiohttp.access").level
    for handler in handlers:
        root.removeHandler(handler)
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(access)


def test_configure_logging_adds_one_json_handler_and_sets_the_level(
    root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("aiohttp.access").setLevel(logging.DEBUG)
    engine_logging.configure_logging("debug")
    assert root_logger.level == logging.DEBUG
    assert logging.getLogger("aiohttp.access").level == logging.WARNING
    engine_logging.configure_logging("error")
    assert len(_ours(root_logger)) == 1 and root_logger.level == logging.ERROR
    rid = engine_logging.request_id_var.set("r-9")
    try:
        logging.getLogger("engine.x").error("went %s", "wrong", extra={"route": "/r"})
        logging.getLogger("engine.x").warning("below the level")
    finally:
        engine_logging.request_id_var.reset(rid)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert (out["msg"], out["level"], out["request_id"], out["route"]) == ("went wrong", "error", "r-9", "/r")


def test_configure_logging_keeps_other_handlers(root_logger: logging.Logger) -> None:
    other = logging.NullHandler()
    root_logger.addHandler(other)
    engine_logging.configure_logging("info")
    engine_logging.configure_logging("info")
    assert other in root_logger.handlers and len(_ours(root_logger)) == 1


# ------------------------------------------------------------------------------ commands.plugin_new


def _new(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(cli.main, ["plugins", "new", "kotlin", "-o", str(tmp_path), *args])


def test_the_names_are_filled_in_everywhere(tmp_path: Path) -> None:
    from codeflash_engine import __version__

    result = _new(tmp_path, "--extension", ".kt", "--comment-prefix", "#", "--language", "kt_lang")
    assert result.exit_code == 0, result.output
    project = tmp_path / "kotlin"
    pyproject = (project / "pyproject.toml").read_text()
    major, minor = __version__.split(".")[:2]
    assert f'dependencies = ["codeflash-engine>={major}.{minor}"]' in pyproject
    assert 'description = "Kotlin language plugin for codeflash-engine."' in pyproject
    plugin = (project / "codeflash_engine_kotlin" / "plugin.py").read_text()
    assert 'name="kt_lang"' in plugin and 'extensions=(".kt",)' in plugin and 'comment_prefix="#"' in plugin
    assert "..kt" not in plugin


def test_the_output_lists_every_file_written_and_the_next_steps(tmp_path: Path) -> None:
    result = _new(tmp_path, "--title", "Kt")
    project = tmp_path / "kotlin"
    written = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    lines = result.output.splitlines()
    assert lines[0] == f"created codeflash-engine-kotlin in {project} ({len(written)} files):"
    assert lines[1 : 1 + len(written)] == [f"  {p}" for p in written]
    assert lines[1 + len(written) :] == [
        "",
        "next:",
        f"  cd {project}",
        "  pip install -e '.[test]'",
        "  pytest                  # your tests and the conformance suite",
        "  codeflash-engine plugins list",
    ]
    assert "Tests of the Kt plugin." in (project / "tests" / "conftest.py").read_text()


def test_an_existing_empty_folder_is_written_into(tmp_path: Path) -> None:
    (tmp_path / "kotlin").mkdir()
    assert _new(tmp_path).exit_code == 0
    assert (tmp_path / "kotlin" / "pyproject.toml").is_file()


@pytest.mark.parametrize("folder", ["a/b", "a\\b", ".", "..", " ", ""])
def test_a_folder_that_is_a_path_is_refused(tmp_path: Path, folder: str) -> None:
    result = _new(tmp_path, "--folder", folder)
    assert result.exit_code == 2 and "a folder name, not a path" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_bad_language_name_is_refused(tmp_path: Path) -> None:
    result = _new(tmp_path, "--language", "Kotlin")
    assert result.exit_code == 2 and "--language" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_template_is_rendered_file_by_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``.tmpl`` files are filled and lose the suffix, others are copied byte for byte (even with
    placeholders in them), ``__DOT__`` and other placeholders in names are replaced, caches are skipped."""
    from codeflash_engine.commands import plugin_new

    template = tmp_path / "template"
    (template / "__PACKAGE__" / "__pycache__").mkdir(parents=True)
    (template / "__PACKAGE__" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (template / "__PACKAGE__" / "mod.py.tmpl").write_text("name = '__PLUGIN__' # __COMMENT__\n")
    (template / "__PACKAGE__" / "raw.j2").write_text("{{ __PLUGIN__ }}\n")
    (template / "__DOT__gitignore").write_text("dist/\n")
    monkeypatch.setattr(plugin_new, "template_root", lambda: template)
    names = plugin_new.PluginNames(plugin="zig", language="zig", extension=".zig", comment_prefix="//", title="Zig")
    out = tmp_path / "out"
    written = plugin_new.render_template(names, out)
    assert [str(p.relative_to(out)) for p in written] == [
        ".gitignore",
        "codeflash_engine_zig/mod.py",
        "codeflash_engine_zig/raw.j2",
    ]
    assert (out / "codeflash_engine_zig" / "mod.py").read_text() == "name = 'zig' # //\n"
    assert (out / "codeflash_engine_zig" / "raw.j2").read_text() == "{{ __PLUGIN__ }}\n"


def test_the_output_folder_is_created_with_its_parents(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["plugins", "new", "kotlin", "-o", str(tmp_path / "a" / "b")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "b" / "kotlin" / "pyproject.toml").is_file()


def test_an_output_dir_that_is_a_file_is_refused_as_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    result = CliRunner().invoke(cli.main, ["plugins", "new", "kotlin", "-o", str(tmp_path / "f")])
    assert result.exit_code == 2 and "is a file" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_the_help_shows_the_defaults_of_the_output_dir_and_comment_prefix() -> None:
    result = CliRunner().invoke(cli.main, ["plugins", "new", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "created. [default: .]" in text
    assert "What starts a line comment. [default: //]" in text


# ------------------------------------------------------------------------------ kit.engine_check


@pytest.fixture(scope="module")
def toy_put() -> PluginUnderTest:
    return plugin_under_test(toy_plugins.toy_samples(), fresh=True)


FAST_BLOCK = "```toy:pkg/stats.toy\nimport math\n\n\ndef spread(xs):\n    return math.sqrt(sum(xs))\n```"


def _candidate(source: str = FAST_BLOCK, optimization_id: str = "c1", parent_id: str | None = None) -> dict[str, Any]:
    return {"source_code": source, "explanation": "faster", "optimization_id": optimization_id, "parent_id": parent_id}


def _refused(put: PluginUnderTest, endpoint: str, body: Any, out: Any) -> str:
    with pytest.raises(ConformanceError) as caught:
        engine_check.check_answer(put, endpoint, body, out)
    message = str(caught.value)
    assert message.startswith("[engine] ")
    return message


@pytest.mark.parametrize("endpoint", ["/ai/optimize", "/ai/optimize-line-profiler"])
def test_optimize_answers_need_a_readable_candidate(toy_put: PluginUnderTest, endpoint: str) -> None:
    engine_check.check_answer(toy_put, endpoint, {}, {"optimizations": [_candidate()]})
    alias = FAST_BLOCK.replace("```toy:", "```toylang:")
    engine_check.check_answer(toy_put, endpoint, {}, {"optimizations": [_candidate(alias)]})
    assert f"{endpoint}: no candidate from the samples' first improved answer" in _refused(
        toy_put, endpoint, {}, {"optimizations": []}
    )
    not_python = _candidate(FAST_BLOCK.replace("```toy:", "```python:").replace("sum(xs))", "sum(xs)"))
    assert "block tag 'python'" in _refused(toy_put, endpoint, {}, {"optimizations": [not_python]})  # not compiled
    foreign = FAST_BLOCK.replace("```toy:", "```python:")
    assert "block tag 'python'" in _refused(toy_put, endpoint, {}, {"optimizations": [_candidate(foreign)]})
    unknown = FAST_BLOCK.replace("```toy:", "```cobol:")
    assert "block tag 'cobol'" in _refused(toy_put, endpoint, {}, {"optimizations": [_candidate(unknown)]})
    moved = FAST_BLOCK.replace("pkg/stats.toy", "moved/pkg/stats.toy")
    assert "block path 'moved/pkg/stats.toy'" in _refused(toy_put, endpoint, {}, {"optimizations": [_candidate(moved)]})
    broken = FAST_BLOCK.replace("sum(xs))", "sum(xs)")
    assert "would drop this candidate: pkg/stats.toy" in _refused(
        toy_put, endpoint, {}, {"optimizations": [_candidate(broken)]}
    )
    twice = [_candidate(), _candidate()]
    assert "optimization ids must be unique" in _refused(toy_put, endpoint, {}, {"optimizations": twice})


def test_follow_up_candidates_name_their_parent(toy_put: PluginUnderTest) -> None:
    refinement = [{"optimization_id": "p1"}, {"optimization_id": "p2"}, {"optimization_id": "p3"}]
    engine_check.check_answer(toy_put, "/ai/refinement", refinement, {"refinements": [_candidate(parent_id="p1")]})
    assert "/ai/refinement: " in _refused(
        toy_put, "/ai/refinement", refinement, {"refinements": [_candidate(parent_id="p2")]}
    )
    repair = {"optimization_id": "r1"}
    engine_check.check_answer(toy_put, "/ai/code_repair", repair, _candidate(parent_id="r1"))
    assert "/ai/code_repair: " in _refused(toy_put, "/ai/code_repair", repair, _candidate(parent_id="p1"))
    adaptive = {"candidates": [{"optimization_id": "a0"}, {"optimization_id": "a1"}, {"optimization_id": "a2"}]}
    engine_check.check_answer(toy_put, "/ai/adaptive_optimize", adaptive, _candidate(parent_id="a2"))
    assert "/ai/adaptive_optimize: " in _refused(toy_put, "/ai/adaptive_optimize", adaptive, _candidate(parent_id="a1"))
    moved = FAST_BLOCK.replace("pkg/stats.toy", "pkg/other.toy")
    assert "block path" in _refused(toy_put, "/ai/code_repair", repair, _candidate(moved, parent_id="r1"))


@pytest.mark.parametrize("endpoint", ["/ai/testgen", "/ai/testgen_repair"])
def test_generated_tests_must_be_three_valid_files(toy_put: PluginUnderTest, endpoint: str) -> None:
    good = {
        "generated_tests": "def test_a():\n    pass\n",
        "instrumented_behavior_tests": "x = 1\n",
        "instrumented_perf_tests": "y = 2\n",
    }
    engine_check.check_answer(toy_put, endpoint, {}, good)
    for key in good:
        for bad in ("", "  \n", None):
            assert f"{key} must be a non-empty string" in _refused(toy_put, endpoint, {}, {**good, key: bad})
        assert f"{key} does not validate" in _refused(toy_put, endpoint, {}, {**good, key: "def f(:\n"})


def test_a_ranking_holds_indices_of_the_candidates_sent(toy_put: PluginUnderTest) -> None:
    body = {"optimization_ids": ["o0", "o1", "o2"]}
    for ranking in ([2, 0, 1], [0], None, []):
        engine_check.check_answer(toy_put, "/ai/rank", body, {"ranking": ranking})
    for wrong in ([3, 0], [0, -1], [1.0], ["1"]):
        assert "out of range" in _refused(toy_put, "/ai/rank", body, {"ranking": wrong})


def test_explain_review_and_testgen_review_answers(toy_put: PluginUnderTest) -> None:
    engine_check.check_answer(toy_put, "/ai/explain", {}, {"explanation": ""})
    assert "explanation must be a string" in _refused(toy_put, "/ai/explain", {}, {"explanation": None})
    for review in ("high", "medium", "low", ""):
        engine_check.check_answer(toy_put, "/ai/optimization_review", {}, {"review": review})
    assert "review 'great'" in _refused(toy_put, "/ai/optimization_review", {}, {"review": "great"})
    engine_check.check_answer(toy_put, "/ai/testgen_review", {}, {"reviews": []})
    engine_check.check_answer(toy_put, "/ai/testgen_review", {}, {})
    assert "reviews must be a list" in _refused(toy_put, "/ai/testgen_review", {}, {"reviews": {}})
    engine_check.check_answer(toy_put, "/ai/log_features", {}, None)  # no contract beyond the 200


def test_check_engine_refuses_a_non_200_and_checks_a_200(
    toy_put: PluginUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[tuple[int, Any]] = [(500, {"error": "boom"}), (200, {"explanation": 3}), (200, {"explanation": "ok"})]
    sent: list[tuple[str, Any, str]] = []

    async def post(put: PluginUnderTest, endpoint: str, body: Any, answer: str) -> tuple[int, Any]:
        sent.append((endpoint, body, answer))
        return answers.pop(0)

    monkeypatch.setattr(engine_check, "post_through_engine", post)
    with pytest.raises(ConformanceError, match=r"^\[engine\] /ai/explain answered 500: \{'error': 'boom'\}$"):
        engine_check.check_engine(toy_put, "/ai/explain")
    with pytest.raises(ConformanceError, match="explanation must be a string"):
        engine_check.check_engine(toy_put, "/ai/explain")
    engine_check.check_engine(toy_put, "/ai/explain")
    endpoint, body, answer = sent[0]
    assert [e for e, _, _ in sent] == ["/ai/explain"] * 3 and endpoint == "/ai/explain"
    assert body == sample_requests(toy_put.samples, comment_prefix="#")["/ai/explain"]
    assert answer == llm_answers(toy_put.samples)["/ai/explain"]


def test_the_engine_settings_talk_to_the_fake_only() -> None:
    fake = FakeLLM()
    settings = engine_settings(fake, codeflash_engine_request_deadline=7)
    assert settings.database_url is None
    assert settings.codeflash_engine_request_deadline == 7
    assert settings.codeflash_engine_plugins is None and settings.codeflash_engine_disabled_plugins == []
    assert engine_check.API_KEY in settings.codeflash_engine_api_keys.get_secret_value()
    assert engine_settings(fake).codeflash_engine_request_deadline == 20


# ------------------------------------------------------------------------------ kit.requests


def test_the_target_is_described_with_one_based_lines() -> None:
    samples = toy_plugins.toy_samples()
    described = function_to_optimize(samples)
    assert (described["starting_line"], described["ending_line"]) == (4, 8)  # "def spread" is line 4 of 8
    assert described["file_path"] == "/tmp/project/pkg/stats.toy"
    assert (described["parents"], described["is_method"]) == ([], False)
    elsewhere = toy_plugins.toy_samples(target="Stats.nowhere", signature="")
    described = function_to_optimize(elsewhere)
    assert described["starting_line"] == 1  # a name the code does not show: the first line
    assert described["function_name"] == "nowhere"
    assert (described["parents"], described["is_method"]) == ([{"name": "Stats", "type": "ClassDef"}], True)


def test_the_fence_tag_defaults_to_the_language() -> None:
    body = {"source_code": "```toy:a.toy\nx = 1\n```"}
    request = prompt_request(Task.OPTIMIZE, body, language="toy", language_version=None)
    assert request.fence_tag == "toy"
    assert prompt_request(Task.OPTIMIZE, body, language="toy", language_version=None, fence_tag="ty").fence_tag == "ty"
    assert [(f.path, f.code.strip()) for f in request.original] == [("a.toy", "x = 1")]


def test_nulls_null_every_optional_field_the_body_sends() -> None:
    samples = toy_plugins.toy_samples()
    runtime = prompt_requests(samples)[Task.EXPLAIN]
    nulled = prompt_requests(samples, nulls=True)[Task.EXPLAIN]
    assert runtime.fields["speedup"] == "14742%" and runtime.fields["acceptance_reason"] == "runtime"
    assert nulled.fields["speedup"] is None and nulled.fields["acceptance_reason"] is None
    assert nulled.fields["source_code"] == runtime.fields["source_code"]  # required: kept
    assert (runtime.language_version, nulled.language_version) == ("1.0", None)


# ------------------------------------------------------------------------------ kit.checks

#: broken toy plugin -> the checks that must refuse it (the rule is in the message)
REFUSALS: dict[type[toy_plugins.ToyPlugin], tuple[str, list[Callable[[PluginUnderTest], None]]]] = {
    toy_plugins.BrokenForeign: ("foreign", [lambda put: checks.check_foreign(put, "validate")]),
    toy_plugins.BrokenValidate: ("validate", [checks.check_validate_position]),
    toy_plugins.BrokenPostprocessValid: ("postprocess-valid", [checks.check_candidates_validate]),
    toy_plugins.BrokenTestsValid: ("postprocess-valid", [checks.check_tests_validate]),
    toy_plugins.BrokenIdentical: ("identical", [checks.check_not_identical]),
    toy_plugins.BrokenDuplicates: ("identical", [checks.check_no_duplicates]),
    toy_plugins.BrokenSignature: ("signature", [checks.check_signature]),
    toy_plugins.BrokenImproved: ("improved", [checks.check_improved]),
    toy_plugins.BrokenBuildPrompt: (
        "build-prompt",
        [lambda put: checks.check_build_prompt(put, Task.TESTGEN, nulls=False)],
    ),
    toy_plugins.BrokenApplyDiff: ("apply-diff", [checks.check_apply_diff_round_trip]),
    toy_plugins.BrokenAllOrNothing: ("apply-diff", [checks.check_apply_diff_all_or_nothing]),
    toy_plugins.BrokenCutOff: ("cut-off", [checks.check_cut_off]),
    toy_plugins.BrokenStreaming: ("streaming", [checks.check_streaming]),
    toy_plugins.BrokenPromptCode: ("prompt-code", [lambda put: checks.check_prompt_shows_code(put, Task.OPTIMIZE)]),
}


def every_check(put: PluginUnderTest) -> None:
    """Every check of the suite but the engine's, as the suite runs them."""
    checks.check_registers(put)
    for hook in checks.LANGUAGE_HOOKS:
        checks.check_foreign(put, hook)
    checks.check_validate_valid(put)
    checks.check_validate_position(put)
    checks.check_candidates_validate(put)
    checks.check_tests_validate(put)
    checks.check_not_identical(put)
    checks.check_no_duplicates(put)
    checks.check_signature(put)
    checks.check_improved(put)
    checks.check_cut_off(put)
    checks.check_streaming(put)
    for task in tasks_for(put.samples.language):
        checks.check_prompt_shows_code(put, task)
        checks.check_build_prompt(put, task, nulls=False)
        checks.check_build_prompt(put, task, nulls=True)
    checks.check_apply_diff_round_trip(put)
    checks.check_apply_diff_all_or_nothing(put)


def test_every_check_passes_a_correct_plugin() -> None:
    every_check(plugin_under_test(toy_plugins.toy_samples(), fresh=True))


@pytest.mark.parametrize("broken", list(REFUSALS), ids=lambda cls: cls.__name__)
def test_each_check_refuses_its_broken_plugin(broken: type[toy_plugins.ToyPlugin]) -> None:
    rule, refusing = REFUSALS[broken]
    put = plugin_under_test(toy_plugins.toy_samples(broken()), fresh=True)
    for check in refusing:
        with pytest.raises(ConformanceError, match=rf"^\[{re.escape(rule)}\] "):
            check(put)


def _put(plugin: object, **over: Any) -> PluginUnderTest:
    return plugin_under_test(toy_plugins.toy_samples(plugin, **over), fresh=True)


def _refusal(check: Callable[[], object], rule: str) -> str:
    with pytest.raises(ConformanceError) as caught:
        check()
    message = str(caught.value)
    assert message.startswith(f"[{rule}] "), message
    return message


class _NoExtensions(toy_plugins.ToyPlugin):
    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(attrs.evolve(toy_plugins.TOY, extensions=()))


class _NoFenceTags(toy_plugins.ToyPlugin):
    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(attrs.evolve(toy_plugins.TOY, fence_tags=()))


class _UnknownHook:
    @hookimpl
    def no_such_hook(self) -> None:
        return None


def test_registers_needs_extensions_fence_tags_and_a_loadable_plugin() -> None:
    checks.check_registers(_put(toy_plugins.ToyPlugin()))
    assert "declare file extensions" in _refusal(lambda: checks.check_registers(_put(_NoExtensions())), "registers")
    assert "declare file extensions" in _refusal(lambda: checks.check_registers(_put(_NoFenceTags())), "registers")
    assert "does not register language 'toy'" in _refusal(
        lambda: checks.check_registers(_put(toy_plugins.BrokenRegisters())), "registers"
    )
    assert "the plugin does not load" in _refusal(lambda: _put(_UnknownHook()), "registers")
    assert "no entry point named 'no-such-plugin'" in _refusal(lambda: _put("no-such-plugin"), "registers")


def test_the_loaded_plugin_is_cached_per_samples_unless_fresh() -> None:
    samples = toy_plugins.toy_samples()
    first = plugin_under_test(samples)
    assert plugin_under_test(samples) is first
    assert plugin_under_test(samples, fresh=True) is not first
    assert first.name == "toy-under-test" and first.fence_tag == "toy"
    assert set(first.owned) == {"toy", "toylang"}


def test_a_batch_names_each_answer_by_kind() -> None:
    put = _put(toy_plugins.ToyPlugin(), invalid_answers=["```toy:pkg/stats.toy\ndef (\n```"])
    batch = put.batch()
    assert batch.kinds == (
        "improved",
        "improved",
        "identical",
        "identical",
        "changed signature",
        "invalid",
        "invalid",
        "duplicate",
    )
    assert batch.indices("identical") == [2, 3] and batch.indices("nothing") == []
    assert batch.answers[-1] == batch.answers[0]
    assert batch.describe(0) == "answer #1 (improved)" and batch.describe(7) == "answer #8 (duplicate)"
    assert batch.describe(8) == "answer #9" and batch.describe(-1) == "answer #0"


class _Returns(toy_plugins.ToyPlugin):
    def __init__(self, make: Callable[[CandidatesRequest], Any]) -> None:
        self.make = make

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        found = super().postprocess_candidates(request) or []
        return self.make(request) if request.answers and found else found


def _candidate_of(request: CandidatesRequest, index: int) -> Candidate:
    code = "import math\n\n\ndef spread(xs):\n    return math.fsum(xs) ** 0.5\n"
    return Candidate(files=(CodeFile("pkg/stats.toy", code),), answer_index=index)


def test_candidates_must_be_a_list_of_candidates_of_the_answers_sent() -> None:
    def check(make: Callable[[CandidatesRequest], Any]) -> str:
        return _refusal(lambda: _put(_Returns(make)).candidates(named_target=False), "postprocess-valid")

    assert "must return a list of Candidate" in check(lambda r: ({"files": []},))
    assert "must return a list of Candidate" in check(lambda r: [_candidate_of(r, 0), "x"])
    assert "at least one CodeFile" in check(lambda r: [Candidate(files=(), answer_index=0)])
    assert "answer_index 7 is not an index" in check(lambda r: [_candidate_of(r, len(r.answers))])
    assert "answer_index -1 is not an index" in check(lambda r: [_candidate_of(r, -1)])
    last = _put(_Returns(lambda r: [_candidate_of(r, len(r.answers) - 1)])).candidates(named_target=True)
    assert [c.answer_index for c in last] == [6]


class _Problems(toy_plugins.ToyPlugin):
    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        found = super().validate(language, code, language_version)
        return self.problems if found else found


def test_validate_positions_are_one_based_and_where_the_samples_say() -> None:
    def check(problems: list[Any], **over: Any) -> None:
        checks.check_validate_position(_put(_Problems(problems), **over))

    check([SyntaxProblem(2, 21, "x")])
    check([SyntaxProblem(2, 5, "x")], invalid_column=None)
    check([SyntaxProblem(2, 21, "x"), SyntaxProblem(7, 1, "end of file")])  # 6 lines: one past the end is fine
    assert "column 20, expected column 21" in _refusal(lambda: check([SyntaxProblem(2, 20, "x")]), "validate")
    assert "on line 3, expected line 2" in _refusal(lambda: check([SyntaxProblem(3, 21, "x")]), "validate")
    assert "on line 1, expected line 2" in _refusal(lambda: check([SyntaxProblem(1, 21, "x")]), "validate")
    for outside in (SyntaxProblem(0, 1, "x"), SyntaxProblem(8, 1, "x"), SyntaxProblem(2, 0, "x")):
        assert "outside the code" in _refusal(
            functools.partial(check, [SyntaxProblem(2, 21, "x"), outside]), "validate"
        )
    assert "SyntaxProblem objects" in _refusal(lambda: check([(2, 21, "x")]), "validate")
    assert "accepts the invalid sample" in _refusal(lambda: check([]), "validate")


class _RejectsUtil(toy_plugins.ToyPlugin):
    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        if "def unit" in code:
            return [SyntaxProblem(1, 1, "no")]
        return super().validate(language, code, language_version)


def test_validate_must_accept_the_valid_sample_and_every_original_file() -> None:
    assert "rejects the original pkg/util.toy sample" in _refusal(
        lambda: checks.check_validate_valid(_put(_RejectsUtil())), "validate"
    )
    assert "rejects the valid sample" in _refusal(
        lambda: checks.check_validate_valid(_put(toy_plugins.ToyPlugin(), valid="def (")), "validate"
    )


class _Prompts(toy_plugins.ToyPlugin):
    def __init__(self, change: Callable[[Prompt], Any]) -> None:
        self.change = change

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        prompt = super().build_prompt(request)
        assert prompt is not None
        return self.change(prompt)  # type: ignore[no-any-return]


def test_build_prompt_refuses_what_the_engine_could_not_send() -> None:
    def check(change: Callable[[Prompt], Any], task: Task = Task.OPTIMIZE) -> str:
        return _refusal(lambda: checks.check_build_prompt(_put(_Prompts(change)), task, nulls=True), "build-prompt")

    assert "must return a Prompt or None" in check(lambda p: "text")
    assert "the system or the user message is empty" in check(lambda p: attrs.evolve(p, system=" \n"))
    assert "the system or the user message is empty" in check(lambda p: attrs.evolve(p, user=""))
    assert "cache_prefix_chars -1" in check(lambda p: attrs.evolve(p, cache_prefix_chars=-1))
    assert "cache_prefix_chars" in check(lambda p: attrs.evolve(p, cache_prefix_chars=len(p.user) + 1))
    assert "'{%' left in the rendered prompt" in check(lambda p: attrs.evolve(p, system=p.system + "{% if x %}"))
    assert "'<<<cache-break>>>' left" in check(lambda p: attrs.evolve(p, user=p.user + "<<<cache-break>>>"))
    assert "no 'spread' in it" in check(lambda p: Prompt(system="Be fast.", user="Make it fast."))
    fine = _put(_Prompts(lambda p: attrs.evolve(p, cache_prefix_chars=len(p.user))))
    checks.check_build_prompt(fine, Task.OPTIMIZE, nulls=False)
    checks.check_build_prompt(_put(_Prompts(lambda p: None)), Task.OPTIMIZE, nulls=False)  # the builtin renders
    nameless = _put(_Prompts(lambda p: Prompt(system="Rank.", user="The diffs.")))
    checks.check_build_prompt(nameless, Task.RANK, nulls=False)  # rank works on diffs, not on the code


class _ShowsLines(toy_plugins.ToyPlugin):
    def __init__(self, hidden: int, code: str = toy_plugins.ORIGINAL) -> None:
        self.hidden = hidden
        self.code = code

    @hookimpl
    def build_prompt(self, request: PromptRequest) -> Prompt | None:
        lines = [line.strip() for line in self.code.splitlines() if line.strip()]
        return Prompt(system="Optimize.", user="\n".join(lines[self.hidden :]))


def test_the_user_message_must_show_four_lines_in_five() -> None:
    checks.check_prompt_shows_code(_put(_ShowsLines(1)), Task.OPTIMIZE)  # 5 of 6 lines shown
    message = _refusal(lambda: checks.check_prompt_shows_code(_put(_ShowsLines(2)), Task.OPTIMIZE), "prompt-code")
    assert "lacks 2 of the 6 lines of pkg/stats.toy, e.g. 'import math'" in message
    checks.check_prompt_shows_code(_put(_ShowsLines(6)), Task.WORKFLOW)  # not a task on code
    longer = toy_plugins.ORIGINAL + "\n\ndef extra():\n    return 2\n"  # 8 lines: 2 missing is one in four
    original = {"pkg/stats.toy": longer}
    message = _refusal(
        lambda: checks.check_prompt_shows_code(_put(_ShowsLines(2, longer), original=original), Task.OPTIMIZE),
        "prompt-code",
    )
    assert "lacks 2 of the 8 lines" in message
    checks.check_prompt_shows_code(_put(toy_plugins.BrokenBuildPrompt()), Task.TESTGEN)  # build-prompt's concern


class _Tests(toy_plugins.ToyPlugin):
    def __init__(self, answer: Callable[[TestsRequest], Any]) -> None:
        self.answer_with = answer

    @hookimpl
    def postprocess_tests(self, request: TestsRequest) -> GeneratedTests | None:
        return self.answer_with(request)  # type: ignore[no-any-return]


def _tests(generated: str = "x = 1\n", behavior: str = "y = 2\n", perf: str = "z = 3\n") -> GeneratedTests:
    return GeneratedTests(generated=generated, instrumented_behavior=behavior, instrumented_perf=perf)


def test_postprocess_tests_returns_three_valid_files_or_raises() -> None:
    def check(answer: Callable[[TestsRequest], Any]) -> str:
        return _refusal(lambda: checks.check_tests_validate(_put(_Tests(answer))), "postprocess-valid")

    assert "must return GeneratedTests" in check(lambda r: "tests")
    for field, kwargs in (
        ("generated", {"generated": " "}),
        ("instrumented_behavior", {"behavior": ""}),
        ("instrumented_perf", {"perf": "\n"}),
    ):
        assert f"gave an empty {field}" in check(lambda r, kwargs=kwargs: _tests(**kwargs))  # type: ignore[misc]
    assert "gave a instrumented_perf that validate rejects" in check(lambda r: _tests(perf="def ("))

    def text_without_code(request: TestsRequest) -> Any:
        if "```" not in request.answer.text:
            return "no tests"
        return toy_plugins.ToyPlugin().postprocess_tests(request)

    assert "postprocess_tests(an answer without code) returned 'no tests': raise ValueError" in check(text_without_code)

    def blank_without_code(request: TestsRequest) -> Any:
        if "```" not in request.answer.text:
            return _tests(generated=" ")
        return toy_plugins.ToyPlugin().postprocess_tests(request)

    assert "(an answer without code) returned an unusable generated (no problem)" in check(blank_without_code)

    def from_code(request: TestsRequest) -> Any:
        if "```" not in request.answer.text:
            raise ValueError("no code")
        return _tests(generated=request.answer.text.split("```toy")[1].split("```")[0])

    assert "(an answer with invalid code) returned an unusable generated" in check(from_code)

    def blank_when_cut_off(request: TestsRequest) -> Any:
        if request.answer.finish_reason != "length":
            return toy_plugins.ToyPlugin().postprocess_tests(request)
        return _tests(behavior=" ")

    assert "(an answer cut off by the token limit) returned an unusable instrumented_behavior" in check(
        blank_when_cut_off
    )
    checks.check_tests_validate(_put(toy_plugins.ToyPlugin()))


def test_identical_candidates_and_unchanged_files_are_refused() -> None:
    def check(make: Callable[[CandidatesRequest], Any]) -> str:
        return _refusal(lambda: checks.check_not_identical(_put(_Returns(make))), "identical")

    util = CodeFile("pkg/util.toy", "def unit():\n    return 1\n")
    same = CodeFile("pkg/stats.toy", toy_plugins.ORIGINAL.replace("    ", "  "))
    assert "is identical to the original" in check(lambda r: [Candidate(files=(same, util), answer_index=0)])
    changed = _candidate_of(CandidatesRequest, 0).files  # type: ignore[arg-type]
    assert "returns ['pkg/util.toy'] unchanged" in check(lambda r: [Candidate(files=(*changed, util), answer_index=0)])
    assert "answer #3 (identical) is the original again" in check(lambda r: [Candidate(files=changed, answer_index=2)])


def test_two_candidates_with_the_same_code_are_refused_whatever_their_answers() -> None:
    def check(make: Callable[[CandidatesRequest], Any]) -> str:
        return _refusal(lambda: checks.check_no_duplicates(_put(_Returns(make))), "identical")

    message = check(lambda r: [_candidate_of(r, 0), _candidate_of(r, 1)])
    assert "from answer #1 (improved) and answer #2 (improved) are the same code" in message
    spaced = attrs.evolve(
        _candidate_of(CandidatesRequest, 1),  # type: ignore[arg-type]
        files=(CodeFile("pkg/stats.toy", "import math\ndef spread(xs):\n  return math.fsum(xs)**0.5"),),
    )
    assert "are the same code" in check(lambda r: [_candidate_of(r, 0), spaced])
    other = attrs.evolve(spaced, files=(CodeFile("pkg/util.toy", spaced.files[0].code),))
    checks.check_no_duplicates(_put(_Returns(lambda r: [_candidate_of(r, 0), other])))


def test_a_signature_lost_in_another_file_does_not_count() -> None:
    moved = Candidate(files=(CodeFile("pkg/util.toy", "def unit():\n    return 2\n"),), answer_index=0)
    checks.check_signature(_put(_Returns(lambda r: [moved])))
    lost = Candidate(files=(CodeFile("pkg/stats.toy", "def spread(ys):\n    return 0\n"),), answer_index=1)
    message = _refusal(lambda: checks.check_signature(_put(_Returns(lambda r: [lost]))), "signature")
    assert "target inferred, as /ai/optimize sends it: the candidate from answer #2 (improved)" in message


def test_every_improved_answer_must_become_a_candidate() -> None:
    only_first = _Returns(
        lambda r: [c for c in toy_plugins.ToyPlugin().postprocess_candidates(r) or [] if c.answer_index == 0]
    )
    message = _refusal(lambda: checks.check_improved(_put(only_first)), "improved")
    assert "answer #2 (improved) is a good answer but gave no candidate:\nKeep a local." in message


def test_a_cut_off_answer_names_the_answer() -> None:
    message = _refusal(lambda: checks.check_cut_off(_put(toy_plugins.BrokenCutOff())), "cut-off")
    assert message.startswith("[cut-off] answer #1 (improved) ended with finish_reason 'length'")


class _OwnsPython(toy_plugins.ToyPlugin):
    """Registers python too, and its validate raises for any language it does not own."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(toy_plugins.TOY)
        register(LanguageSpec(name="python", aliases=("py",), extensions=(".py",), fence_tags=("python",)))

    @hookimpl
    def validate(self, language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
        if language not in ("toy", "python"):
            raise KeyError(language)
        return super().validate(language, code, language_version)


class _DiffNeedsALanguage(toy_plugins.ToyPlugin):
    @hookimpl
    def apply_diff(self, request: DiffRequest) -> DiffResult | None:
        assert request.language is not None
        return super().apply_diff(request)


def test_foreign_languages_are_those_the_plugin_does_not_own() -> None:
    message = _refusal(lambda: checks.check_foreign(_put(_OwnsPython()), "validate"), "foreign")
    assert message.startswith("[foreign] validate(language='codeflash-conformance-foreign') raised KeyError")
    assert "language='python'" not in message
    message = _refusal(lambda: checks.check_foreign(_put(_DiffNeedsALanguage()), "apply_diff"), "foreign")
    assert "apply_diff(language=None) raised AssertionError" in message
    with pytest.raises(ValueError, match="nope"):
        checks.foreign_call(_put(toy_plugins.ToyPlugin()), "nope", "go")


def test_the_edit_texts_come_from_edited_or_the_first_improved_answer() -> None:
    before, after = checks.diff_texts(_put(toy_plugins.ToyPlugin()))
    assert set(before) == {"pkg/stats.toy", "pkg/util.toy"} and list(after) == ["pkg/stats.toy"]
    assert after["pkg/stats.toy"] == "import math\n\n\n" + toy_plugins.FAST
    edited = {"pkg/util.toy": "def unit():\n    return 2", "pkg/stats.toy": toy_plugins.ORIGINAL}
    before, after = checks.diff_texts(_put(toy_plugins.ToyPlugin(), edited=edited))
    assert after == {"pkg/util.toy": "def unit():\n    return 2\n"}  # a final newline added; unchanged left out
    checks.check_apply_diff_round_trip(_put(toy_plugins.ToyPlugin(), edited=edited))
    with pytest.raises(ValueError, match="set `edited`"):
        checks.diff_texts(_put(toy_plugins.ToyPlugin(), edited={"pkg/stats.toy": toy_plugins.ORIGINAL}))


class _DiffReturns(toy_plugins.ToyPlugin):
    def __init__(self, result: Callable[[DiffResult], Any]) -> None:
        self.result = result

    @hookimpl
    def apply_diff(self, request: DiffRequest) -> DiffResult | None:
        result = super().apply_diff(request)
        assert result is not None
        return self.result(result)  # type: ignore[no-any-return]


def test_apply_diff_must_return_the_edited_files_without_errors() -> None:
    def check(result: Callable[[DiffResult], Any], which: Callable[[PluginUnderTest], None]) -> str:
        return _refusal(lambda: which(_put(_DiffReturns(result))), "apply-diff")

    round_trip = checks.check_apply_diff_round_trip
    assert "must return a DiffResult" in check(lambda r: {"files": r.files}, round_trip)
    assert "SEARCH/REPLACE edit to the edited text: errors ['x']" in check(
        lambda r: attrs.evolve(r, errors=("x",)), round_trip
    )
    message = check(
        lambda r: r if "fsum" in str(r.files) or "sum(xs))" in str(r.files) else attrs.evolve(r, files={}), round_trip
    )
    assert "SEARCH/REPLACE edit back to the original" in message
    assert "was applied" in check(
        lambda r: attrs.evolve(r, files={}, errors=()), checks.check_apply_diff_all_or_nothing
    )


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("```toy\nx = 1\n```\nMore prose.\n```toy\ny = 2\n```", "x = 1"),
        ("```python\nx = 1\n```", "x = 1"),
        ("Here:\n```\nx = 2\n```\n", "x = 2"),
        ("  x = 3\n", "x = 3"),
    ],
    ids=["first-fenced", "other-tag", "untagged", "bare"],
)
def test_the_tests_code_is_the_answers_first_block(answer: str, code: str) -> None:
    assert code_of_tests(toy_plugins.toy_samples(test_answer=answer)) == code


def test_the_rank_diffs_are_well_formed_unified_diffs_of_the_target() -> None:
    """Each line of a diff on a line of its own: a last line without a newline is marked, not glued
    to the next one (the kit used to send ``-    return math.sqrt(total)+    return ...``)."""
    body = sample_requests(toy_plugins.toy_samples())["/ai/rank"]
    first, second = body["diffs"]
    no_newline = "\\ No newline at end of file"
    assert first.startswith("--- a/pkg/stats.toy\n+++ b/pkg/stats.toy\n@@ -2,7 +2,4 @@\n")
    assert first.endswith(
        f"\n-    return math.sqrt(total)\n{no_newline}\n+    return math.sqrt(sum(xs))\n{no_newline}\n"
    )
    assert all(line[:1] in "-+@ \\" for line in first.splitlines())
    assert second == (
        "--- a/pkg/stats.toy\n+++ b/pkg/stats.toy\n@@ -5,4 +5,4 @@\n"
        "     total = 0\n     for x in xs:\n         total = total + x\n"
        f"-    return math.sqrt(total)\n{no_newline}\n+    return math.sqrt(total)\n"
    )
    assert len(body["diffs"]) == len(body["optimization_ids"]) == len(body["speedups"])


def test_the_scripted_answers_fit_the_sample_requests() -> None:
    samples = toy_plugins.toy_samples()
    bodies, answers = sample_requests(samples), llm_answers(samples)
    reviewed = {r["test_index"] for r in json.loads(answers["/ai/testgen_review"])["reviews"]}
    assert reviewed == {t["test_index"] for t in bodies["/ai/testgen_review"]["tests"]}
    assert sorted(json.loads(answers["/ai/rank"])["ranking"]) == list(range(len(bodies["/ai/rank"]["diffs"])))
    assert bodies["/ai/testgen"]["test_index"] == int(samples.test_module_path.rsplit("_", 1)[-1])


class _Minimal:
    """Registers toy and validates it; every other hook is the engine's default."""

    @hookimpl
    def register_languages(self, register: Callable[[LanguageSpec], None]) -> None:
        register(attrs.evolve(toy_plugins.TOY, fence_tags=()))

    validate = toy_plugins.ToyPlugin.validate


def test_hooks_the_plugin_leaves_to_the_engine() -> None:
    put = _put(_Minimal())
    assert put.implements("validate") and not put.implements("apply_diff")
    assert not put.implements("postprocess_tests") and not put.implements("build_prompt")
    with pytest.raises(LookupError, match="toy-under-test does not implement apply_diff"):
        put.call_own("apply_diff", request=None)
    assert put.fence_tag == "toy"  # no fence tag declared: the language's name
    checks.check_tests_validate(put)  # nothing to check
    checks.check_build_prompt(put, Task.OPTIMIZE, nulls=True)  # the engine's own prompt
    checks.check_validate_position(put)


class _Records(toy_plugins.ToyPlugin):
    def __init__(self) -> None:
        self.candidates: list[CandidatesRequest] = []
        self.tests: list[TestsRequest] = []

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        self.candidates.append(request)
        return super().postprocess_candidates(request)

    @hookimpl
    def postprocess_tests(self, request: TestsRequest) -> GeneratedTests | None:
        self.tests.append(request)
        return super().postprocess_tests(request)


def test_the_requests_the_checks_send_are_the_engines() -> None:
    plugin = _Records()
    put = _put(plugin, target="Stats.spread", testgen_fields={"module_system": "esm"})
    put.candidates(named_target=False)
    put.candidates(named_target=True)
    put.candidates(named_target=True)  # cached: not sent again
    inferred, named = plugin.candidates
    assert len(plugin.candidates) == 2
    assert inferred.target is None and inferred.task is Task.OPTIMIZE and inferred.fence_tags == ("toy",)
    assert named.target is not None and (named.target.qualified_name, named.target.path) == (
        "Stats.spread",
        "pkg/stats.toy",
    )
    assert [a.finish_reason for a in named.answers] == ["stop"] * len(put.batch().answers)
    assert named.language_version == "1.0" and named.original == put.samples.original
    checks.check_tests_validate(put)
    first = plugin.tests[0]
    assert (first.target.name, first.target.qualified_name, first.target.class_name) == (
        "spread",
        "Stats.spread",
        "Stats",
    )
    assert first.module_system == "esm" and first.test_framework == "pytest" and first.fence_tags == ("toy",)
    assert first.test_timeout == sample_requests(put.samples)["/ai/testgen"]["test_timeout"]
    assert [r.answer.finish_reason for r in plugin.tests] == ["stop", "stop", "stop", "length"]
    assert plugin.tests[1].answer.text == checks.NO_CODE_ANSWER
    plugin.candidates.clear()
    checks.check_cut_off(put)
    assert [a.finish_reason for a in plugin.candidates[0].answers] == ["length", "length"]


def test_the_sample_bodies_and_answers_are_stable(snapshot: SnapshotAssertion) -> None:
    """The bodies and answers a plugin author's own tests get from the kit's fixtures, in full:
    a value that changes changes their tests too, so it changes here first."""
    samples = toy_plugins.toy_samples()
    assert sample_requests(samples, comment_prefix="//") == snapshot(name="bodies")
    assert llm_answers(samples) == snapshot(name="answers")
    for endpoint in ("/ai/optimize", "/ai/refinement", "/ai/code_repair", "/ai/adaptive_optimize"):
        assert llm_answers(samples)[endpoint] == samples.improved[0]  # the answer the engine rule names


def test_the_target_of_a_request_comes_from_where_the_task_names_it() -> None:
    review = prompt_requests(toy_plugins.toy_samples(target="Stats.spread", signature=""))[Task.TESTGEN_REVIEW]
    assert review.target is not None and review.target.name == "spread"
    for name in (".", "", None):
        assert (
            prompt_request(Task.TESTGEN_REVIEW, {"function_name": name}, language="toy", language_version=None).target
            is None
        )
    optimize = prompt_request(Task.OPTIMIZE, {"function_name": "spread"}, language="toy", language_version=None)
    assert optimize.target is None  # left for the plugin to infer


def test_the_workflow_prompt_gets_the_sorted_file_names() -> None:
    body = {"repo_files": {"b.py": "", "a.py": "x = 1"}}
    workflow = prompt_request(Task.WORKFLOW, body, language="python", language_version=None)
    assert workflow.fields["file_names"] == ["a.py", "b.py"]
    empty = prompt_request(Task.WORKFLOW, {"repo_files": None}, language="python", language_version=None)
    assert empty.fields["file_names"] == []
    assert "file_names" not in prompt_request(Task.OPTIMIZE, body, language="python", language_version=None).fields


def test_the_line_profiler_request_names_the_profiled_function() -> None:
    requests = prompt_requests(toy_plugins.toy_samples())
    profiled = requests[Task.OPTIMIZE_LINE_PROFILER].target
    assert profiled is not None and profiled.name == "spread"
    assert requests[Task.OPTIMIZE].target is None


def test_the_optimized_code_is_the_first_file_of_the_improved_answer() -> None:
    util = "def unit():\n    return 2\n"
    answer = (
        f"Both.\n\n```toy:pkg/stats.toy\nimport math\n\n\n{toy_plugins.FAST}```\n\n```toy:pkg/util.toy\n{util}```\n"
    )
    bodies = sample_requests(toy_plugins.toy_samples(improved=[answer]))
    assert bodies["/ai/optimization_review"]["optimized_code"] == "import math\n\n\n" + toy_plugins.FAST.strip()
    assert "pkg/util.toy" in bodies["/ai/refinement"][0]["optimized_source_code"]


def test_the_engine_rule_quotes_the_first_problem() -> None:
    put = _put(_Problems([SyntaxProblem(1, 1, "first"), SyntaxProblem(2, 2, "second")]))
    tests = {"generated_tests": "def (", "instrumented_behavior_tests": "x = 1", "instrumented_perf_tests": "x = 1"}
    message = _refused(put, "/ai/testgen", {}, tests)
    assert message.endswith("generated_tests does not validate: line 1, column 1: first")
    broken = FAST_BLOCK.replace("sum(xs))", "sum(xs)")
    message = _refused(put, "/ai/optimize", {}, {"optimizations": [_candidate(broken)]})
    assert message.endswith("would drop this candidate: pkg/stats.toy: line 1, column 1: first")


class _StreamsOnlyNamed(toy_plugins.ToyPlugin):
    """Skips the last answer of a request whose target is not named (the /ai/optimize case)."""

    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        if request.target is None:
            request = attrs.evolve(request, answers=request.answers[:-1])
        return super().postprocess_candidates(request)


def test_streaming_is_checked_with_the_target_inferred_too() -> None:
    message = _refusal(lambda: checks.check_streaming(_put(_StreamsOnlyNamed())), "streaming")
    assert message.startswith("[streaming] target inferred, as /ai/optimize sends it: answers cleaned one at a time")


class _NoTestsForOthers(toy_plugins.ToyPlugin):
    @hookimpl
    def postprocess_tests(self, request: TestsRequest) -> GeneratedTests | None:
        if request.language != "toy":
            raise ValueError(f"no tests in {request.language}")
        return super().postprocess_tests(request)


class _OffByOneAlone(toy_plugins.ToyPlugin):
    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        found = super().postprocess_candidates(request) or []
        if len(request.answers) == 1:
            return [attrs.evolve(c, answer_index=c.answer_index + 1) for c in found]
        return found


def test_a_value_error_for_a_foreign_language_is_the_tests_hooks_way_to_decline() -> None:
    checks.check_foreign(_put(_NoTestsForOthers()), "postprocess_tests")


def test_an_answer_cleaned_alone_has_index_zero() -> None:
    message = _refusal(lambda: checks.check_streaming(_put(_OffByOneAlone())), "postprocess-valid")
    assert "answer_index 1 is not an index of the answers sent" in message


class _LosesSignatureWhenInferring(toy_plugins.ToyPlugin):
    @hookimpl
    def postprocess_candidates(self, request: CandidatesRequest) -> list[Candidate] | None:
        if request.target is None:
            return toy_plugins.BrokenSignature.postprocess_candidates(toy_plugins.BrokenSignature(), request)
        return super().postprocess_candidates(request)


def test_the_postprocess_rules_check_the_inferred_target_too() -> None:
    message = _refusal(lambda: checks.check_signature(_put(_LosesSignatureWhenInferring())), "signature")
    assert message.startswith("[signature] target inferred, as /ai/optimize sends it: ")


def test_the_same_files_in_another_order_are_a_duplicate() -> None:
    def both(request: CandidatesRequest) -> list[Candidate]:
        stats = _candidate_of(request, 0).files[0]
        util = CodeFile("pkg/util.toy", "def unit():\n    return 2\n")
        return [Candidate(files=(stats, util), answer_index=0), Candidate(files=(util, stats), answer_index=1)]

    assert "are the same code" in _refusal(lambda: checks.check_no_duplicates(_put(_Returns(both))), "identical")


def test_a_dropped_good_answer_is_quoted_up_to_400_characters() -> None:
    long = (
        "Keep a local. "
        + "Because. " * 60
        + "\n\n```toy:pkg/stats.toy\nimport math\n\n\ndef spread(xs):\n    s = sum(xs)\n    return math.sqrt(s)\n```\n"
    )
    improved = [toy_plugins.toy_samples().improved[0], long]
    only_first = _Returns(
        lambda r: [c for c in toy_plugins.ToyPlugin().postprocess_candidates(r) or [] if c.answer_index == 0]
    )
    message = _refusal(lambda: checks.check_improved(_put(only_first, improved=improved)), "improved")
    assert message.endswith(f"gave no candidate:\n{long[:400]}")


def test_two_files_with_the_same_code_in_another_order_are_a_duplicate() -> None:
    def both(request: CandidatesRequest) -> list[Candidate]:
        code = _candidate_of(request, 0).files[0].code
        stats, util = CodeFile("pkg/stats.toy", code), CodeFile("pkg/util.toy", code)
        return [Candidate(files=(stats, util), answer_index=0), Candidate(files=(util, stats), answer_index=1)]

    assert "are the same code" in _refusal(lambda: checks.check_no_duplicates(_put(_Returns(both))), "identical")


def test_serve_help_shows_the_default_workers_and_refuses_a_negative_cfapi_port(served: list[dict[str, Any]]) -> None:
    help_text = " ".join(CliRunner().invoke(cli.main, ["serve", "--help"]).output.split())
    assert "Worker processes sharing the port. [default: 1; 1<=x<=64]" in help_text
    assert CliRunner().invoke(cli.main, ["serve", "--cfapi-port", "-1"]).exit_code == 2
    assert served == []


def test_plugins_list_json_is_indented_by_two(monkeypatch: pytest.MonkeyPatch) -> None:
    result, _ = _listing(monkeypatch, {}, "--json")
    assert result.output.startswith('[\n  {\n    "name": "rust",\n')


def test_an_unreadable_server_is_reported_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    _serving(monkeypatch, OSError("connection refused"))
    result, _ = _listing(monkeypatch, {}, "--server", "http://h:1")
    assert "cannot read" in result.stderr and "cannot read" not in result.stdout
