"""Rendering the dashboard's pages: the jinja2 environment, the page guard and the security headers."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from codeflash_engine import __version__
from codeflash_engine.http.admin import csrf
from codeflash_engine.http.admin.auth import ADMIN_AUTH, BEARER, Denied, Session
from codeflash_engine.infra.db.types import StoreError, StoreUnavailable

HERE = Path(__file__).parent
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: the session (or BEARER) of an admitted request
SESSION = web.RequestKey("admin_session", Session)
#: the posted form of an admitted POST
FORM: web.RequestKey[MultiDictProxy[str | bytes | Any]] = web.RequestKey("admin_form", MultiDictProxy)

#: what every dashboard answer carries: nothing cached, no framing, scripts and styles from here only
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.4f}"


def _num(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f} %"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(usd=_usd, num=_num, when=_when, pct=_pct, ms=_ms)
    env.globals["version"] = __version__
    return env


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """``template`` rendered with the page's context (its CSRF token, the current path)."""
    session = request.get(SESSION)
    auth = request.app[ADMIN_AUTH]
    token = auth.csrf_token(session) if session is not None and session is not BEARER else ""
    body = (
        environment()
        .get_template(template)
        .render(csrf=token, path=request.path, signed_in=session is not None, **context)
    )
    response = web.Response(text=body, status=status, content_type="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response


def chart_json(data: Mapping[str, Any]) -> str:
    """Chart data for a ``<script type="application/json">`` block (markup characters escaped)."""
    text = json.dumps(data, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def message(request: web.Request, title: str, text: str, status: int) -> web.Response:
    return render(request, "message.html.j2", status=status, title=title, message=text)


def _denied(request: web.Request, why: Denied) -> web.Response:
    if "Authorization" in request.headers:
        response = web.json_response({"error": why.reason}, status=401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="codeflash-engine admin"'
        response.headers.update(SECURITY_HEADERS)
        return response
    if why.to_login and request.method == "GET":
        target = f"/admin/login?next={quote(request.path_qs, safe='')}"
        if why.code:
            target += f"&why={why.code}"
        raise web.HTTPSeeOther(target, headers=SECURITY_HEADERS)
    return render(request, "login.html.j2", status=401, error=why.reason, next="/admin")


def page(handler: Handler) -> Handler:
    """A dashboard page or action: admitted by the admin token (bearer or session), CSRF-checked when posted."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        auth = request.app[ADMIN_AUTH]
        who = auth.authorize(request)
        if isinstance(who, Denied):
            return _denied(request, who)
        request[SESSION] = who
        if request.method == "POST":
            form = await request.post()
            given = form.get(csrf.FIELD)
            problem = csrf.problem(request, auth, who, given if isinstance(given, str) else None)
            if problem is not None:
                return message(request, "Refused", problem, 403)
            request[FORM] = form
        try:
            response = await handler(request)
        except StoreUnavailable as exc:
            return message(request, "Database unavailable", exc.message, 503)
        except StoreError as exc:
            return message(request, "Refused", exc.message, 422)
        response.headers.update(SECURITY_HEADERS)
        return response

    return guarded


def field(request: web.Request, name: str) -> str:
    """A posted form field as stripped text ('' when absent)."""
    value = request[FORM].get(name)
    return value.strip() if isinstance(value, str) else ""
