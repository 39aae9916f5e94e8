"""Who opens the dashboard (admin token, session cookie; never an API key) and CSRF on its actions."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

import pydantic
import pytest
from admin_support import ADMIN_TOKEN, BEARER, SECRET, AdminClient, csrf_of
from aiohttp import web
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from codeflash_engine.app import create_app
from codeflash_engine.cli import main
from codeflash_engine.http.admin.auth import SESSION_COOKIE, AdminAuth
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY

HOURS = 3600


async def log_in(client: AdminClient) -> str:
    """Log in through the form; the session cookie's value."""
    resp = await client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin/keys"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin/keys"
    return resp.cookies[SESSION_COOKIE].value


async def test_the_dashboard_is_off_without_an_admin_token(
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]],
    engine_settings: Settings,
) -> None:
    client = await aiohttp_client(create_app(engine_settings))
    for path in ("/admin", "/admin/login", "/admin/keys", "/admin/static/admin.js"):
        resp = await client.get(path, headers=BEARER)
        assert resp.status == 404, path
    assert (await client.post("/admin/login", data={"token": ADMIN_TOKEN})).status == 404


def test_a_short_admin_token_refuses_to_start() -> None:
    with pytest.raises(pydantic.ValidationError, match="at least 32 characters"):
        Settings(codeflash_engine_admin_token="x" * 31)
    assert Settings(codeflash_engine_admin_token="x" * 32).codeflash_engine_admin_token is not None
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env={"CODEFLASH_ENGINE_ADMIN_TOKEN": "x" * 31})
    assert result.exit_code == 1
    assert "CODEFLASH_ENGINE_ADMIN_TOKEN must be at least 32 characters" in result.output
    assert "Traceback" not in result.output


async def test_no_token_sends_a_browser_to_the_login_page(admin_client: AdminClient) -> None:
    resp = await admin_client.get("/admin/usage?by=model", allow_redirects=False)
    assert resp.status == 303
    assert unquote(resp.headers["Location"]) == "/admin/login?next=/admin/usage?by=model"
    login = await admin_client.get(resp.headers["Location"])
    page = await login.text()
    assert login.status == 200 and 'name="token"' in page and 'value="/admin/usage?by=model"' in page
    # an action without a session is refused, and changes nothing
    refused = await admin_client.post("/admin/keys", data={"user": "user-mallory"}, allow_redirects=False)
    assert refused.status == 401
    assert "user-mallory" not in await (await admin_client.get("/admin/keys", headers=BEARER)).text()


async def test_a_wrong_token_or_an_api_key_never_opens_it(admin_client: AdminClient) -> None:
    for header, says in (
        (f"Bearer {ADMIN_TOKEN[:-1]}x", "wrong admin token"),
        (f"Bearer {API_KEY}", "an API key does not open the dashboard"),
        (f"Basic {ADMIN_TOKEN}", "Authorization: Bearer"),
        ("Bearer", "Authorization: Bearer"),
    ):
        for method, path in (("GET", "/admin"), ("GET", "/admin/keys"), ("POST", "/admin/keys")):
            resp = await admin_client.request(method, path, headers={"Authorization": header}, data={"user": "x"})
            assert resp.status == 401, (header, path)
            assert says in (await resp.json())["error"]
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    for token, says in ((API_KEY, "an API key does not open"), ("nope" * 10, "wrong admin token"), ("", "wrong")):
        resp = await admin_client.post("/admin/login", data={"token": token}, allow_redirects=False)
        assert resp.status == 401 and says in await resp.text()
        assert SESSION_COOKIE not in resp.cookies
    assert (await admin_client.get("/admin", headers=BEARER)).status == 200


