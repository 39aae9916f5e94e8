"""``codeflash-engine connect URL``: the CLI on a developer's machine, the engine on a server.

The Codeflash CLI's ``local`` mode is fixed to ``http://localhost:8000`` (``/ai``) and
``http://localhost:3001`` (``/cfapi``). ``connect`` listens on both and forwards every ``/ai``
and ``/cfapi`` request to the team's engine at ``URL`` over HTTPS, with the developer's key:

- the key is ``--key`` or ``CODEFLASH_API_KEY`` (the one the CLI uses anyway); it replaces
  whatever Authorization the CLI sent;
- each forwarded request may take :data:`UPSTREAM_TIMEOUT` seconds, longer than the CLI's own
  limits (300 s for ``/ai``, 60 s for ``/cfapi``), so the CLI's limit is the one that applies;
- at start, it checks that the engine answers and accepts the key, and says clearly when it does
  not; later failures answer the CLI with a JSON error saying what happened (502 unreachable,
  504 too slow), which the CLI prints.

Plain ``http://`` is accepted only for a loopback address (tests, an SSH tunnel).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import ssl
import sys
import urllib.parse
from collections.abc import AsyncIterator

import aiohttp
import attrs
import click
from aiohttp import web

from codeflash_engine import __version__

log = logging.getLogger(__name__)

#: seconds one forwarded request may take: above the CLI's 300 s read timeout for /ai
UPSTREAM_TIMEOUT = 330.0
#: seconds to open a connection to the remote engine
CONNECT_TIMEOUT = 10.0
#: request and response headers passed along (hop-by-hop ones and Authorization are not)
_PASSED_REQUEST_HEADERS = ("content-type", "accept", "x-request-id", "cli_version", "user-agent")
_DROPPED_RESPONSE_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
#: the largest body forwarded (the engine's own default limit)
MAX_BODY = 64 * 1024 * 1024


class ConnectError(Exception):
    """The remote engine cannot be used: unreachable, refusing the key, or not an engine."""


@attrs.frozen
class Remote:
    """Where the team's engine is, and the developer's key."""

    url: str
    key: str | None = attrs.field(repr=False)
    timeout: float = UPSTREAM_TIMEOUT
    #: certificates to trust for the engine (an internal CA); None: the system's
    ca_file: str | None = None

    def target(self, path_qs: str) -> str:
        return self.url.rstrip("/") + path_qs

    def connector(self) -> aiohttp.TCPConnector:
        """Connections that verify the engine's certificate (against ``ca_file`` when given)."""
        if self.ca_file is None:
            return aiohttp.TCPConnector()
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(f"cannot read the certificates in {self.ca_file}: {exc}") from None
        return aiohttp.TCPConnector(ssl=context)


