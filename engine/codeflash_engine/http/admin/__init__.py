"""The operator's dashboard at ``/admin``: spend and usage as charts, keys, plans, organizations,
plugin health and one trace end to end. Server-rendered (jinja2), with Chart.js served by the
engine itself (no build step, no CDN).

Off unless ``CODEFLASH_ENGINE_ADMIN_TOKEN`` is set; see :mod:`.auth` for who gets in and
:mod:`.csrf` for how its forms are protected. Its pages are not API endpoints: they need no API
key, count on no rate limit and are not in the OpenAPI document.
"""

from __future__ import annotations

from aiohttp import web

from codeflash_engine.http.admin import live_metrics, manage, pages
from codeflash_engine.http.admin.auth import ADMIN_AUTH, AdminAuth
from codeflash_engine.settings import Settings


def install(app: web.Application, settings: Settings) -> None:
    """Serve the dashboard on ``app`` when the settings turn it on."""
    token = settings.codeflash_engine_admin_token
    if token is None:
        return
    secret = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    app[ADMIN_AUTH] = AdminAuth(
        token.get_secret_value(),
        secret,
        session_seconds=settings.codeflash_engine_admin_session_hours * 3600,
    )
    app.add_routes(pages.routes)
    app.add_routes(manage.routes)
    app.cleanup_ctx.append(live_metrics.sampler)
