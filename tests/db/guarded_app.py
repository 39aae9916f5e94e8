"""A tiny application behind the guards, for tests and the benchmark (not a test module).

Run as a script, it serves one such application with the store from the environment
(``DATABASE_URL`` etc.), like an engine replica: ``python tests/db/guarded_app.py [PORT]``; it
binds PORT (0, the default: a port of its own) and prints the port it listens on.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from aiohttp import web

from codeflash_engine.http import quota
from codeflash_engine.http.errors import error_middleware
from codeflash_engine.http.guards import GUARD_SECONDS, IDENTITY, STORE, guards_middleware, store_context
from codeflash_engine.http.routes import usage
from codeflash_engine.http.state import SETTINGS
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.observability import track_request
from codeflash_engine.infra.records import organization_id_var
from codeflash_engine.infra.tenancy import plan_models_var, privacy_var
from codeflash_engine.settings import Settings

routes = web.RouteTableDef()


@routes.get("/healthcheck")
async def healthcheck(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _identity(request: web.Request) -> dict[str, Any]:
    who = request[IDENTITY]
    return {
        "user_id": who.user_id,
        "tier": who.tier,
        "organization_id": who.organization_id,
        "key_suffix": who.key_suffix,
        "guard_ms": request[GUARD_SECONDS] * 1000,
    }


@routes.post("/ai/ping")
async def ping(request: web.Request) -> web.Response:
    return web.json_response(_identity(request))


@routes.post("/ai/log_features")
async def log_features(request: web.Request) -> web.Response:
    """Telemetry: no LLM call, so neither rate-limited nor metered; also says what the guards
    set for the rest of the request (the context the records and the LLM client read)."""
    context = {
        "organization_id": organization_id_var.get(),
        "plan_models": plan_models_var.get(),
        "privacy": privacy_var.get(),
    }
    return web.json_response({**_identity(request), "context": context})


@routes.post("/ai/optimize")
@routes.post("/ai/optimize-line-profiler")
async def optimize(request: web.Request) -> web.Response:
    """Answers with the status asked in ``?status=`` (default 200); ``?raise=1`` raises.

    The quota is charged as a real endpoint does once its body is valid: for the trace of
    ``?trace=`` (none: a request counted on its own). ``?made=N``: the request made N LLM calls
    (as the records count them) before answering.
    """
    await quota.charge(request, [request.query.get("trace")], int(request.query.get("calls", "1")))
    if "made" in request.query:
        track_request().llm_calls = int(request.query["made"])
    if request.query.get("raise"):
        raise RuntimeError("boom")
    status = int(request.query.get("status", "200"))
    return web.json_response({"optimizations": [], **_identity(request)}, status=status)


def make_app(settings: Settings, store: Store | None = None) -> web.Application:
    """The guarded app; without ``store`` it opens one from ``settings`` at start-up."""
    app = web.Application(middlewares=[error_middleware, guards_middleware])
    app[SETTINGS] = settings
    if store is not None:
        app[STORE] = store
    app.cleanup_ctx.append(store_context)
    app.add_routes(routes)
    app.add_routes(usage.routes)
    return app


if __name__ == "__main__":
    listening = socket.socket()
    listening.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    print(listening.getsockname()[1], flush=True)
    web.run_app(make_app(Settings()), sock=listening, print=None, access_log=None)
