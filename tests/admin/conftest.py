"""Fixtures of the dashboard tests: an engine with the dashboard on (embedded store, fake LLM)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from admin_support import ADMIN_TOKEN, SECRET, AdminClient
from aiohttp import web

from codeflash_engine.app import create_app
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY


@pytest.fixture
def admin_settings(fake_llm_settings: Callable[..., Settings]) -> Settings:
    """An engine over the fake LLM with the dashboard on, embedded mode, one API key."""
    settings: Settings = fake_llm_settings(
        "openai",
        models="openai:gpt-4.1=1",
        codeflash_engine_api_keys=API_KEY,
        codeflash_engine_request_deadline=20,
        codeflash_engine_admin_token=ADMIN_TOKEN,
        secret_key=SECRET,
    )
    return settings


@pytest.fixture
async def admin_client(
    aiohttp_client: Callable[[web.Application], Awaitable[AdminClient]], admin_settings: Settings
) -> AdminClient:
    return await aiohttp_client(create_app(admin_settings))
