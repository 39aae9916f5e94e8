"""Configuration read from the environment (names fixed by DESIGN.md), with pydantic-settings.

Field names are the environment variable names, lower-cased; pydantic-settings matches them
case-insensitively, so ``DATABASE_URL`` sets ``database_url``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MiB = 1024 * 1024
#: shortest CODEFLASH_ENGINE_ADMIN_TOKEN the engine starts with
ADMIN_TOKEN_MIN = 32


def _split_names(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the engine reads from its environment."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # --- storage ---------------------------------------------------------------------------
    database_url: SecretStr | None = None
    database_pool_max: int = Field(default=10, ge=1)

    # --- LLM providers ---------------------------------------------------------------------
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    azure_openai_api_key: SecretStr | None = None
    azure_openai_endpoint: str | None = None
    openai_api_version: str | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_region: str | None = None
    codeflash_engine_models: str | None = None
    #: seconds allowed for one LLM call (one attempt)
    codeflash_engine_llm_timeout: float = Field(default=120.0, gt=0)
    #: seconds a whole request may take; must stay inside the CLI's 300 s read timeout
    codeflash_engine_request_deadline: float = Field(default=270.0, gt=0, le=290)
    #: concurrent LLM calls per provider
    codeflash_engine_llm_concurrency: int = Field(default=256, ge=1)

    # --- tenancy ---------------------------------------------------------------------------
    rate_limit_window_ms: int = Field(default=60_000, ge=1)
    rate_limit_max: int = Field(default=40, ge=1)
    #: embedded mode only: comma-separated API keys accepted without a database
    codeflash_engine_api_keys: SecretStr | None = None

    # --- service -----------------------------------------------------------------------------
    secret_key: SecretStr | None = None
    environment: str = "development"
    sentry_dsn: SecretStr | None = None
    posthog_api_key: SecretStr | None = None
    #: where PostHog events go (PostHog Cloud US by default; EU: https://eu.i.posthog.com)
    posthog_host: str = "https://us.i.posthog.com"
    codeflash_engine_host: str = "127.0.0.1"
    codeflash_engine_port: int = Field(default=8000, ge=0, le=65535)
    #: largest request body accepted (the client's are well under 1 MiB: its code context is
    #: token-bounded, and /ai/workflow-gen gets about twenty files of at most 8 KB)
    codeflash_engine_max_body_bytes: int = Field(default=16 * MiB, ge=1024)
    #: bodies larger than this are parsed in a worker process, not on the event loop (0: every body)
    codeflash_engine_parse_worker_bytes: int = Field(default=2 * MiB, ge=0)
    #: seconds in-flight requests get to finish after SIGTERM
    codeflash_engine_shutdown_grace: float = Field(default=60.0, ge=0)
    codeflash_engine_log_level: str = "INFO"
    #: records (LLM calls, errors) waiting for the database at most; beyond it they are dropped and counted
    codeflash_engine_recorder_queue: int = Field(default=10_000, ge=1)
    #: seconds between two wake-ups of the event-loop lag monitor (0: no monitor)
    codeflash_engine_loop_monitor_interval: float = Field(default=0.02, ge=0)

    # --- plugins -----------------------------------------------------------------------------
    #: only these plugin names are loaded from entry points (unset: all of them)
    codeflash_engine_plugins: Annotated[list[str] | None, NoDecode] = None
    #: plugin names never loaded
    codeflash_engine_disabled_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: a plugin that fails to load stops the service instead of being skipped
    codeflash_engine_strict_plugins: bool = False
    #: seconds one plugin hook call may take before its request fails with a 502 naming the plugin
    codeflash_engine_plugin_timeout: float = Field(default=60.0, gt=0)
    #: log every plugin hook call with its plugin, language and duration
    codeflash_engine_trace_plugins: bool = False

    @field_validator("codeflash_engine_plugins", "codeflash_engine_disabled_plugins", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        return _split_names(value)

    # --- containment: what one caller may cost the others ----------------------------------
    #: LLM calls per API key per RATE_LIMIT_WINDOW_MS (beside RATE_LIMIT_MAX requests); a request
    #: whose planned calls go past it gets 429. Unset: 10 per request allowed (400 with the default 40)
    codeflash_engine_rate_limit_llm_calls: int | None = Field(default=None, ge=1)

    @property
    def llm_call_limit(self) -> int:
        """LLM calls allowed per key and rate-limit window (CODEFLASH_ENGINE_RATE_LIMIT_LLM_CALLS)."""
        return self.codeflash_engine_rate_limit_llm_calls or 10 * self.rate_limit_max

    #: LLM calls of one API key in flight at once in a worker; more wait for a slot
    codeflash_engine_llm_concurrency_per_key: int = Field(default=32, ge=1)
    #: seconds a client may take to send a request's line and headers (then the connection is cut)
    codeflash_engine_header_timeout: float = Field(default=15.0, gt=0)
    #: seconds a client may take to send a request's body (then 408 and the connection is closed)
    codeflash_engine_body_timeout: float = Field(default=60.0, gt=0)
    #: seconds an idle kept-alive connection stays open between requests (keep it above a load
    #: balancer's idle timeout, or the balancer may reuse a connection the engine just closed)
    codeflash_engine_keepalive_timeout: float = Field(default=75.0, gt=0)

    # --- cfapi, GitHub (issue 21) ------------------------------------------------------------
    #: port of the CLI's second service, cfapi (the CLI's ``local`` cfapi is localhost:3001); 0: off.
    #: Unset, it is opened only when the engine serves on port 8000 (/cfapi is on the main port too)
    codeflash_engine_cfapi_port: int = Field(default=3001, ge=0, le=65535)
    #: oldest CLI version /cfapi/cli-get-user accepts (older CLIs are told to upgrade at init/auth)
    codeflash_engine_cli_min_version: str = "0.20.6"
    #: a GitHub token (classic or fine-grained: contents and pull requests, read and write)
    codeflash_engine_github_token: SecretStr | None = None
    #: a GitHub App's id and private key (the PEM text, or the path of the .pem file)
    codeflash_engine_github_app_id: str | None = None
    codeflash_engine_github_app_private_key: SecretStr | None = None
    #: the GitHub REST API (GitHub Enterprise: https://HOST/api/v3)
    codeflash_engine_github_api_url: str = "https://api.github.com"
    #: seconds one GitHub API call may take
    codeflash_engine_github_timeout: float = Field(default=30.0, gt=0)
    #: completion emails: an SMTP server (smtp://user:password@host:587, smtps://... for TLS) and sender
    codeflash_engine_smtp_url: SecretStr | None = None
    codeflash_engine_mail_from: str | None = None

    # --- straggler cut-off (issue 19) ------------------------------------------------------------
    #: a fan-out of n > 1 calls stops waiting for its slowest calls once enough have answered (0: wait for all)
    codeflash_engine_straggler_cutoff: bool = True
    #: fraction of the n calls that must succeed (rounded up) before the others get a deadline
    codeflash_engine_straggler_quorum: float = Field(default=2 / 3, gt=0, le=1)
    #: the others then get this multiple of the time the quorum took, within the two bounds below
    codeflash_engine_straggler_factor: float = Field(default=0.5, ge=0)
    #: seconds the other calls get at least once the quorum is in
    codeflash_engine_straggler_min_wait: float = Field(default=0.5, ge=0)
    #: seconds the other calls get at most once the quorum is in
    codeflash_engine_straggler_max_wait: float = Field(default=10.0, ge=0)
    #: candidates of a fan-out assigned to a model the model table marks ``choices`` share one
    #: request (OpenAI's n: the prompt billed once); such a batch answers all at once (no cut-off inside it)
    codeflash_engine_llm_shared_prompt: bool = False

    # --- prompts (issue 22) ------------------------------------------------------------------------
    #: the engine's own verified wins (correct and >= 10% faster, per organization, never in privacy
    #: mode) are kept and shown as examples in the same tenant's later optimize prompts (0: neither)
    codeflash_engine_verified_examples: bool = True
    #: tokens the examples of one optimize prompt may take at most (a win larger than this is not kept)
    codeflash_engine_verified_examples_tokens: int = Field(default=3000, ge=0)

    # --- tenancy: plans and budgets (issue 17) ----------------------------------------------------
    #: seconds a tenant's spend this period is cached per process before the budget check reads it again
    codeflash_engine_budget_cache_seconds: float = Field(default=5.0, ge=0)

    # --- the operator's dashboard (issue 18) --------------------------------------------------
    #: turns the dashboard at /admin on: the token that opens it (a login form, or
    #: ``Authorization: Bearer``); at least 32 characters. Unset: /admin does not exist
    codeflash_engine_admin_token: SecretStr | None = None
    #: hours a dashboard session (its signed cookie) lasts after login
    codeflash_engine_admin_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)

    @field_validator("codeflash_engine_admin_token")
    @classmethod
    def _admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < ADMIN_TOKEN_MIN:
            raise ValueError(
                f"CODEFLASH_ENGINE_ADMIN_TOKEN must be at least {ADMIN_TOKEN_MIN} characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value
