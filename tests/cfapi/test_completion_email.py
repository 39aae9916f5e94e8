"""send-completion-email: recorded always, mailed when the operator configured SMTP (a loopback
SMTP server here, speaking just enough of the protocol for smtplib)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.guards import STORE
from codeflash_engine.settings import Settings

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]


class LoopbackSMTP:
    """Accepts mail on a loopback port and keeps each message's envelope and text."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def send(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        send("220 loopback ESMTP")
        sender, recipients = "", []
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                send("250 loopback")
            elif verb == "MAIL":
                sender = line.split(":", 1)[1].strip(" <>")
                send("250 OK")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip(" <>"))
                send("250 OK")
            elif verb == "DATA":
                send("354 go on")
                data = []
                while (chunk := (await reader.readline()).decode()) not in (".\r\n", ""):
                    data.append(chunk)
                self.messages.append((sender, recipients, "".join(data)))
                send("250 queued")
            elif verb == "QUIT":
                send("221 bye")
                break
            else:
                send("250 OK")
            await writer.drain()
        await writer.drain()
        writer.close()


@pytest.fixture
async def smtp() -> AsyncIterator[LoopbackSMTP]:
    server = LoopbackSMTP()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield server


async def test_the_completion_email_is_mailed_to_the_keys_user(
    aiohttp_client: MakeClient, engine_settings: Settings, smtp: LoopbackSMTP
) -> None:
    settings = engine_settings.model_copy(
        update={
            "codeflash_engine_smtp_url": SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
            "codeflash_engine_mail_from": "engine@example.com",
        }
    )
    client = await aiohttp_client(create_app(settings))
    new = await client.app[STORE].create_key("dev", email="dev@example.com")
    resp = await client.post(
        "/cfapi/send-completion-email",
        json={"owner": "acme", "repo": "shop"},
        headers={"Authorization": f"Bearer {new.key}"},
    )
    assert await resp.json() == {"sent": True, "detail": "sent"}
    [(sender, recipients, text)] = smtp.messages
    assert sender == "engine@example.com" and recipients == ["dev@example.com"]
    assert "Subject: Codeflash finished optimizing acme/shop" in text


async def test_without_an_address_or_a_server_nothing_is_sent(
    aiohttp_client: MakeClient, engine_settings: Settings
) -> None:
    settings = engine_settings.model_copy(
        update={"codeflash_engine_smtp_url": SecretStr("smtp://127.0.0.1:1"), "codeflash_engine_mail_from": "e@x.org"}
    )
    client = await aiohttp_client(create_app(settings))
    store = client.app[STORE]
    no_address = await store.create_key("quiet")
    resp = await client.post(
        "/cfapi/send-completion-email",
        json={"owner": "acme", "repo": "shop"},
        headers={"Authorization": f"Bearer {no_address.key}"},
    )
    assert await resp.json() == {"sent": False, "detail": "no email address is known for this user"}
    unreachable = await store.create_key("loud", email="loud@example.com")
    resp = await client.post(
        "/cfapi/send-completion-email",
        json={"owner": "acme", "repo": "shop"},
        headers={"Authorization": f"Bearer {unreachable.key}"},
    )
    assert resp.status == 200
    assert await resp.json() == {"sent": False, "detail": "the mail server refused or could not be reached"}
