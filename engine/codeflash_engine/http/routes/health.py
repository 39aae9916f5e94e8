"""``GET /healthcheck``: status, version, loaded plugins and plugin load errors. Public."""

from __future__ import annotations

from aiohttp import web

from codeflash_engine import __version__
from codeflash_engine.http.state import LANGUAGES, PLUGINS

routes = web.RouteTableDef()


@routes.get("/healthcheck")
async def healthcheck(request: web.Request) -> web.Response:
    host = request.app[PLUGINS]
    plugins = [
        {"name": p.name, "version": p.version, "languages": list(p.languages), "hooks": list(p.hooks)}
        for p in host.plugins(include_builtin=False)
        if p.error is None
    ]
    return web.json_response(
        {
            "status": "ok",
            "version": __version__,
            "languages": request.app[LANGUAGES].names(),
            "plugins": plugins,
            "plugin_errors": host.errors(),
        }
    )
