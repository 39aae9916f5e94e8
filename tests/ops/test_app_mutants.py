"""Cases the mutation run (``scripts/mutation.py app http.server infra.integrations http.openapi
admin.render``) found unpinned.

- The application's resources (``app.py``), opened and closed through a real runner: the sampled
  metrics refreshed every second while serving and once more at shutdown, the loop monitor
  started only for a positive interval and stopped at cleanup, the recorder's drain, linger and
  retry cap, the collector's young-generation threshold after start-up.
- The server's guards (``http/server.py``): a failure below the application is a JSON 500/504
  logged at ERROR with its exception class (or status), a malformed request names the parser's
  exception class, a kept-alive connection's next request is cut when its headers trickle.
- The integrations (``infra/integrations.py``): keys scrubbed from every text field of a Sentry
  event, request and trace ids tagged, blank variables switch nothing on, a variable set without
  its package is reported, Sentry patches nothing by itself, PostHog failures never raise, the
  clients are closed once with bounded waits.
- The OpenAPI document (``http/openapi.py``): schemas, error statuses, security and media types
  per endpoint; endpoints need the key unless said public.
- The dashboard's rendering (``http/admin/render.py``): the filters, the template environment,
  chart data in a script block, a page whose store fails (503) or refuses (422).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import attrs
import jinja2
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import BaseModel, SecretStr, TypeAdapter

from codeflash_engine import __version__
from codeflash_engine.app import LOOP_MONITOR, create_app
from codeflash_engine.http.admin.render import chart_json, environment, page
from codeflash_engine.http.metrics import METRICS, RECORDER
from codeflash_engine.http.openapi import ApiRoutes, Endpoint, document
from codeflash_engine.http.routes import cfapi as cfapi_routes
from codeflash_engine.http.server import EngineRunner, engine_runner
from codeflash_engine.infra.db.types import StoreError, StoreUnavailable
from codeflash_engine.infra.integrations import EVENT, Integrations, _sentry_before_send, scrub_keys
from codeflash_engine.infra.logging import request_id_var, trace_id_var
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY

MONITOR_TASK = "codeflash-engine loop monitor"


@pytest.fixture
def make_app(fake_llm_settings: Callable[..., Settings]) -> Callable[..., web.Application]:
    def make(**overrides: Any) -> web.Application:
        settings = fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_api_keys=API_KEY, **overrides)
        return create_app(settings)

    return make


@pytest.fixture(autouse=True)
def gc_restored() -> Iterator[None]:
    """Start-up tunes the collector for the whole process: put it back after each test."""
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[web.AppRunner]:
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield runner
    finally:
        await runner.cleanup()


def monitor_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == MONITOR_TASK and not t.done()]


async def test_sampled_metrics_are_refreshed_every_second_while_serving_and_once_at_shutdown(
    make_app: Callable[..., web.Application], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(codeflash_engine_loop_monitor_interval=0)
    seen: list[Recorder | None] = []
    metrics = app[METRICS]
    refresh = metrics.refresh

    def counting(recorder: Recorder | None) -> None:
        seen.append(recorder)
        refresh(recorder)

    monkeypatch.setattr(metrics, "refresh", counting)
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: Any) -> Any:
        pauses.append(delay)
        return await real_sleep(delay, *args)

    runner = web.AppRunner(app)
    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    await runner.setup()
    try:
        for _ in range(5):
            await real_sleep(0)
        assert seen, "no refresh while serving"
        assert 1.0 in pauses, pauses  # the refresher waits one second between refreshes
        recorder = app[RECORDER]
        serving_refreshes = len(seen)
    finally:
        monkeypatch.setattr(asyncio, "sleep", real_sleep)
        await runner.cleanup()
    # the last refresh is taken after the recorder's drain, with the recorder
    assert len(seen) == serving_refreshes + 1 and seen[-1] is recorder


async def test_the_recorder_drains_for_15_s_lingers_50_ms_and_retries_within_5_s(
    make_app: Callable[..., web.Application],
) -> None:
    app = make_app(codeflash_engine_loop_monitor_interval=0)
    async with serving(app):
        recorder = app[RECORDER]
        assert recorder.close_timeout == 15.0
        assert recorder.linger == 0.05
        assert recorder.retry_cap == 5.0


async def test_the_loop_monitor_runs_for_a_positive_interval_and_stops_at_cleanup(
    make_app: Callable[..., web.Application],
) -> None:
    app = make_app(codeflash_engine_loop_monitor_interval=0.5)
    async with serving(app):
        monitor = app[LOOP_MONITOR]
        assert monitor.interval == 0.5
        assert len(monitor_tasks()) == 1
    assert monitor_tasks() == []


async def test_no_loop_monitor_for_interval_zero_and_cleanup_still_succeeds(
    make_app: Callable[..., web.Application],
) -> None:
    app = make_app(codeflash_engine_loop_monitor_interval=0)
    async with serving(app):
        assert LOOP_MONITOR not in app
        assert monitor_tasks() == []
    assert monitor_tasks() == []


async def test_start_up_raises_the_young_generation_threshold(make_app: Callable[..., web.Application]) -> None:
    gc.set_threshold(700, 10, 10)
    app = make_app(codeflash_engine_loop_monitor_interval=0)
    async with serving(app):
        assert gc.get_threshold() == (10_000, 10, 10)


# --- the HTTP server's guards (codeflash_engine.http.server) -------------------------------------


async def exchange(port: int, data: bytes, *, seconds: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection; everything the server sends until it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(seconds):
            return await reader.read()
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def bare_server(cuts: list[str]) -> AsyncIterator[int]:
    """An application without the engine's middlewares, served by EngineRunner: its handlers'
    exceptions reach the server's own error answer."""

    async def boom(_request: web.Request) -> web.Response:
        raise RuntimeError("a bug below the middlewares")

    async def too_slow(_request: web.Request) -> web.Response:
        raise TimeoutError

    app = web.Application()
    app.router.add_get("/boom", boom)
    app.router.add_get("/slow", too_slow)
    runner = EngineRunner(app, header_timeout=5.0, on_cut=cuts.append, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def split(answer: bytes) -> tuple[bytes, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, json.loads(body)


async def test_a_failure_below_the_application_is_a_json_500_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.http.server")
    cuts: list[str] = []
    async with bare_server(cuts) as port:
        head, body = split(await exchange(port, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n"))
        assert head.startswith(b"HTTP/1.1 500") and b"application/json" in head
        assert body == {"error": "internal error"}
        head, body = split(await exchange(port, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"))
        assert head.startswith(b"HTTP/1.1 504") and body == {"error": "internal error"}
    assert cuts == []  # a failure of ours is not a client's connection cut
    failures = [
        (r.levelno, r.__dict__.get("error_class")) for r in caplog.records if "below the application" in r.getMessage()
    ]
    # the exception's class when there is one, else the status
    assert failures == [(logging.ERROR, "RuntimeError"), (logging.ERROR, "http_504")]


async def test_a_malformed_request_names_the_parser_error_class(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="codeflash_engine.http.server")
    cuts: list[str] = []
    async with bare_server(cuts) as port:
        head, body = split(await exchange(port, b"GET /boom HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n"))
    assert head.split(b" ")[1] == b"400"
    kind = body["error"].partition("(")[2].partition(")")[0]
    assert kind == "BadHttpMessage", body  # the parser's exception, not the status
    assert body == {"error": f"malformed HTTP request ({kind}); check the request line and the header values"}
    assert cuts == ["malformed"]
    [line] = [r for r in caplog.records if r.getMessage().startswith("malformed request refused")]
    assert line.levelno == logging.INFO and line.__dict__["error_class"] == kind and line.__dict__["status"] == 400


async def test_a_kept_alive_connection_whose_next_request_trickles_its_headers_is_cut(
    fake_llm_settings: Callable[..., Settings],
) -> None:
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_loop_monitor_interval=0,
        codeflash_engine_header_timeout=0.3,
        codeflash_engine_keepalive_timeout=10.0,
    )
    app = create_app(settings)
    runner = engine_runner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
        writer.write(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length"))[15:])
        await reader.readexactly(length)
        started = time.monotonic()
        writer.write(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n")  # the next request's headers never end
        await writer.drain()
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        assert time.monotonic() - started < 3.0  # cut by the header timeout, long before the keep-alive one
        writer.close()
        assert app[METRICS].connections_cut.labels("header_timeout")._value.get() == 1
    finally:
        await runner.cleanup()


# --- the integrations (codeflash_engine.infra.integrations) ------------------------------------

KEY = "cf-" + "k" * 43


def test_keys_and_authorization_values_are_scrubbed_from_text() -> None:
    assert scrub_keys(f"Authorization: Bearer {KEY} rest") == "Authorization: Bearer [redacted] rest"
    assert scrub_keys(f"BEARER   abc.def key={KEY}") == "BEARER   [redacted] key=[redacted]"
    assert scrub_keys("cf-short and plain text") == "cf-short and plain text"  # fewer than 8 characters


def test_a_sentry_event_is_scrubbed_everywhere_and_tagged_with_the_request() -> None:
    event: dict[str, Any] = {
        "message": f"key {KEY}",
        "logentry": {"message": f"Bearer {KEY}", "params": [KEY, 3, None]},
        "exception": {"values": [{"value": f"bad {KEY}", "frames": [{"n": 1}]}]},
        "breadcrumbs": {"values": [{"message": KEY}]},
        "extra": {"nested": {"deeper": [f"x {KEY}"]}},
        "request": {"headers": {"Authorization": f"Bearer {KEY}"}},
        "contexts": {"untouched": KEY},  # not a field that carries text of ours
        "tags": {"request_id": "given"},
    }
    tokens = request_id_var.set("req-1"), trace_id_var.set("trace-1")
    try:
        out = _sentry_before_send(event, {})
    finally:
        trace_id_var.reset(tokens[1])
        request_id_var.reset(tokens[0])
    assert out["message"] == "key [redacted]"
    assert out["logentry"] == {"message": "Bearer [redacted]", "params": ["[redacted]", 3, None]}
    assert out["exception"] == {"values": [{"value": "bad [redacted]", "frames": [{"n": 1}]}]}
    assert out["breadcrumbs"] == {"values": [{"message": "[redacted]"}]}
    assert out["extra"] == {"nested": {"deeper": ["x [redacted]"]}}
    assert out["request"] == {"headers": {"Authorization": "Bearer [redacted]"}}
    assert out["contexts"] == {"untouched": KEY}
    assert out["tags"] == {"request_id": "given", "trace_id": "trace-1"}  # a tag already set is kept


def test_a_sentry_event_outside_a_request_gets_no_id_tags() -> None:
    assert _sentry_before_send({}, {}) == {"tags": {}}
    token = request_id_var.set("req-2")
    try:
        assert _sentry_before_send({}, {}) == {"tags": {"request_id": "req-2"}}
    finally:
        request_id_var.reset(token)


def test_blank_or_unset_variables_switch_nothing_on() -> None:
    for value in (None, SecretStr(""), SecretStr("   ")):
        on = Integrations.start(Settings(sentry_dsn=value, posthog_api_key=value))
        assert on.sentry is False and on.posthog is None


@attrs.define
class FakePosthog:
    events: list[tuple[str, str, dict[str, Any]]] = attrs.Factory(list)
    shutdowns: int = 0
    broken: bool = False

    def capture(self, event: str, *, distinct_id: str, properties: dict[str, Any]) -> None:
        if self.broken:
            raise RuntimeError("posthog is down")
        self.events.append((event, distinct_id, properties))

    def shutdown(self) -> None:
        self.shutdowns += 1
        if self.broken:
            raise ConnectionError("posthog is unreachable")


def test_posthog_events_are_queued_never_raise_and_the_client_is_shut_once() -> None:
    Integrations().request_event("u1", {"route": "/ai/optimize"})  # off: nothing to do, no error
    client = FakePosthog()
    on = Integrations(posthog=client)
    on.request_event("u1", {"route": "/ai/optimize"})
    assert client.events == [(EVENT, "u1", {"route": "/ai/optimize"})]
    client.broken = True
    on.request_event("u2", {})  # analytics never break a request
    on.close()  # its shutdown fails: logged, not raised (the engine is exiting)
    on.close()
    assert client.shutdowns == 1 and on.posthog is None


async def test_a_posthog_key_switches_its_client_on_and_closing_shuts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[tuple[str, dict[str, Any]]] = []
    client = FakePosthog()

    def posthog(key: str, **kwargs: Any) -> FakePosthog:
        made.append((key, kwargs))
        return client

    import posthog as posthog_module

    monkeypatch.setattr(posthog_module, "Posthog", posthog)
    on = Integrations.start(Settings(posthog_api_key=SecretStr(" phc_key "), environment="staging"))
    assert on.posthog is client and on.sentry is False
    [(key, kwargs)] = made
    assert key == "phc_key" and kwargs["disable_geoip"] is True
    assert kwargs["super_properties"]["environment"] == "staging"
    await on.aclose()
    assert client.shutdowns == 1


# --- the OpenAPI document (codeflash_engine.http.openapi) ---------------------------------------


class PingBody(BaseModel):
    name: str


class PingAnswer(BaseModel):
    ok: bool


class Item(BaseModel):
    n: int


ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
ALL_ERRORS = ["400", "401", "402", "408", "413", "422", "429", "500", "502", "503"]


def test_routes_are_registered_and_documented_with_their_schemas_errors_and_security() -> None:
    routes = ApiRoutes()

    async def handler(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    routes.endpoint("post", "/ai/ping", summary="Ping", request=PingBody, response=PingAnswer)(handler)
    routes.endpoint("get", "/open", summary="Open", request=None, response=PingAnswer, public=True)(handler)
    routes.endpoint(
        "post", "/ai/items", summary="Items", request=TypeAdapter(list[Item]), response=PingAnswer, media_type="x/y"
    )(handler)
    app = web.Application()
    app.add_routes(routes)
    assert {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None} >= {
        ("POST", "/ai/ping"),
        ("GET", "/open"),
        ("POST", "/ai/items"),
    }
    assert [(ep.method, ep.path, ep.public) for ep in routes.endpoints] == [
        ("POST", "/ai/ping", False),
        ("GET", "/open", True),
        ("POST", "/ai/items", False),
    ]
    doc = document(routes.endpoints)
    assert set(doc["components"]["schemas"]) == {"ErrorResponse", "Item", "PingAnswer", "PingBody"}

    ping = doc["paths"]["/ai/ping"]["post"]
    assert ping["summary"] == "Ping" and ping["security"] == [{"bearer": []}]
    assert ping["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PingBody"}}},
    }
    assert list(ping["responses"]) == ["200", *ALL_ERRORS]
    assert ping["responses"]["200"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/PingAnswer"}}
    }
    assert all(ping["responses"][s]["content"]["application/json"]["schema"] == ERROR_REF for s in ALL_ERRORS)

    public = doc["paths"]["/open"]["get"]
    assert "security" not in public and "requestBody" not in public  # public, no body
    assert list(public["responses"]) == ["200", "500"]
    assert public["responses"]["500"]["content"]["application/json"]["schema"] == ERROR_REF

    items = doc["paths"]["/ai/items"]["post"]
    assert items["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Item"},
    }
    assert list(items["responses"]["200"]["content"]) == ["x/y"]


def test_the_documents_frame() -> None:
    doc = document([])
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"] == "codeflash-engine" and doc["paths"] == {}
    assert set(doc["components"]["schemas"]) == {"ErrorResponse"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# --- the dashboard's rendering (codeflash_engine.http.admin.render) ----------------------------


def test_the_dashboards_filters_format_missing_values_as_a_dash() -> None:
    filters = environment().filters
    for name in ("usd", "num", "when", "pct", "ms"):
        assert filters[name](None) == "-", name
    assert filters["usd"](1234.5) == "$1,234.5000" and filters["usd"](0.0) == "$0.0000"
    assert filters["num"](1234567) == "1,234,567" and filters["num"](0) == "0"
    paris = dt.timezone(dt.timedelta(hours=2))
    assert filters["when"](dt.datetime(2026, 5, 1, 14, 3, 4, tzinfo=paris)) == "2026-05-01 12:03:04 UTC"
    assert filters["pct"](0.1234) == "12.34 %" and filters["pct"](0.0) == "0.00 %"
    assert filters["ms"](1.5) == "1,500 ms" and filters["ms"](0.0) == "0 ms"


def test_the_dashboards_templates_escape_refuse_undefined_names_and_trim_blocks() -> None:
    env = environment()
    assert env.globals["version"] == __version__
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    assert env.from_string("<p>\n    {% if x %}\n    yes\n    {% endif %}\n</p>").render(x=True) == "<p>\n    yes\n</p>"


def test_chart_data_cannot_close_its_script_block() -> None:
    text = chart_json({"label": "</script><b>&", "n": [1, 2]})
    assert text == '{"label":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026","n":[1,2]}'
    assert json.loads(text) == {"label": "</script><b>&", "n": [1, 2]}


def test_a_variable_set_without_its_package_is_reported_and_ignored(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="codeflash_engine.infra.integrations")
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import sentry_sdk: ImportError
    monkeypatch.setitem(sys.modules, "posthog", None)
    on = Integrations.start(Settings(sentry_dsn=SecretStr("http://k@127.0.0.1:9/1"), posthog_api_key=SecretStr("phc")))
    assert on.sentry is False and on.posthog is None
    assert "SENTRY_DSN is set but sentry-sdk is not installed" in caplog.text
    assert "POSTHOG_API_KEY is set but posthog is not installed" in caplog.text


def test_closing_waits_for_sentry_at_most_two_seconds_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    import sentry_sdk

    waits: list[tuple[str, float]] = []

    class Client:
        def close(self, timeout: float) -> None:
            waits.append(("close", timeout))

    monkeypatch.setattr(sentry_sdk, "flush", lambda timeout: waits.append(("flush", timeout)))
    monkeypatch.setattr(sentry_sdk, "get_client", Client)
    on = Integrations(sentry=True)
    on.close()
    on.close()  # once only
    assert waits == [("flush", 2.0), ("close", 2.0)] and on.sentry is False


def test_sentry_patches_nothing_by_itself_and_takes_error_log_lines() -> None:
    import sentry_sdk

    on = Integrations.start(Settings(sentry_dsn=SecretStr(" http://0123456789abcdef@127.0.0.1:9/1 ")))
    try:
        assert on.sentry is True
        client = sentry_sdk.get_client()
        assert client.is_active() and client.dsn == "http://0123456789abcdef@127.0.0.1:9/1"
        # no automatic patching of aiohttp and others: the error middleware logs what went wrong
        assert "aiohttp" not in client.integrations and "logging" in client.integrations
        assert client.options["include_local_variables"] is False
        assert client.options["max_request_body_size"] == "never"
    finally:
        on.close()
    assert not sentry_sdk.get_client().is_active()


def test_an_endpoint_needs_the_key_unless_said_public() -> None:
    assert Endpoint("POST", "/x", "X", None, PingAnswer).public is False
    # the cfapi routes are declared without saying: each is documented behind the bearer key
    doc = document(cfapi_routes.routes.endpoints)
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    assert operations and all(op["security"] == [{"bearer": []}] for op in operations)


async def test_a_dashboard_page_whose_store_fails_says_why_with_503_or_422(
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]],
) -> None:
    token = "admin-" + "t" * 40
    settings = fake_llm_settings(
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_loop_monitor_interval=0,
        codeflash_engine_admin_token=SecretStr(token),
    )
    app = create_app(settings)

    @page
    async def down(_request: web.Request) -> web.Response:
        raise StoreUnavailable("the database is not answering")

    @page
    async def refused(_request: web.Request) -> web.Response:
        raise StoreError("no such plan: gold")

    app.router.add_get("/admin/test-down", down)
    app.router.add_get("/admin/test-refused", refused)
    client = await aiohttp_client(app)
    auth = {"Authorization": f"Bearer {token}"}
    for path, status, title, text in (
        ("/admin/test-down", 503, "Database unavailable", "the database is not answering"),
        ("/admin/test-refused", 422, "Refused", "no such plan: gold"),
    ):
        resp = await client.get(path, headers=auth)
        assert resp.status == status, path
        body = await resp.text()
        assert title in body and text in body
        assert resp.headers["Cache-Control"] == "no-store" and resp.headers["X-Frame-Options"] == "DENY"
