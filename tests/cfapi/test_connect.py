"""``codeflash-engine connect``: forwarding the CLI's local /ai and /cfapi calls to a remote engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from codeflash_engine.app import create_app
from codeflash_engine.cli import main
from codeflash_engine.commands.connect import ConnectError, Remote, check_remote, check_url, create_connect_app
from codeflash_engine.settings import Settings
from codeflash_engine.testing.engine import API_KEY

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]
CLI_KEY = "cf-" + "c" * 43  # what the CLI sends: connect replaces it with the developer's key


def url_of(client: Client) -> str:
    server = client.server
    assert isinstance(server, TestServer)
    return str(server.make_url("")).rstrip("/")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_forwards_ai_and_cfapi_with_the_developers_key(engine_client: Client, aiohttp_client: MakeClient) -> None:
    remote = Remote(url_of(engine_client), API_KEY)
    assert await check_remote(remote) == "local"
    local = await aiohttp_client(create_connect_app(remote))
    auth = {"Authorization": f"Bearer {CLI_KEY}"}
    resp = await local.get("/cfapi/cli-get-user", headers=auth)
    assert resp.status == 200 and (await resp.json())["userId"] == "local"
    resp = await local.post(
        "/cfapi/mark-as-success", json={"trace_id": "t-1", "is_optimization_found": True}, headers=auth
    )
    assert resp.status == 200
    resp = await local.post("/ai/no-such-route", json={}, headers=auth)
    assert resp.status == 404 and "no such endpoint" in (await resp.json())["error"]  # the remote's own answer
    resp = await local.get("/elsewhere")
    assert resp.status == 404 and "/ai and /cfapi only" in (await resp.json())["error"]


async def test_a_remote_that_is_down_is_said_clearly(aiohttp_client: MakeClient) -> None:
    remote = Remote(f"http://127.0.0.1:{closed_port()}", API_KEY)
    with pytest.raises(ConnectError, match=r"cannot reach the remote engine at http://127\.0\.0\.1:\d+"):
        await check_remote(remote)
    local = await aiohttp_client(create_connect_app(remote))
    resp = await local.post("/ai/optimize", json={})
    assert resp.status == 502
    assert "is unreachable" in (await resp.json())["error"]


async def test_a_refused_key_is_said_clearly(engine_client: Client, aiohttp_client: MakeClient) -> None:
    remote = Remote(url_of(engine_client), "cf-" + "z" * 43)
    with pytest.raises(ConnectError, match=r"refused your API key \(403: API key not recognised"):
        await check_remote(remote)
    local = await aiohttp_client(create_connect_app(remote))
    resp = await local.post("/ai/optimize", json={})
    assert resp.status == 401 and "API key not recognised" in (await resp.json())["error"]


async def test_a_slow_remote_is_waited_for_up_to_the_timeout(aiohttp_client: MakeClient) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/ai/slow", slow)
    slow_remote = await aiohttp_client(app)
    patient = await aiohttp_client(create_connect_app(Remote(url_of(slow_remote), API_KEY, timeout=10)))
    resp = await patient.post("/ai/slow", json={})
    assert resp.status == 200 and await resp.json() == {"ok": True}
    hasty = await aiohttp_client(create_connect_app(Remote(url_of(slow_remote), API_KEY, timeout=0.3)))
    resp = await hasty.post("/ai/slow", json={})
    assert resp.status == 504 and "did not answer /ai/slow within 0.3 s" in (await resp.json())["error"]


def test_only_https_leaves_the_machine() -> None:
    assert check_url("https://engine.example.com/") == "https://engine.example.com"
    assert check_url("http://127.0.0.1:9000") == "http://127.0.0.1:9000"
    with pytest.raises(ConnectError, match="HTTPS only"):
        check_url("http://engine.example.com")
    with pytest.raises(ConnectError, match="not an engine URL"):
        check_url("engine.example.com")


def test_the_command_exits_with_a_clear_message_when_the_remote_is_down() -> None:
    result = CliRunner().invoke(
        main, ["connect", f"http://127.0.0.1:{closed_port()}", "--port", str(closed_port()), "--key", API_KEY]
    )
    assert result.exit_code == 1
    assert "codeflash-engine connect: cannot reach the remote engine" in result.output


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), signed by itself."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codeflash-engine test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "engine.pem", tmp / "engine.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


async def test_over_https_the_engines_certificate_is_verified(
    engine_settings: Settings, aiohttp_client: MakeClient, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    runner = web.AppRunner(create_app(engine_settings))
    await runner.setup()
    port = closed_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    try:
        url = f"https://127.0.0.1:{port}"
        with pytest.raises(ConnectError, match=r"TLS failed|certificate"):  # not trusted by the system
            await check_remote(Remote(url, API_KEY))
        trusted = Remote(url, API_KEY, ca_file=str(cert))
        assert await check_remote(trusted) == "local"
        local = await aiohttp_client(create_connect_app(trusted))
        resp = await local.get("/cfapi/cli-get-user", headers={"Authorization": f"Bearer {CLI_KEY}"})
        assert resp.status == 200 and (await resp.json())["userId"] == "local"
    finally:
        await runner.cleanup()
