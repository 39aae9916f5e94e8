"""Optional integrations: Sentry (``SENTRY_DSN``) and PostHog (``POSTHOG_API_KEY``).

Each does nothing, and its package is not even imported, while its variable is unset. Install
them with the extras ``codeflash-engine[sentry]`` and ``codeflash-engine[posthog]``; a variable
set without the package installed is reported once in the log and otherwise ignored.

Sentry receives the engine's ERROR log lines (unhandled exceptions among them) as events,
tagged with the request id and trace id of the request they happened in; local variables of
stack frames are not sent (they may hold prompts or keys) and neither are request bodies.
PostHog receives one ``codeflash-engine request`` event per authenticated ``/ai`` request
(route, status, latency, LLM time, calls and cost; the caller's user id as distinct id), queued
and sent in batches by the PostHog client's own thread, never on the request's path.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import attrs

from codeflash_engine import __version__
from codeflash_engine.infra.logging import request_id_var, trace_id_var
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

EVENT = "codeflash-engine request"


#: what an API key or an Authorization value looks like in free text
_KEYISH = re.compile(r"(?i)(bearer\s+)\S+|cf-[A-Za-z0-9_\-]{8,}")


def scrub_keys(text: str) -> str:
    """``text`` with API keys and Authorization values replaced by ``[redacted]``."""
    return _KEYISH.sub(lambda m: (m.group(1) or "") + "[redacted]", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_keys(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _sentry_before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag the event with the request and trace ids; no key or Authorization value leaves with it."""
    for field in ("message", "logentry", "exception", "breadcrumbs", "extra", "request"):
        if field in event:
            event[field] = _scrub(event[field])
    tags = event.setdefault("tags", {})
    request_id = request_id_var.get()
    trace_id = trace_id_var.get()
    if request_id:
        tags.setdefault("request_id", request_id)
    if trace_id:
        tags.setdefault("trace_id", trace_id)
    return event


@attrs.define
class Integrations:
    """The integrations switched on for this process; :meth:`close` flushes and stops them."""

    sentry: bool = False
    posthog: Any = None  # a posthog.Posthog client when on

    @classmethod
    def start(cls, settings: Settings) -> Integrations:
        """Switch on what the settings ask for."""
        out = cls()
        if settings.sentry_dsn is not None and settings.sentry_dsn.get_secret_value().strip():
            out.sentry = _start_sentry(settings)
        if settings.posthog_api_key is not None and settings.posthog_api_key.get_secret_value().strip():
            out.posthog = _start_posthog(settings)
        return out

    def request_event(self, user_id: str, properties: dict[str, Any]) -> None:
        """Queue one request event for PostHog (no-op when it is off)."""
        if self.posthog is None:
            return
        try:
            self.posthog.capture(EVENT, distinct_id=user_id, properties=properties)
        except Exception as exc:  # never let analytics break a request
            log.debug("posthog capture failed: %s", exc)

    async def aclose(self) -> None:
        """:meth:`close` in a worker thread: flushing waits on the network, never on the event loop."""
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Flush and stop (at shutdown); blocks while the last events are sent."""
        if self.posthog is not None:
            client, self.posthog = self.posthog, None
            try:
                client.shutdown()
            except Exception as exc:  # network trouble at exit
                log.warning("posthog shutdown failed: %s", exc)
        if self.sentry:
            self.sentry = False
            import sentry_sdk

            sentry_sdk.flush(timeout=2.0)
            sentry_sdk.get_client().close(timeout=2.0)
            sentry_sdk.get_global_scope().set_client(None)  # back to the non-recording client


def _start_sentry(settings: Settings) -> bool:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.logging import LoggingIntegration
    except ImportError:
        log.warning("SENTRY_DSN is set but sentry-sdk is not installed: pip install 'codeflash-engine[sentry]'")
        return False
    assert settings.sentry_dsn is not None
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value().strip(),
        environment=settings.environment,
        release=f"codeflash-engine@{__version__}",
        # no automatic patching of aiohttp: the error middleware already logs what went wrong
        auto_enabling_integrations=False,
        integrations=[LoggingIntegration(level=None, event_level=logging.ERROR)],
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=None,
        before_send=_sentry_before_send,  # type: ignore[arg-type]
    )
    log.info("Sentry error reporting is on", extra={"environment": settings.environment})
    return True


def _start_posthog(settings: Settings) -> Any:
    try:
        from posthog import Posthog
    except ImportError:
        log.warning("POSTHOG_API_KEY is set but posthog is not installed: pip install 'codeflash-engine[posthog]'")
        return None
    assert settings.posthog_api_key is not None
    client = Posthog(
        settings.posthog_api_key.get_secret_value().strip(),
        host=settings.posthog_host,
        disable_geoip=True,
        super_properties={"environment": settings.environment, "engine_version": __version__},
    )
    log.info("PostHog request events are on", extra={"posthog_host": settings.posthog_host})
    return client