async def test_login_sets_a_signed_expiring_http_only_strict_cookie(admin_client: AdminClient) -> None:
    resp = await admin_client.post("/admin/login", data={"token": ADMIN_TOKEN}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin"
    cookie = resp.cookies[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/admin"
    assert cookie["max-age"] == str(12 * HOURS) and not cookie["secure"]
    assert ADMIN_TOKEN not in cookie.value and SECRET not in cookie.value
    assert (await admin_client.get("/admin")).status == 200  # the client keeps the cookie
    # over HTTPS (a TLS proxy in front), the cookie is Secure
    tls = await admin_client.post("/admin/login", data={"token": ADMIN_TOKEN}, headers={"X-Forwarded-Proto": "https"})
    assert tls.history[0].cookies[SESSION_COOKIE]["secure"]
    # never to another site after login
    for target in ("https://evil.example/", "//evil.example/admin", "/ai/optimize"):
        away = await admin_client.post(
            "/admin/login", data={"token": ADMIN_TOKEN, "next": target}, allow_redirects=False
        )
        assert away.headers["Location"] == "/admin"


async def test_an_expired_forged_or_stale_session_is_refused(admin_client: AdminClient) -> None:
    settings_auth = AdminAuth(ADMIN_TOKEN, SECRET, session_seconds=12 * HOURS, clock=lambda: time.time() - 13 * HOURS)
    expired = settings_auth.new_session()
    fresh = AdminAuth(ADMIN_TOKEN, SECRET, session_seconds=12 * HOURS).new_session()
    other_token = AdminAuth("another-admin-token-" + "z" * 20, SECRET, session_seconds=12 * HOURS).new_session()
    other_secret = AdminAuth(ADMIN_TOKEN, "another secret key", session_seconds=12 * HOURS).new_session()
    tampered = fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB")
    for value, why, says in (
        (expired, "expired", "your session has expired"),
        (other_token, "invalid", "not valid"),
        (other_secret, "invalid", "not valid"),
        (tampered, "invalid", "not valid"),
        ("garbage", "invalid", "not valid"),
    ):
        admin_client.session.cookie_jar.clear()
        resp = await admin_client.get("/admin", cookies={SESSION_COOKIE: value}, allow_redirects=False)
        assert resp.status == 303, why
        assert resp.headers["Location"].endswith(f"&why={why}")
        login = await admin_client.get(resp.headers["Location"], cookies={SESSION_COOKIE: value})
        assert login.status == 200 and says in await login.text()
    # the login page says only what the engine says, never text from a link
    crafted = await admin_client.get("/admin/login?why=Your+token+leaked:+enter+it+at+evil.example")
    assert "evil.example" not in await crafted.text()
    admin_client.session.cookie_jar.clear()
    assert (await admin_client.get("/admin", cookies={SESSION_COOKIE: fresh}, allow_redirects=False)).status == 200


async def test_logout_ends_the_session_in_the_browser(admin_client: AdminClient) -> None:
    await log_in(admin_client)
    page = await (await admin_client.get("/admin")).text()
    resp = await admin_client.post("/admin/logout", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert resp.status == 303 and resp.cookies[SESSION_COOKIE].value == ""
    assert (await admin_client.get("/admin", allow_redirects=False)).status == 303


async def test_every_action_is_a_csrf_checked_post(admin_client: AdminClient) -> None:
    await log_in(admin_client)
    page = await (await admin_client.get("/admin/keys")).text()
    token = csrf_of(page)
    other = AdminAuth(ADMIN_TOKEN, SECRET, session_seconds=HOURS)
    wrong_session_token = other.csrf_token(other.session_of(other.new_session()))  # type: ignore[arg-type]
    for data, headers in (
        ({"user": "user-eve"}, {}),
        ({"user": "user-eve", "csrf": "0" * 64}, {}),
        ({"user": "user-eve", "csrf": wrong_session_token}, {}),
        ({"user": "user-eve", "csrf": token}, {"Origin": "https://evil.example"}),
        ({"user": "user-eve", "csrf": token}, {"Origin": "null"}),
        ({"user": "user-eve", "csrf": token}, {"Referer": "http://evil.example/admin/keys"}),
    ):
        resp = await admin_client.post("/admin/keys", data=data, headers=headers)
        assert resp.status == 403, (data, headers)
        assert "CSRF" in await resp.text() or "another site" in await resp.text()
    for path in ("/admin/keys/1/revoke", "/admin/keys/1/rotate", "/admin/plans", "/admin/orgs", "/admin/orgs/1"):
        assert (await admin_client.post(path, data={"name": "x"})).status == 403, path
    assert "user-eve" not in await (await admin_client.get("/admin/keys")).text()
    # the form as the page gives it works; GET never changes anything
    origin = f"http://{admin_client.host}:{admin_client.port}"
    made = await admin_client.post("/admin/keys", data={"user": "user-eve", "csrf": token}, headers={"Origin": origin})
    assert made.status == 201
    proxied = {"Origin": "https://engine.example", "X-Forwarded-Host": "engine.example"}  # behind a proxy
    assert (await admin_client.post("/admin/keys", data={"user": "p", "csrf": token}, headers=proxied)).status == 201
    assert (await admin_client.get("/admin/keys/1/revoke")).status == 405
    # a script with the bearer token needs no CSRF token (it carries no ambient credential)
    admin_client.session.cookie_jar.clear()
    assert (await admin_client.post("/admin/keys", data={"user": "script"}, headers=BEARER)).status == 201


async def test_pages_are_not_cached_framed_or_scripted_from_elsewhere(admin_client: AdminClient) -> None:
    resp = await admin_client.get("/admin", headers=BEARER)
    assert resp.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert (await admin_client.get("/admin/static/../auth.py")).status == 404
    assert (await admin_client.get("/admin/static/auth.py")).status == 404
    chart = await admin_client.get("/admin/static/chart.umd.min.js")
    assert chart.status == 200 and "Chart.js v4" in (await chart.text())[:200]
