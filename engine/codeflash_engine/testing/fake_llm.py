"""A fake LLM server on a loopback port, for tests and benchmarks that drive the official SDKs.

It speaks, well enough for ``openai`` and ``anthropic`` clients pointed at it:

- OpenAI chat completions, ``POST /v1/chat/completions`` (also ``/chat/completions``):
  ``AsyncOpenAI(base_url=fake.openai_base_url)``, also as an OpenAI-compatible server;
- Azure OpenAI, ``POST /openai/deployments/{deployment}/chat/completions?api-version=...``:
  ``AsyncAzureOpenAI(azure_endpoint=fake.url)``;
- Anthropic messages, ``POST /v1/messages``: ``AsyncAnthropic(base_url=fake.url)``;
- Anthropic on Bedrock, ``POST /model/{model}/invoke``: ``AsyncAnthropicBedrock(base_url=fake.url)``
  with any AWS credentials (checked when the fake is given them).

Answers are scripted with rules, tried in the order they were added; the first rule that matches
the request (and has uses left) answers it, else :attr:`FakeLLM.default` does::

    async with FakeLLM(latency=0.05) as fake:
        fake.reply("def f(): return 1", model="gpt-4.1", contains="optimize")
        fake.fail(Fault.rate_limited(retry_after=0.2), times=1)       # the next call only
        fake.add(lambda req: Reply(req.user.upper()), api="anthropic")  # computed answers
        ...
        assert fake.requests[0].model == "gpt-4.1"

An answer is a :class:`Reply` (text, token usage including cached tokens, latency) or a
:class:`Fault` (429 with Retry-After, 500, 529, any status, a hang, a cut connection, a body that
is not JSON). Every request received is kept in :attr:`FakeLLM.requests` as a :class:`FakeRequest`.

With ``api_key=...`` the fake answers 401 to requests that present another key, quoting it
masked the way OpenAI does; with ``aws_credentials=(key_id, secret)`` it verifies Bedrock
requests' SigV4 signatures and answers 403 to bad ones. With ``simulate_cache=True`` Anthropic
requests with ``cache_control`` marks get cache writes the first time a prefix is seen and cache
reads after that, and OpenAI requests (automatic caching) read from the cache the longest prefix
their text (system, then user messages) shares with an earlier prompt of the same model (tokens
counted as characters / 4; reported as ``prompt_tokens_details.cached_tokens``). Every answer's
usage is kept in :attr:`FakeLLM.usages` as ``(model, prompt tokens, cached tokens)``.

:func:`echo` answers a Python prompt with its own code plus a constant holding a digest of the
prompt: identical prompts give identical candidates, different prompts different ones.

Heavy-tailed latency, as real providers have: with ``latency_median=0.8, latency_sigma=0.9`` each
answer that sets no latency of its own waits a lognormal delay (``median * exp(sigma * N(0, 1))``,
plus a uniform ``± latency_jitter``), drawn from a generator seeded with ``seed``, so the same
requests in the same order get the same delays. Every drawn delay is kept in
:attr:`FakeLLM.delays` (a :class:`DrawnDelay`, keyed by ``delay_key(request)``: by default a hash
of the prompt, so the calls of one fan-out share a key) and served as JSON at ``GET /_fake/delays``
when the fake runs in its own process: a benchmark computes "wait for all" from them.

:func:`fake_llm_elsewhere` runs one in a child process that answers the text of a file, so that
its CPU does not count against an engine measured in the calling process.

Run it standalone (for benchmarks or a manual try of the engine)::

    python -m codeflash_engine.testing.fake_llm --port 8100 --latency 0.5
    python -m codeflash_engine.testing.fake_llm --latency-median 0.8 --latency-sigma 0.9 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import inspect
import itertools
import json
import math
import random
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from codeflash_engine.text.cuts import first_difference

__all__ = [
    "DrawnDelay",
    "FakeLLM",
    "FakeRequest",
    "Fault",
    "Reply",
    "Rule",
    "echo",
    "fake_llm_elsewhere",
    "prompt_key",
]

API_KEY = "sk-fake-openai-0123456789abcdef0123"
"""Keys the fixtures configure (fake, but shaped like real ones so redaction is tested for real)."""
AZURE_KEY = "fake-azure-key-0123456789abcdef0123"
ANTHROPIC_KEY = "sk-ant-fake-0123456789abcdef0123456789"
AWS_ACCESS_KEY_ID = "AKIAFAKE0123456789AB"
AWS_SECRET_ACCESS_KEY = "fakeSecretAccessKey0123456789abcdefghijkl"
AWS_REGION = "us-east-1"


_PY_BLOCK = re.compile(r"```python:([^\n`]+)\n(.*?)\n```", re.DOTALL)


def echo(request: FakeRequest) -> Reply:
    """An answer made of the prompt: the first ```` ```python:<path> ```` block of its user message,
    its first function given a first statement that holds a digest of the whole prompt (so the
    candidate differs from the original, and from the echo of any other prompt)."""
    match = _PY_BLOCK.search(request.user)
    digest = hashlib.sha256(request.text.encode()).hexdigest()[:16]
    if match is None:
        return Reply(f"Nothing to echo ({digest}).")
    path, code = match.group(1).strip(), match.group(2)
    lines = code.splitlines()
    at = next((i for i, line in enumerate(lines) if re.match(r"\s*(async\s+)?def .*:\s*$", line)), None)
    if at is not None:
        indent = len(lines[at]) - len(lines[at].lstrip()) + 4
        lines.insert(at + 1, " " * indent + f'_echo = "{digest}"')
    body = "\n".join(lines)
    return Reply(f"Echo of the prompt.\n\n```python:{path}\n{body}\n```\n")


def _tokens(text: str) -> int:
    """A rough token count: one per four characters, at least one."""
    return max(1, len(text) // 4)


@attrs.frozen
class Reply:
    """A successful answer.

    ``prompt_tokens`` is the whole input (None: estimated from the request, characters / 4), of
    which ``cached_tokens`` were read from the cache and ``cache_write_tokens`` written to it
    (None: 0, or simulated when the fake simulates caching). ``latency`` (seconds) overrides the
    server's. ``finish_reason`` uses OpenAI's words (``stop``, ``length``); Anthropic answers get
    the equivalent (``end_turn``, ``max_tokens``). ``model`` overrides the model name reported.
    """

    text: str = "This is a fake answer."
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    latency: float | None = None
    finish_reason: str = "stop"
    model: str | None = None


@attrs.frozen
class Fault:
    """An answer that fails. Build them with the class methods."""

    kind: str  # "status" | "hang" | "cut" | "not_json" | "bad_json" | "unusable"
    status: int = 500
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    seconds: float | None = None
    content_type: str = "text/html"

    @classmethod
    def status_code(cls, status: int, message: str = "", *, headers: Mapping[str, str] | None = None) -> Fault:
        """An error status with the API's error body (its shape depends on the API called)."""
        return cls("status", status=status, message=message, headers=tuple((headers or {}).items()))

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0, *, header: str | None = None) -> Fault:
        """429 with ``Retry-After: retry_after`` (seconds); ``header`` sends that raw value instead."""
        headers: dict[str, str] = {}
        if header is not None:
            headers["Retry-After"] = header
        elif retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        return cls.status_code(429, "Rate limit reached. Please try again later.", headers=headers)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx answer (500 by default)."""
        return cls.status_code(status, "The server had an error while processing your request.")

    @classmethod
    def overloaded(cls) -> Fault:
        """Anthropic's 529 overloaded."""
        return cls.status_code(529, "Overloaded")

    @classmethod
    def bad_request(cls, message: str = "Invalid request.") -> Fault:
        """A 400."""
        return cls.status_code(400, message)

    @classmethod
    def not_found(cls, message: str = "The model does not exist or you do not have access to it.") -> Fault:
        """A 404 (unknown model or deployment)."""
        return cls.status_code(404, message)

    @classmethod
    def unauthorized(cls) -> Fault:
        """A 401 quoting the presented key masked, as OpenAI does."""
        return cls.status_code(401)

    @classmethod
    def hang(cls, seconds: float | None = None) -> Fault:
        """Accept the request and answer nothing (for ``seconds``, or until the server stops)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def cut(cls, delay: float = 0.0) -> Fault:
        """Close the connection without answering (after ``delay`` seconds)."""
        return cls("cut", delay=delay)

    @classmethod
    def not_json(cls, content_type: str = "text/html") -> Fault:
        """200 with an HTML page instead of JSON (a proxy's error page)."""
        return cls("not_json", status=200, content_type=content_type)

    @classmethod
    def bad_json(cls) -> Fault:
        """200, ``application/json``, with a truncated JSON body."""
        return cls("bad_json", status=200, content_type="application/json")

    @classmethod
    def unusable(cls) -> Fault:
        """200 with the API's JSON and its usage (the provider bills it), but no answer in it:
        OpenAI's ``choices`` empty, Anthropic's ``content`` missing."""
        return cls("unusable", status=200, content_type="application/json")


@attrs.frozen
class FakeRequest:
    """A request the fake received.

    ``api`` is ``openai``, ``azure``, ``anthropic`` or ``bedrock``; ``model`` the model (the
    deployment for Azure, the path's model for Bedrock); ``system`` and ``user`` the text of the
    system prompt and of the other messages; ``body`` the JSON body as sent; ``headers`` are
    case-insensitive.
    ``signature_valid`` is the SigV4 check of a Bedrock request (None when not checked).
    """

    api: str
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    model: str
    system: str
    user: str
    received: float
    signature_valid: bool | None = None

    @property
    def text(self) -> str:
        """System and user text together (what ``contains`` rules look in)."""
        return f"{self.system}\n{self.user}" if self.system else self.user

    @property
    def api_key(self) -> str | None:
        """The credential presented (bearer token, ``api-key``, ``x-api-key``), None for SigV4."""
        headers = self.headers
        if self.api == "azure":
            return headers.get("api-key")
        if self.api == "anthropic" and headers.get("x-api-key"):
            return headers.get("x-api-key")
        auth = headers.get("authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return None

    @property
    def cache_marks(self) -> int:
        """How many ``cache_control`` marks the request carries (Anthropic prompt caching)."""
        return json.dumps(self.body).count('"cache_control"')


#: where the engine's per-call strategy line starts (the calls of a fan-out differ only after it)
STRATEGY_LINE = "\n\nStrategy for this answer:"


def prompt_key(request: FakeRequest) -> str:
    """The default key of a drawn delay: a short hash of the request's model and text, without
    the strategy line of an optimize call.

    The calls of one fan-out send the same prompt but for that line, so they share it.
    """
    text = request.text.split(STRATEGY_LINE, 1)[0]
    return hashlib.sha256(f"{request.model}\0{text}".encode()).hexdigest()[:16]


@attrs.frozen
class DrawnDelay:
    """The latency drawn for one request: ``key`` (see ``delay_key``), ``model``, ``delay``
    (seconds), ``received`` (``time.monotonic()`` of the fake's process)."""

    key: str
    model: str
    delay: float
    received: float

    def as_json(self) -> dict[str, Any]:
        """The delay as served by ``GET /_fake/delays``."""
        return {"key": self.key, "model": self.model, "delay": self.delay, "received": self.received}


Answer = Reply | Fault
Responder = Answer | Callable[[FakeRequest], Answer | Awaitable[Answer]]


@attrs.define
class Rule:
    """Answer ``respond`` to requests that match every given condition, ``times`` times at most.

    ``model`` must equal the request's model, ``contains`` be a substring of its text, ``api``
    equal its API, and ``where`` (a callable) return True. ``hits`` counts the requests answered.
    """

    respond: Responder
    model: str | None = None
    contains: str | None = None
    api: str | None = None
    where: Callable[[FakeRequest], bool] | None = None
    times: int | None = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether the rule has answered as many times as it may."""
        return self.times is not None and self.hits >= self.times

    def matches(self, request: FakeRequest) -> bool:
        """Whether the rule applies to ``request`` (ignoring how often it was used)."""
        return (
            (self.model is None or request.model == self.model)
            and (self.api is None or request.api == self.api)
            and (self.contains is None or self.contains in request.text)
            and (self.where is None or bool(self.where(request)))
        )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}
_BEDROCK_ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
    529: "ServiceUnavailableException",
}
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}


def _mask(key: str | None) -> str:
    if not key:
        return "(none)"
    return key[:4] + "*" * max(4, len(key) - 8) + key[-4:] if len(key) > 8 else "****"


class FakeLLM:
    """The fake server. Start it with ``async with FakeLLM() as fake`` or :meth:`start` / :meth:`stop`.

    ``latency`` (seconds) delays every :class:`Reply` that sets none; ``default`` answers requests
    no rule matches; ``port=0`` picks a free port.

    With ``latency_median`` (seconds) such replies wait a lognormal delay instead: the median
    times ``exp(latency_sigma * N(0, 1))``, plus a uniform draw in ``± latency_jitter``, never below
    0; ``seed`` seeds the draws. Each drawn delay is appended to :attr:`delays`, keyed by
    ``delay_key(request)`` (default :func:`prompt_key`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        default: Responder | None = None,
        api_key: str | None = None,
        aws_credentials: tuple[str, str] | None = None,
        simulate_cache: bool = False,
        keep_requests: bool = True,
        latency_median: float | None = None,
        latency_sigma: float = 0.0,
        latency_jitter: float = 0.0,
        seed: int | None = None,
        delay_key: Callable[[FakeRequest], str] = prompt_key,
    ) -> None:
        self.host = host
        self.port = port
        self.latency = latency
        self.default: Responder = default if default is not None else Reply()
        self.api_key = api_key
        self.aws_credentials = aws_credentials
        self.simulate_cache = simulate_cache
        self.keep_requests = keep_requests
        self.latency_median = latency_median
        self.latency_sigma = latency_sigma
        self.latency_jitter = latency_jitter
        self.delay_key = delay_key
        self._rng = random.Random(seed)
        #: the delays drawn (lognormal latency), in the order the requests came
        self.delays: list[DrawnDelay] = []
        self.rules: list[Rule] = []
        self.requests: list[FakeRequest] = []
        #: requests served, kept or not
        self.served = 0
        self._ids = itertools.count(1)
        self._cache: set[str] = set()
        #: earlier prompt texts per model, for OpenAI's simulated prefix cache
        self._prefixes: dict[str, list[str]] = {}
        #: (model, prompt tokens, cached tokens) of every answer, in order
        self.usages: list[tuple[str, int, int]] = []
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application (to mount it yourself, e.g. with ``aiohttp_server``)."""
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/chat/completions", self._openai)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._azure)
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_post("/model/{model}/invoke", self._bedrock)
        app.router.add_post("/model/{model}/invoke-with-response-stream", self._no_stream)
        app.router.add_get("/_fake/delays", self._delays)
        return app

    async def start(self) -> FakeLLM:
        """Listen on ``host:port`` (a free port when 0); :attr:`url` is then known."""
        if self._runner is not None:
            return self
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=4096)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or ()
        self.port = int(next(iter(sockets)).getsockname()[1])
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Stop listening; hung requests are released."""
        self._stopping.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def serve_until_signalled(self) -> None:
        """Serve (standalone, in its own process) until SIGINT or SIGTERM; say where first."""
        async with self:
            print(f"fake LLM listening on {self.url}", flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            await stop.wait()

    async def __aenter__(self) -> FakeLLM:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- where clients point -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://host:port``: Anthropic's and Bedrock's base URL, Azure's endpoint."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """OpenAI's base URL (``/v1`` included)."""
        return f"{self.url}/v1"

    def settings_values(self, providers: Iterable[str] = ("openai",), *, models: str | None = None) -> dict[str, Any]:
        """Keyword arguments for :class:`~codeflash_engine.settings.Settings` pointing ``providers`` here.

        Every provider variable is given (None for the others), so a developer's real keys in
        the environment are never used by a test. Bedrock's endpoint is the SDK's own
        ``ANTHROPIC_BEDROCK_BASE_URL`` variable: set it to :attr:`url` (the fixtures do).
        """
        chosen = set(providers)
        unknown = chosen - {"openai", "azure", "anthropic", "bedrock"}
        if unknown:
            raise ValueError(f"unknown providers {sorted(unknown)}")
        on = chosen.__contains__
        return {
            "openai_api_key": API_KEY if on("openai") else None,
            "openai_base_url": self.openai_base_url if on("openai") else None,
            "azure_openai_api_key": AZURE_KEY if on("azure") else None,
            "azure_openai_endpoint": self.url if on("azure") else None,
            "openai_api_version": "2024-10-21" if on("azure") else None,
            "anthropic_api_key": ANTHROPIC_KEY if on("anthropic") else None,
            "anthropic_base_url": self.url if on("anthropic") else None,
            "aws_access_key_id": AWS_ACCESS_KEY_ID if on("bedrock") else None,
            "aws_secret_access_key": AWS_SECRET_ACCESS_KEY if on("bedrock") else None,
            "aws_region": AWS_REGION if on("bedrock") else None,
            "codeflash_engine_models": models,
        }

    # --- scripting -----------------------------------------------------------------------------

    def add(
        self,
        respond: Responder,
        *,
        model: str | None = None,
        contains: str | None = None,
        api: str | None = None,
        where: Callable[[FakeRequest], bool] | None = None,
        times: int | None = None,
    ) -> Rule:
        """Add a rule (after the existing ones) and return it."""
        rule = Rule(respond, model=model, contains=contains, api=api, where=where, times=times)
        self.rules.append(rule)
        return rule

    def reply(self, answer: str | Reply, **match: Any) -> Rule:
        """Answer ``answer`` (a text or a :class:`Reply`) to matching requests; see :meth:`add`."""
        return self.add(Reply(answer) if isinstance(answer, str) else answer, **match)

    def fail(self, fault: Fault, **match: Any) -> Rule:
        """Answer ``fault`` to matching requests; see :meth:`add`."""
        return self.add(fault, **match)

    def reset(self) -> None:
        """Forget rules, requests, drawn delays and the simulated cache."""
        self.rules.clear()
        self.requests.clear()
        self.delays.clear()
        self._cache.clear()
        self._prefixes.clear()
        self.usages.clear()
        self.served = 0

    def requests_for(self, *, model: str | None = None, api: str | None = None) -> list[FakeRequest]:
        """The requests received for ``model`` and/or ``api``."""
        return [r for r in self.requests if (model is None or r.model == model) and (api is None or r.api == api)]

    def draw_latency(self) -> float:
        """One delay (seconds) from the configured distribution (the fixed ``latency`` without a median)."""
        if self.latency_median is None:
            return self.latency
        delay = self.latency_median
        if self.latency_sigma > 0:
            delay *= math.exp(self.latency_sigma * self._rng.gauss(0.0, 1.0))
        if self.latency_jitter > 0:
            delay += self._rng.uniform(-self.latency_jitter, self.latency_jitter)
        return max(0.0, delay)

    def wait_for_all(self) -> dict[str, float]:
        """The longest drawn delay per key: what waiting for every call of a fan-out costs."""
        out: dict[str, float] = {}
        for drawn in self.delays:
            out[drawn.key] = max(out.get(drawn.key, 0.0), drawn.delay)
        return out

    # --- handlers ------------------------------------------------------------------------------

    async def _delays(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"delays": [d.as_json() for d in self.delays]})

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        return await self._serve("openai", request, None)

    async def _azure(self, request: web.Request) -> web.StreamResponse:
        if "api-version" not in request.query:
            return self._error_response("azure", 404, "Resource not found: api-version is missing")
        return await self._serve("azure", request, request.match_info["deployment"])

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._serve("anthropic", request, None)

    async def _bedrock(self, request: web.Request) -> web.StreamResponse:
        return await self._serve("bedrock", request, urllib.parse.unquote(request.match_info["model"]))

    async def _no_stream(self, request: web.Request) -> web.StreamResponse:
        return self._error_response("bedrock", 400, "the fake LLM server does not stream")

    async def _serve(self, api: str, request: web.Request, path_model: str | None) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self._error_response(api, 400, "the request body is not JSON")
        if not isinstance(body, dict):
            return self._error_response(api, 400, "the request body is not a JSON object")
        if body.get("stream"):
            return self._error_response(api, 400, "the fake LLM server does not stream")
        fake_request = self._describe(api, request, body, raw, path_model)
        self.served += 1
        if self.keep_requests:
            self.requests.append(fake_request)

        if api == "bedrock" and fake_request.signature_valid is False:
            return self._error_response(
                api, 403, "The request signature we calculated does not match the signature you provided."
            )
        if self.api_key is not None and api != "bedrock" and fake_request.api_key != self.api_key:
            return self._error_response(api, 401, self._unauthorized_message(fake_request))

        answer = await self._answer(fake_request)
        if isinstance(answer, Fault):
            return await self._fault(api, request, fake_request, answer)
        texts = [answer.text]
        if api in ("openai", "azure"):
            # several choices (OpenAI's n): each one answered by the rules, as a request of its own
            # would be (a fault among them answers the first choice's text again)
            for _ in range(int(body.get("n") or 1) - 1):
                extra = await self._answer(fake_request)
                texts.append(extra.text if isinstance(extra, Reply) else answer.text)
        if answer.latency is not None:
            delay = answer.latency
        elif self.latency_median is None:
            delay = self.latency
        else:
            delay = self.draw_latency()
            self.delays.append(DrawnDelay(self.delay_key(fake_request), fake_request.model, delay, time.monotonic()))
        if delay > 0:
            await asyncio.sleep(delay)
        return web.json_response(self._body(fake_request, answer, texts))

    def _describe(
        self, api: str, request: web.Request, body: dict[str, Any], raw: bytes, path_model: str | None
    ) -> FakeRequest:
        system = ""
        user_parts: list[str] = []
        if api in ("openai", "azure"):
            for message in body.get("messages") or ():
                if not isinstance(message, dict):
                    continue
                text = _content_text(message.get("content"))
                if message.get("role") in ("system", "developer"):
                    system += text
                else:
                    user_parts.append(text)
        else:
            system = _content_text(body.get("system"))
            for message in body.get("messages") or ():
                if isinstance(message, dict):
                    user_parts.append(_content_text(message.get("content")))
        signature_valid = None
        if api == "bedrock" and self.aws_credentials is not None:
            signature_valid = verify_sigv4(
                request.method, request.raw_path, request.headers, raw, *self.aws_credentials
            )
        return FakeRequest(
            api=api,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            body=body,
            model=path_model or str(body.get("model", "")),
            system=system,
            user="\n".join(user_parts),
            received=time.monotonic(),
            signature_valid=signature_valid,
        )

    async def _answer(self, request: FakeRequest) -> Answer:
        responder: Responder = self.default
        for rule in self.rules:
            if not rule.exhausted and rule.matches(request):
                rule.hits += 1
                responder = rule.respond
                break
        if isinstance(responder, Reply | Fault):
            return responder
        result = responder(request)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, Reply | Fault):
            raise TypeError(f"a fake LLM rule returned {type(result).__name__}, not a Reply or a Fault")
        return result

    async def _fault(self, api: str, request: web.Request, fake: FakeRequest, fault: Fault) -> web.StreamResponse:
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.kind == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=fault.seconds)
            return self._error_response(api, 504, "the fake hung and gave up")
        if fault.kind == "cut":
            transport = request.transport
            if transport is not None:
                transport.abort()
            # nothing can be sent any more; aiohttp discards this response
            return web.Response(status=500)
        if fault.kind == "not_json":
            return web.Response(
                status=fault.status,
                text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                content_type=fault.content_type,
            )
        if fault.kind == "bad_json":
            return web.Response(status=fault.status, text='{"id": "chatcmpl-trunc', content_type="application/json")
        if fault.kind == "unusable":
            # the default answer's usage (the provider bills it), without the answer
            body = self._body(fake, self.default if isinstance(self.default, Reply) else Reply())
            if fake.api in ("openai", "azure"):
                body["choices"] = []
            else:
                del body["content"]
            return web.json_response(body)
        message = fault.message
        if fault.status == 401 and not message:
            message = self._unauthorized_message(fake)
        return self._error_response(api, fault.status, message or f"fake error {fault.status}", dict(fault.headers))

    @staticmethod
    def _unauthorized_message(request: FakeRequest) -> str:
        return (
            f"Incorrect API key provided: {_mask(request.api_key)}. "
            "You can find your API key at https://platform.openai.com/account/api-keys."
        )

    @staticmethod
    def _error_response(api: str, status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
        out_headers = dict(headers or {})
        body: dict[str, Any]
        if api in ("openai", "azure"):
            body = {
                "error": {
                    "message": message,
                    "type": _OPENAI_ERROR_TYPES.get(status, "server_error"),
                    "param": None,
                    "code": "invalid_api_key" if status == 401 else None,
                }
            }
        elif api == "anthropic":
            body = {
                "type": "error",
                "error": {"type": _ANTHROPIC_ERROR_TYPES.get(status, "api_error"), "message": message},
            }
        else:
            body = {"message": message}
            out_headers.setdefault("x-amzn-ErrorType", _BEDROCK_ERROR_TYPES.get(status, "InternalServerException"))
        return web.json_response(body, status=status, headers=out_headers)

    # --- answer bodies -------------------------------------------------------------------------

    def _usage(self, request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> tuple[int, int, int, int]:
        """(prompt tokens in all, completion tokens, cache reads, cache writes)."""
        cached = reply.cached_tokens
        written = reply.cache_write_tokens
        prefix_cached = False
        if self.simulate_cache and cached is None and written is None:
            if request.api in ("anthropic", "bedrock"):
                cached, written = self._simulated_cache(request)
            else:
                cached, prefix_cached = self._prefix_cache(request), True
        cached = cached or 0
        written = written or 0
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else _tokens(request.text)
        if reply.prompt_tokens is None and not prefix_cached:  # given or marked cache tokens come on top
            prompt += cached + written
        if reply.completion_tokens is not None:
            completion = reply.completion_tokens
        else:
            completion = sum(_tokens(text) for text in (texts or [reply.text]))
        return max(prompt, cached + written), completion, cached, written

    #: earlier prompts kept per model for the prefix cache
    PREFIXES_KEPT = 256

    def _prefix_cache(self, request: FakeRequest) -> int:
        """OpenAI's automatic cache in miniature: the longest prefix shared with an earlier prompt
        of the same model, in tokens (characters / 4; 0 when nothing is shared)."""
        text = request.text
        earlier = self._prefixes.setdefault(request.model, [])
        shared = max((first_difference(text, other) for other in earlier), default=0)
        earlier.append(text)
        del earlier[: -self.PREFIXES_KEPT]
        return shared // 4

    def _simulated_cache(self, request: FakeRequest) -> tuple[int, int]:
        """Anthropic's cache in miniature: the text up to the last ``cache_control`` mark is the prefix."""
        blocks: list[tuple[str, bool]] = []
        system = request.body.get("system")
        if isinstance(system, list):
            blocks += [(str(b.get("text", "")), "cache_control" in b) for b in system if isinstance(b, dict)]
        elif isinstance(system, str):
            blocks.append((system, False))
        for message in request.body.get("messages") or ():
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, list):
                blocks += [(str(b.get("text", "")), "cache_control" in b) for b in content if isinstance(b, dict)]
            elif isinstance(content, str):
                blocks.append((content, False))
        marked = [i for i, (_, mark) in enumerate(blocks) if mark]
        if not marked:
            return 0, 0
        prefix = "".join(text for text, _ in blocks[: marked[-1] + 1])
        key = hashlib.sha256(f"{request.model}\0{prefix}".encode()).hexdigest()
        if key in self._cache:
            return _tokens(prefix), 0
        self._cache.add(key)
        return 0, _tokens(prefix)

    def _body(self, request: FakeRequest, reply: Reply, texts: list[str] | None = None) -> dict[str, Any]:
        """The answer's JSON; ``texts``: one per choice (OpenAI's n; the prompt counted once)."""
        texts = texts or [reply.text]
        prompt, completion, cached, written = self._usage(request, reply, texts)
        model = reply.model or request.model
        self.usages.append((request.model, prompt, cached))
        n = next(self._ids)
        if request.api in ("openai", "azure"):
            return {
                "id": f"chatcmpl-fake{n}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "finish_reason": reply.finish_reason,
                        "logprobs": None,
                    }
                    for i, text in enumerate(texts)
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                    "prompt_tokens_details": {"cached_tokens": cached, "cache_write_tokens": written},
                },
                "system_fingerprint": None,
            }
        return {
            "id": f"msg_fake{n}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": _STOP_REASONS.get(reply.finish_reason, reply.finish_reason),
            "stop_sequence": None,
            "usage": {
                "input_tokens": max(0, prompt - cached - written),
                "output_tokens": completion,
                "cache_read_input_tokens": cached,
                "cache_creation_input_tokens": written,
            },
        }


# --- SigV4 ------------------------------------------------------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def verify_sigv4(
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    secret_access_key: str,
) -> bool:
    """Check an AWS Signature Version 4 ``Authorization`` header against the request, from the spec.

    Recomputes the canonical request (path URI-encoded once more, as for every service but S3),
    the string to sign and the signature with the secret key, and compares. Also checks that the
    credential names ``access_key_id`` and that ``X-Amz-Date`` is within 15 minutes of now.
    """
    auth = headers.get("Authorization", "")
    algorithm, _, params = auth.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return False
    fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    try:
        credential, signed, signature = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
        key_id, date, region, service, terminal = credential.split("/")
        amz_date = headers["X-Amz-Date"]
    except (KeyError, ValueError):
        return False
    if key_id != access_key_id or terminal != "aws4_request" or not amz_date.startswith(date):
        return False
    try:
        when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return False
    if abs((dt.datetime.now(dt.UTC) - when).total_seconds()) > 900:
        return False

    path, _, query = raw_path.partition("?")
    canonical_uri = urllib.parse.quote(path, safe="/~")
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in pairs
    )
    names = signed.split(";")
    lowered = {k.lower(): v for k, v in headers.items()}
    if any(name not in lowered for name in names):
        return False
    canonical_headers = "".join(f"{name}:{' '.join(lowered[name].split())}\n" for name in names)
    payload = lowered.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join([method.upper(), canonical_uri, canonical_query, canonical_headers, signed, payload])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_access_key}".encode(), date), region), service), "aws4_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


# --- in a process of its own ---------------------------------------------------------------------


@contextlib.contextmanager
def fake_llm_elsewhere(answer_file: Path) -> Iterator[str]:
    """A fake LLM in a child process answering every request with the text of ``answer_file``;
    yields its URL (``http://host:port``) and stops it when the block ends.

    For tests and probes that measure the engine's event loop: encoding and sending a large
    answer (or reading a large prompt) costs the fake CPU and, in the same process, the GIL, which
    would count against the engine under test. The file is read again for every request, so a
    caller may rewrite it between requests. The child stops when its stdin closes: at the end of
    the block, or when this process dies without ending it.

    RuntimeError when the child exits before it says where it listens.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", _ELSEWHERE, str(answer_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("fake LLM listening on http://"):
            raise RuntimeError(f"the fake LLM did not start (exit {process.wait(timeout=10)}): {line!r}")
        yield line.rsplit(" ", 1)[-1]
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


#: what :func:`fake_llm_elsewhere`'s child runs (``sys.argv[1]``: the answer file)
_ELSEWHERE = "import sys; from codeflash_engine.testing.fake_llm import _serve_file; _serve_file(sys.argv[1])"


def _serve_file(answer_file: str) -> None:
    """:func:`fake_llm_elsewhere`'s child: serve the file's text until stdin closes."""
    answer = Path(answer_file)

    async def serve() -> None:
        fake = FakeLLM(default=lambda request: Reply(answer.read_text()), keep_requests=False)
        async with fake:
            print(f"fake LLM listening on {fake.url}", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(serve())


# --- standalone ---------------------------------------------------------------------------------


async def _serve_forever(args: argparse.Namespace) -> None:
    fake = FakeLLM(
        host=args.host,
        port=args.port,
        latency=args.latency,
        default=Reply(args.text),
        keep_requests=False,
        simulate_cache=args.simulate_cache,
        latency_median=args.latency_median,
        latency_sigma=args.latency_sigma,
        latency_jitter=args.latency_jitter,
        seed=args.seed,
    )
    await fake.serve_until_signalled()


def main(argv: list[str] | None = None) -> None:
    """``python -m codeflash_engine.testing.fake_llm``: serve until interrupted."""
    parser = argparse.ArgumentParser(description="A fake OpenAI/Azure/Anthropic/Bedrock server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed at start)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument(
        "--latency-median",
        type=float,
        default=None,
        help="lognormal latency instead: its median (seconds); drawn delays at GET /_fake/delays",
    )
    parser.add_argument("--latency-sigma", type=float, default=0.0, help="lognormal latency: sigma of its log")
    parser.add_argument("--latency-jitter", type=float, default=0.0, help="lognormal latency: plus uniform ± seconds")
    parser.add_argument("--seed", type=int, default=None, help="seed of the latency draws")
    parser.add_argument("--text", default=Reply().text, help="the answer's text")
    parser.add_argument("--simulate-cache", action="store_true", help="simulate Anthropic's prompt cache")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