def check_url(url: str) -> str:
    """``url`` without a trailing slash; https, or http to a loopback address only."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConnectError(f"{url!r} is not an engine URL: give https://HOST[:PORT] (the team's engine)")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConnectError(
            f"{url} is plain HTTP: connect forwards your API key, so it talks to remote engines over HTTPS only "
            "(plain HTTP is accepted for a loopback address, e.g. an SSH tunnel)"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _headers(request: web.Request, remote: Remote) -> dict[str, str]:
    headers = {name: request.headers[name] for name in _PASSED_REQUEST_HEADERS if name in request.headers}
    if remote.key:
        headers["Authorization"] = f"Bearer {remote.key}"
    elif "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    headers["X-Forwarded-By"] = f"codeflash-engine-connect/{__version__}"
    return headers


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("connect_session", aiohttp.ClientSession)


def create_connect_app(remote: Remote) -> web.Application:
    """The forwarding application (one per listening port; both forward ``/ai`` and ``/cfapi``)."""
    app = web.Application(client_max_size=MAX_BODY)

    async def open_session(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=remote.timeout, connect=CONNECT_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout, connector=remote.connector()) as session:  # decompresses
            app[SESSION] = session
            yield

    async def forward(request: web.Request) -> web.StreamResponse:
        path = request.path
        if not (path.startswith(("/ai/", "/cfapi/")) or path in ("/healthcheck", "/ai", "/cfapi")):
            return _json_error(404, f"connect forwards /ai and /cfapi only, not {path}")
        body = await request.read()
        target = remote.target(request.path_qs)
        try:
            async with request.app[SESSION].request(
                request.method, target, data=body or None, headers=_headers(request, remote), allow_redirects=False
            ) as upstream:
                payload = await upstream.read()
                headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS}
                if upstream.status in (401, 403):
                    log.warning("the remote engine refused the key on %s (%d)", path, upstream.status)
                return web.Response(status=upstream.status, body=payload, headers=headers)
        except TimeoutError:
            message = f"connect: the remote engine at {remote.url} did not answer {path} within {remote.timeout:g} s"
            log.error("%s", message)
            return _json_error(504, message)
        except aiohttp.ClientError as exc:
            message = (
                f"connect: the remote engine at {remote.url} is unreachable ({_reason(exc)}); "
                "check the URL and your network"
            )
            log.error("%s", message)
            return _json_error(502, message)

    app.cleanup_ctx.append(open_session)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return str(exc.os_error.strerror or exc.os_error) if exc.os_error else str(exc)
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS failed: {exc}"
    return str(exc) or type(exc).__name__


#: seconds the start-up check may take
CHECK_TIMEOUT = 20.0


async def check_remote(remote: Remote, *, limit: float = CHECK_TIMEOUT) -> str:
    """Ask the remote engine who the key belongs to; its user id, or :class:`ConnectError` saying why not."""
    client_timeout = aiohttp.ClientTimeout(total=limit, connect=CONNECT_TIMEOUT)
    headers = {"Authorization": f"Bearer {remote.key}"} if remote.key else {}
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout, connector=remote.connector()) as session,
            session.get(remote.target("/cfapi/cli-get-user"), headers=headers) as resp,
        ):
            text = await resp.text()
            try:
                answer = await resp.json(content_type=None)
            except ValueError:
                answer = None
    except TimeoutError:
        raise ConnectError(f"the remote engine at {remote.url} did not answer within {limit:g} s") from None
    except aiohttp.ClientError as exc:
        raise ConnectError(
            f"cannot reach the remote engine at {remote.url}: {_reason(exc)} (check the URL, your network or VPN)"
        ) from None
    error = answer.get("error") if isinstance(answer, dict) else None
    if resp.status in (401, 403):
        raise ConnectError(
            f"the remote engine at {remote.url} refused your API key ({resp.status}: {error or text[:200]}); "
            "check CODEFLASH_API_KEY or --key, or ask the engine's operator for a key"
        )
    if resp.status == 404:
        raise ConnectError(f"{remote.url} answered 404 for /cfapi/cli-get-user: is it a codeflash-engine?")
    if resp.status != 200 or not isinstance(answer, dict) or "userId" not in answer:
        raise ConnectError(f"the remote engine at {remote.url} answered {resp.status}: {error or text[:200]}")
    return str(answer["userId"])


async def run_connect(remote: Remote, host: str, ports: tuple[int, ...], *, check: bool = True) -> None:
    """Check the remote (unless told not to), listen on ``ports``, forward until SIGINT/SIGTERM."""
    if check:
        user = await check_remote(remote)
        click.echo(f"connect: {remote.url} accepts your key (user {user})", err=True)
    runners = []
    try:
        for port in ports:
            runner = web.AppRunner(create_connect_app(remote), access_log=None, handle_signals=False)
            await runner.setup()
            runners.append(runner)
            try:
                await web.TCPSite(runner, host, port).start()
            except OSError as exc:
                raise ConnectError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        click.echo(
            f"connect: forwarding http://{host}:{ports[0]}/ai"
            + (f" and http://{host}:{ports[1]}/cfapi" if len(ports) > 1 else "")
            + f" to {remote.url}; run the CLI with CODEFLASH_AIS_SERVER=local CODEFLASH_CFAPI_SERVER=local",
            err=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()


@click.command("connect")
@click.argument("url")
@click.option("--key", envvar="CODEFLASH_API_KEY", default=None, help="Your API key [env CODEFLASH_API_KEY].")
@click.option("--host", default="127.0.0.1", show_default=True, help="Local interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Local /ai port.")
@click.option(
    "--cfapi-port", type=click.IntRange(0, 65535), default=3001, show_default=True, help="Local /cfapi port (0: none)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=UPSTREAM_TIMEOUT,
    show_default=True,
    help="Seconds one forwarded request may take (keep it above the CLI's 300 s).",
)
@click.option("--no-check", is_flag=True, help="Start without checking the remote engine and the key first.")
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM certificates to trust for the engine (an internal CA) instead of the system's.",
)
def connect(
    url: str,
    key: str | None,
    host: str,
    port: int,
    cfapi_port: int,
    timeout: float,
    no_check: bool,
    ca_file: str | None,
) -> None:
    """Forward the CLI's local /ai and /cfapi calls to the team's engine at URL (HTTPS), with your key."""
    logging.basicConfig(level=logging.WARNING, format="connect: %(message)s", stream=sys.stderr)
    try:
        remote = Remote(check_url(url), key or os.environ.get("CODEFLASH_API_KEY"), timeout, ca_file)
        ports = (port, cfapi_port) if cfapi_port else (port,)
        asyncio.run(run_connect(remote, host, ports, check=not no_check))
    except ConnectError as exc:
        click.echo(f"codeflash-engine connect: {exc}", err=True)
        sys.exit(1)
