"""Exceptions every layer may raise; the HTTP layer turns them into JSON errors with a status."""

from __future__ import annotations


class EngineError(Exception):
    """A failure with a message fit for the client. ``status`` is the HTTP status to answer."""

    status = 500

    def __init__(self, message: str, *, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = headers or {}


class InvalidRequest(EngineError):
    """The request is well-formed JSON but cannot be served as it stands (422)."""

    status = 422


class UnsupportedLanguage(InvalidRequest):
    """No loaded plugin provides the language the request names."""


class ServiceUnavailable(EngineError):
    """A dependency (database, every LLM provider) is unavailable right now (503)."""

    status = 503


class UpstreamFailed(EngineError):
    """Every LLM call of the request failed (502)."""

    status = 502
