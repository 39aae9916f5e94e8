"""CSRF protection of the dashboard's state-changing actions (every one of them is a POST).

A form posted with a session cookie must carry the session's CSRF token (field ``csrf``, an HMAC
of the session id: see :meth:`AdminAuth.csrf_token`) and, when the browser says where it comes
from (``Origin``, else ``Referer``), come from this same origin. The cookie is SameSite=Strict
besides. Requests with the admin token as a bearer token carry no ambient credential and need
neither.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from codeflash_engine.http.admin.auth import BEARER, AdminAuth, Session

FIELD = "csrf"


def same_origin(request: web.Request) -> bool:
    """Whether the request's Origin (else Referer), when it has one, names this host.

    The host is the ``Host`` header, or ``X-Forwarded-Host`` when a proxy in front rewrote it (a
    cross-site form cannot set that header). Schemes are not compared: a TLS proxy may not say so.
    """
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    if source == "null":  # an opaque origin (a sandboxed frame, a data: page): never this host
        return False
    netloc = urlsplit(source).netloc.lower()
    hosts = {request.host.lower(), request.headers.get("X-Forwarded-Host", "").split(",")[0].strip().lower()}
    return bool(netloc) and netloc in hosts


def problem(request: web.Request, auth: AdminAuth, session: Session, given: str | None) -> str | None:
    """Why a POST of ``session`` is refused as a possible cross-site request; None when it is fine."""
    if session is BEARER:
        return None
    if not same_origin(request):
        return "this form was posted from another site"
    if not given or not auth.csrf_ok(session, given):
        return "this form has expired or did not come from the dashboard (CSRF token missing or wrong): reload it"
    return None
