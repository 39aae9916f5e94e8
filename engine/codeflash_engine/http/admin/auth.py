"""Who may open the dashboard: the admin token, as a bearer token or through a signed session cookie.

The login form takes ``CODEFLASH_ENGINE_ADMIN_TOKEN`` and answers with a session cookie: a random
session id signed (itsdangerous, HMAC-SHA1 over SECRET_KEY and a salt that includes a digest of
the admin token) with its creation time, refused after ``CODEFLASH_ENGINE_ADMIN_SESSION_HOURS``.
Changing the admin token or SECRET_KEY ends every session. The cookie is HttpOnly,
SameSite=Strict, and Secure when the dashboard is reached over HTTPS. Scripts send
``Authorization: Bearer <admin token>`` instead. An API key never opens the dashboard.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable

import attrs
from aiohttp import web
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from codeflash_engine.infra.db.apikeys import KEY_PREFIX

log = logging.getLogger(__name__)

SESSION_COOKIE = "cf_admin_session"
#: where the cookie is sent (only to the dashboard)
COOKIE_PATH = "/admin"


class _ClockSigner(TimestampSigner):
    """A TimestampSigner reading the time from ``clock`` (so tests can make an old session)."""

    clock: Callable[[], float] = time.time

    def get_timestamp(self) -> int:
        return int(self.clock())


@attrs.frozen
class Session:
    """A dashboard session: its random id (what CSRF tokens are bound to)."""

    id: str


@attrs.frozen
class Denied:
    """Why a request is refused, and whether a browser should be sent to the login page."""

    reason: str
    to_login: bool = False
    #: what the login page is told (a key of LOGIN_NOTES; never free text from a link)
    code: str = ""


#: what the login page says after a refused session (by code, so a link cannot make it say anything else)
LOGIN_NOTES = {
    "expired": "your session has expired: log in again",
    "invalid": "this session is not valid (the admin token or SECRET_KEY changed?): log in again",
}


#: a request with the admin token as a bearer token (scripts): no cookie, so no CSRF to fear
BEARER = Session(id="")


class AdminAuth:
    """Checks the admin token and issues, reads and ends signed session cookies."""

    def __init__(
        self,
        token: str,
        secret_key: str | None,
        *,
        session_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = token.encode()
        if not secret_key:
            log.warning(
                "SECRET_KEY is not set: dashboard sessions are signed with a key of this process only "
                "(they end when it restarts and are not accepted by other replicas)"
            )
            secret_key = secrets.token_urlsafe(32)
        self._secret = secret_key.encode()
        salt = "codeflash-engine admin session " + hashlib.sha256(self._token).hexdigest()
        self._signer = _ClockSigner(self._secret, salt=salt)
        self._signer.clock = clock
        self.session_seconds = session_seconds

    def token_matches(self, given: str) -> bool:
        """Whether ``given`` is the admin token (compared in constant time)."""
        return hmac.compare_digest(given.encode(), self._token)

    def new_session(self) -> str:
        """A new session cookie value."""
        return self._signer.sign(secrets.token_urlsafe(24)).decode()

    def session_of(self, cookie: str | None) -> Session | Denied:
        """The session a cookie carries, or why it does not open the dashboard."""
        if not cookie:
            return Denied("log in with the admin token", to_login=True)
        try:
            value = self._signer.unsign(cookie, max_age=math.ceil(self.session_seconds))
        except SignatureExpired:
            return Denied(LOGIN_NOTES["expired"], to_login=True, code="expired")
        except BadSignature:
            return Denied(LOGIN_NOTES["invalid"], to_login=True, code="invalid")
        return Session(id=value.decode())

    def csrf_token(self, session: Session) -> str:
        """The token a form of ``session`` must send back (an HMAC of the session id)."""
        return hmac.new(self._secret, b"csrf:" + session.id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, given: str) -> bool:
        return session is BEARER or hmac.compare_digest(self.csrf_token(session), given)

    def authorize(self, request: web.Request) -> Session | Denied:
        """The request's session (or :data:`BEARER`), or why it is refused."""
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, given = header.partition(" ")
            given = given.strip()
            if scheme.lower() != "bearer" or not given:
                return Denied("send 'Authorization: Bearer <CODEFLASH_ENGINE_ADMIN_TOKEN>'")
            if self.token_matches(given):
                return BEARER
            if given.startswith(KEY_PREFIX):
                return Denied("an API key does not open the dashboard: use CODEFLASH_ENGINE_ADMIN_TOKEN")
            return Denied("wrong admin token")
        return self.session_of(request.cookies.get(SESSION_COOKIE))

    def set_cookie(self, request: web.Request, response: web.StreamResponse) -> None:
        """Start a new session on ``response``."""
        response.set_cookie(
            SESSION_COOKIE,
            self.new_session(),
            max_age=int(self.session_seconds),
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=served_over_https(request),
        )

    @staticmethod
    def clear_cookie(response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def served_over_https(request: web.Request) -> bool:
    """Whether the browser reached the dashboard over HTTPS (directly or through a TLS proxy)."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


ADMIN_AUTH: web.AppKey[AdminAuth] = web.AppKey("admin_auth", AdminAuth)
