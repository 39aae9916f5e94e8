"""Guards for ``/cfapi`` routes: the same keys, rate limit and records as ``/ai``.

:func:`codeflash_engine.http.guards.guards_middleware` guards ``/ai`` only; this middleware does
the same admission for ``/cfapi`` (one :meth:`Store.admit`: key lookup plus the key's rate-limit
hit, shared with its ``/ai`` requests) and puts the caller's identity on the request under
:data:`~codeflash_engine.http.guards.IDENTITY`. No quota: no cfapi route calls an LLM.

One difference, for the client's sake: a key that is refused answers 403, which the CLI reads as
"Invalid Codeflash API key" (``codeflash init``/``auth``); a missing key answers 401.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from codeflash_engine.http.errors import Handler, json_error
from codeflash_engine.http.guards import (
    GUARD_SECONDS,
    IDENTITY,
    MALFORMED_KEY,
    MISSING_KEY,
    REVOKED_KEY,
    STORE,
    UNKNOWN_KEY,
)
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db import apikeys
from codeflash_engine.infra.db.types import Identity, StoreUnavailable
from codeflash_engine.infra.logging import user_id_var

log = logging.getLogger(__name__)

PREFIX = "/cfapi"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="codeflash-engine"'}


def is_cfapi(request: web.Request) -> bool:
    """Whether the request is for ``/cfapi`` or below."""
    path = "/" + request.path.lstrip("/")
    return path == PREFIX or path.startswith(PREFIX + "/")


@web.middleware
async def cfapi_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate and rate-limit every ``/cfapi`` request; other paths pass untouched."""
    if not is_cfapi(request):
        return await handler(request)
    started = time.perf_counter()
    header = (request.headers.get("Authorization") or "").strip()
    if not header:
        return json_error(401, MISSING_KEY, _CHALLENGE)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not apikeys.is_well_formed(token):
        return json_error(403, MALFORMED_KEY)
    settings = request.app[SETTINGS]
    try:
        admission = await request.app[STORE].admit(
            apikeys.hash_key(token), settings.rate_limit_window_ms, settings.rate_limit_max
        )
    except StoreUnavailable as exc:
        return json_error(503, exc.message, {"Retry-After": "5", **exc.headers})
    key = admission.key
    if key is None:
        return json_error(403, UNKNOWN_KEY)
    if key.revoked is not None:
        return json_error(403, REVOKED_KEY)
    if admission.rate is None:
        return json_error(403, "this API key expired: ask the operator for a new one")
    if not admission.rate.allowed:
        retry = admission.rate.retry_after_s
        return json_error(
            429,
            f"rate limit exceeded: at most {settings.rate_limit_max} requests per "
            f"{settings.rate_limit_window_ms / 1000:g} s for this API key; retry in {retry} s",
            {"Retry-After": str(retry)},
        )
    request[IDENTITY] = Identity.of(key)
    user_id_var.set(key.user_id)
    request[GUARD_SECONDS] = time.perf_counter() - started
    return await handler(request)
