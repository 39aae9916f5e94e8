"""Guards for ``/cfapi`` routes: the same keys, rate limit and records as ``/ai``.

:func:`codeflash_engine.http.guards.guards_middleware` guards ``/ai`` only; this middleware does
the same authentication for ``/cfapi`` (:func:`~codeflash_engine.http.guards.authenticate`, one
:meth:`Store.admit`), puts the caller's identity on the request under
:data:`~codeflash_engine.http.guards.IDENTITY` and holds the organization's privacy mode. No quota
and no request count: no cfapi route calls an LLM (the plan's rate limit counts LLM-backed routes).

One difference, for the client's sake: a key that is refused answers 403, which the CLI reads as
"Invalid Codeflash API key" (``codeflash init``/``auth``); a missing key answers 401.
"""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web

from codeflash_engine.http.errors import Handler, json_error
from codeflash_engine.http.guards import GUARD_SECONDS, IDENTITY, UNKNOWN_KEY, authenticate
from codeflash_engine.infra.db.types import Identity
from codeflash_engine.infra.logging import user_id_var
from codeflash_engine.infra.tenancy import privacy_var

log = logging.getLogger(__name__)

PREFIX = "/cfapi"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="codeflash-engine"'}


def is_cfapi(request: web.Request) -> bool:
    """Whether the request is for ``/cfapi`` or below."""
    path = "/" + request.path.lstrip("/")
    return path == PREFIX or path.startswith(PREFIX + "/")


@web.middleware
async def cfapi_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate every ``/cfapi`` request (the plan's request counter is for LLM-backed routes
    only); other paths pass untouched. The caller's privacy mode holds for the request."""
    if not is_cfapi(request):
        return await handler(request)
    started = time.perf_counter()
    admitted = await authenticate(request, count=False)
    if isinstance(admitted, web.Response):
        if admitted.status == 401 and (request.headers.get("Authorization") or "").strip():
            return json_error(403, json.loads(admitted.text or "{}").get("error", UNKNOWN_KEY))
        return admitted
    admission, key = admitted
    request[IDENTITY] = Identity.of(key, admission.tenancy)
    user_id_var.set(key.user_id)
    if admission.tenancy.privacy:
        privacy_var.set(True)
    request[GUARD_SECONDS] = time.perf_counter() - started
    return await handler(request)
