"""Small engine modules that their mutation runs found untested, through the HTTP API on the
memory store, or the module's public functions:

- /ai/log_features (http/routes/telemetry.py, pipelines/features.py): the report is stored for
  the caller, a verified win in it is kept for the caller's organization; another user's report
  of the same trace changes nothing and keeps no win; a win that cannot be kept is logged with
  its traceback and the report still answers 200;
- the mail sender (infra/mail.py), with smtplib's clients faked: configured only with a server
  and a sender; smtp:// on port 587 (or the one given) with STARTTLS when offered, smtps:// on
  465 (or the one given) with TLS from the start; the URL's user and password unquoted; the
  message's headers and text; anything but smtp(s)://host refused before connecting.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from codeflash_engine.app import create_app
from codeflash_engine.http.guards import STORE
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.db.wins import words
from codeflash_engine.infra.mail import mail_configured, send_mail
from codeflash_engine.settings import Settings

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]

TRACE = "5a1e0000-0000-4000-8000-000000000001"
ORIGINAL = "```python:pkg/stats.py\ndef pair_sums(numbers, target):\n    return [n for n in numbers]\n```"
FAST = "```python:pkg/stats.py\ndef pair_sums(numbers, target):\n    return list(numbers)\n```"


def _report(speedup: float = 0.5) -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "speedup_ratio": {"o1": speedup},
        "is_correct": {"o1": True},
        "metadata": {"best_optimization_id": "o1"},
        "optimizations_post": {"o1": FAST},
    }


async def _engine(
    fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> tuple[Client, Store, int, str, str]:
    """An engine on the memory store; the organization acme, its member alice and bob (no organization)."""
    app = create_app(fake_llm_settings(models="openai:gpt-4.1=1", codeflash_engine_request_deadline=20))
    client = await aiohttp_client(app)
    store = app[STORE]
    acme = await store.create_organization("acme")
    alice = (await store.create_key("alice", organization_id=acme.id)).key
    bob = (await store.create_key("bob")).key
    return client, store, acme.id, alice, bob


async def _post(client: Client, key: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    resp = await client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    return resp.status, await resp.json()


# --- /ai/log_features ----------------------------------------------------------------------------


async def test_a_report_is_stored_for_its_user_and_its_win_kept_for_the_organization(
    fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    client, store, acme, alice, _ = await _engine(fake_llm_settings, aiohttp_client)
    status, body = await _post(client, alice, "/ai/log_features", _report())
    assert (status, body) == (200, {})
    row = await store.get_features(TRACE)
    assert row is not None and row["user_id"] == "alice" and row["speedup_ratio"] == {"o1": 0.5}
    assert row["optimizations_post"] == {"o1": FAST}
    # no original code with the trace yet: no win
    assert await store.similar_wins(f"org:{acme}", words(FAST), 4) == []
    # the original code arrives with the trace (as /ai/optimize writes it), then the report again
    assert await store.upsert_features(TRACE, "alice", {"original_code": ORIGINAL})
    status, body = await _post(client, alice, "/ai/log_features", _report(0.75))
    assert (status, body) == (200, {})
    wins = await store.similar_wins(f"org:{acme}", words(FAST), 4)
    assert [(w.trace_id, w.optimization_id, w.original, w.optimized) for w in wins] == [(TRACE, "o1", ORIGINAL, FAST)]
    assert wins[0].speedup == pytest.approx(0.75)
    assert await store.similar_wins("user:alice", words(FAST), 4) == []


async def test_another_users_report_of_the_trace_changes_nothing_and_keeps_no_win(
    fake_llm_settings: Callable[..., Settings], aiohttp_client: ClientFactory
) -> None:
    client, store, acme, _alice, bob = await _engine(fake_llm_settings, aiohttp_client)
    assert await store.upsert_features(TRACE, "alice", {"original_code": ORIGINAL})
    status, body = await _post(client, bob, "/ai/log_features", _report(3.0))
    assert (status, body) == (200, {})  # the client ignores the answer
    row = await store.get_features(TRACE)
    assert row is not None and row["user_id"] == "alice" and row["speedup_ratio"] is None
    assert await store.similar_wins("user:bob", words(FAST), 4) == []
    assert await store.similar_wins(f"org:{acme}", words(FAST), 4) == []


async def test_a_win_not_kept_is_logged_and_the_report_still_stored(
    fake_llm_settings: Callable[..., Settings],
    aiohttp_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, store, _acme, alice, _ = await _engine(fake_llm_settings, aiohttp_client)
    assert await store.upsert_features(TRACE, "alice", {"original_code": ORIGINAL})

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the wins table is gone")

    monkeypatch.setattr(store, "add_verified_win", broken)
    with caplog.at_level(logging.WARNING, logger="codeflash_engine.pipelines.features"):
        status, body = await _post(client, alice, "/ai/log_features", _report())
    assert (status, body) == (200, {})
    row = await store.get_features(TRACE)
    assert row is not None and row["speedup_ratio"] == {"o1": 0.5}
    logged = [r for r in caplog.records if r.name == "codeflash_engine.pipelines.features"]
    assert [r.getMessage() for r in logged] == [f"the verified win of trace {TRACE} was not kept"]
    assert logged[0].exc_info is not None and isinstance(logged[0].exc_info[1], RuntimeError)


# --- mail ----------------------------------------------------------------------------------------


class FakeSMTP:
    """Stands in for smtplib.SMTP and SMTP_SSL: notes how it was opened and every call made."""

    opened: ClassVar[list[FakeSMTP]] = []
    starttls_offered: ClassVar[bool] = True

    def __init__(self, host: str, port: int = 0, *, timeout: float, context: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.timeout, self.context = host, port, timeout, context
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.sent: list[EmailMessage] = []
        FakeSMTP.opened.append(self)

    def __enter__(self) -> FakeSMTP:
        self.calls.append(("enter", ()))
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit", ()))

    def ehlo(self) -> None:
        self.calls.append(("ehlo", ()))

    def has_extn(self, name: str) -> bool:
        self.calls.append(("has_extn", (name,)))
        return self.starttls_offered

    def starttls(self, *, context: ssl.SSLContext) -> None:
        self.calls.append(("starttls", (context,)))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", (user, password)))

    def send_message(self, message: EmailMessage) -> None:
        self.calls.append(("send_message", ()))
        self.sent.append(message)


class FakeSMTPSSL(FakeSMTP):
    """Stands in for smtplib.SMTP_SSL."""


@pytest.fixture
def smtp_clients(monkeypatch: pytest.MonkeyPatch) -> list[FakeSMTP]:
    """The SMTP clients mail.py opens, faked (no network); the list of those opened."""
    opened: list[FakeSMTP] = []
    monkeypatch.setattr(FakeSMTP, "opened", opened)
    monkeypatch.setattr(FakeSMTP, "starttls_offered", True)
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSMTPSSL)
    return opened


def _mail_settings(engine_settings: Settings, url: str | None, sender: str | None = "engine@example.com") -> Settings:
    return engine_settings.model_copy(
        update={
            "codeflash_engine_smtp_url": SecretStr(url) if url is not None else None,
            "codeflash_engine_mail_from": sender,
        }
    )


def _verbs(client: FakeSMTP) -> list[str]:
    return [name for name, _ in client.calls]


def test_mail_is_configured_only_with_a_server_and_a_sender(engine_settings: Settings) -> None:
    assert mail_configured(_mail_settings(engine_settings, "smtp://mail.example.com"))
    assert not mail_configured(_mail_settings(engine_settings, None))
    assert not mail_configured(_mail_settings(engine_settings, "smtp://mail.example.com", ""))
    assert not mail_configured(_mail_settings(engine_settings, "smtp://mail.example.com", None))
    assert not mail_configured(_mail_settings(engine_settings, None, None))


async def test_smtp_uses_port_587_starttls_when_offered_and_the_unquoted_login(
    engine_settings: Settings, smtp_clients: list[FakeSMTP]
) -> None:
    url = "smtp://us%40er:p%3Ass@mail.example.com"
    await send_mail(_mail_settings(engine_settings, url), "dev@example.com", "Done", "All optimized.\n")
    [client] = smtp_clients
    assert type(client) is FakeSMTP
    assert (client.host, client.port, client.timeout, client.context) == ("mail.example.com", 587, 20.0, None)
    assert _verbs(client) == ["enter", "ehlo", "has_extn", "starttls", "ehlo", "login", "send_message", "quit"]
    assert client.calls[2] == ("has_extn", ("starttls",))
    assert isinstance(client.calls[3][1][0], ssl.SSLContext)
    assert client.calls[5] == ("login", ("us@er", "p:ss"))
    [message] = client.sent
    assert (message["From"], message["To"], message["Subject"]) == ("engine@example.com", "dev@example.com", "Done")
    assert message.get_content() == "All optimized.\n"


async def test_smtp_without_starttls_or_password_sends_in_the_clear_with_an_empty_password(
    engine_settings: Settings, smtp_clients: list[FakeSMTP]
) -> None:
    FakeSMTP.starttls_offered = False
    await send_mail(_mail_settings(engine_settings, "smtp://robot@mail.example.com:2525"), "a@b.c", "S", "t")
    [client] = smtp_clients
    assert (client.host, client.port) == ("mail.example.com", 2525)
    assert _verbs(client) == ["enter", "ehlo", "has_extn", "login", "send_message", "quit"]
    assert client.calls[3] == ("login", ("robot", ""))
    # no user in the URL: no login
    await send_mail(_mail_settings(engine_settings, "smtp://mail.example.com"), "a@b.c", "S", "t")
    assert _verbs(smtp_clients[1]) == ["enter", "ehlo", "has_extn", "send_message", "quit"]


async def test_smtps_uses_tls_from_the_start_on_port_465_or_the_one_given(
    engine_settings: Settings, smtp_clients: list[FakeSMTP]
) -> None:
    await send_mail(_mail_settings(engine_settings, "smtps://mail.example.com"), "a@b.c", "S", "t")
    await send_mail(_mail_settings(engine_settings, "smtps://u:pw@mail.example.com:2465"), "a@b.c", "S", "t")
    first, second = smtp_clients
    assert type(first) is FakeSMTPSSL and type(second) is FakeSMTPSSL
    assert (first.host, first.port, first.timeout) == ("mail.example.com", 465, 20.0)
    assert isinstance(first.context, ssl.SSLContext)
    assert _verbs(first) == ["enter", "send_message", "quit"]  # no EHLO/STARTTLS of its own
    assert second.port == 2465
    assert _verbs(second) == ["enter", "login", "send_message", "quit"]
    assert second.calls[1] == ("login", ("u", "pw"))


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtps:///path", "mail.example.com:25"])
async def test_a_url_that_is_not_smtp_with_a_host_is_refused(
    engine_settings: Settings, smtp_clients: list[FakeSMTP], url: str
) -> None:
    with pytest.raises(ValueError, match="must look like smtp://"):
        await send_mail(_mail_settings(engine_settings, url), "a@b.c", "S", "t")
    assert smtp_clients == []


@pytest.mark.parametrize(("url", "sender"), [(None, "engine@example.com"), ("smtp://mail.example.com", "")])
async def test_sending_without_a_server_or_a_sender_is_a_programming_error(
    engine_settings: Settings, smtp_clients: list[FakeSMTP], url: str | None, sender: str
) -> None:
    with pytest.raises(AssertionError):
        await send_mail(_mail_settings(engine_settings, url, sender), "a@b.c", "S", "t")
    assert smtp_clients == []
