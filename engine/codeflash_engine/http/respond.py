"""Writing response bodies: a schema instance serialised straight to JSON bytes."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel


def respond(model: BaseModel) -> web.Response:
    """200 with ``model`` as JSON (pydantic serialises it in one pass)."""
    return web.Response(body=model.model_dump_json().encode(), content_type="application/json")
