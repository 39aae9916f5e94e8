"""From the environment to providers: which are configured, the model mix, the SDK clients.

The variables are those of DESIGN.md. A provider is configured when its credentials are set:

========== ============================================================================
openai     ``OPENAI_API_KEY``, or ``OPENAI_BASE_URL`` alone (a local OpenAI-compatible
           server such as Ollama, vLLM or llama.cpp needs no key)
azure      ``AZURE_OPENAI_API_KEY`` and ``AZURE_OPENAI_ENDPOINT`` (``OPENAI_API_VERSION``
           defaults to :data:`DEFAULT_AZURE_API_VERSION`)
anthropic  ``ANTHROPIC_API_KEY`` (``ANTHROPIC_BASE_URL`` optional)
bedrock    ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (``AWS_REGION`` defaults to
           us-east-1; the SDK's ``ANTHROPIC_BEDROCK_BASE_URL`` overrides the endpoint)
========== ============================================================================

Without ``CODEFLASH_ENGINE_MODELS`` the mix is :func:`default_mix`: one OpenAI-family model
(OpenAI, else Azure) and one Anthropic-family model (Anthropic, else Bedrock), 3 to 2.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import anthropic
import attrs
import httpx2
import openai

from codeflash_engine.infra.llm.errors import LLMConfigError
from codeflash_engine.infra.llm.mix import ModelChoice, ModelMix
from codeflash_engine.infra.llm.providers import AnthropicProvider, OpenAIProvider, Provider, Redact
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_AZURE_API_VERSION = "2024-10-21"
DEFAULT_AWS_REGION = "us-east-1"
OPENAI_URL = "https://api.openai.com/v1"
ANTHROPIC_URL = "https://api.anthropic.com"

#: the default model of each provider when CODEFLASH_ENGINE_MODELS is unset
DEFAULT_MODELS = {
    "openai": "gpt-5-mini",
    "azure": "gpt-4.1",  # the deployment name; Azure users usually name deployments after the model
    "anthropic": "claude-sonnet-4-6",  # claude-sonnet-4-5 reaches end of life on 2026-11-30
    "bedrock": "anthropic.claude-sonnet-4-6",
}

_HOW_TO = (
    "set OPENAI_API_KEY (OpenAI), OPENAI_BASE_URL (an OpenAI-compatible server such as Ollama or vLLM), "
    "AZURE_OPENAI_API_KEY with AZURE_OPENAI_ENDPOINT (Azure OpenAI), ANTHROPIC_API_KEY (Anthropic), "
    "or AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY and AWS_REGION (Anthropic on Bedrock)"
)

_NEEDS = {
    "openai": "OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)",
    "azure": "AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT",
    "anthropic": "ANTHROPIC_API_KEY",
    "bedrock": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION)",
}


def _secret(value: object) -> str | None:
    if value is None:
        return None
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw or None


@attrs.frozen
class ProviderSettings:
    """What the settings say about the four providers (secrets as plain strings: keep inside)."""

    openai_key: str | None = attrs.field(default=None, repr=False)
    openai_base_url: str | None = None
    azure_key: str | None = attrs.field(default=None, repr=False)
    azure_endpoint: str | None = None
    azure_api_version: str = DEFAULT_AZURE_API_VERSION
    anthropic_key: str | None = attrs.field(default=None, repr=False)
    anthropic_base_url: str | None = None
    aws_access_key: str | None = attrs.field(default=None, repr=False)
    aws_secret_key: str | None = attrs.field(default=None, repr=False)
    aws_region: str | None = None
    bedrock_base_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderSettings:
        """Read the provider variables (and the SDK's ``ANTHROPIC_BEDROCK_BASE_URL``)."""
        bedrock_url = getattr(settings, "anthropic_bedrock_base_url", None) or os.environ.get(
            "ANTHROPIC_BEDROCK_BASE_URL"
        )
        return cls(
            openai_key=_secret(settings.openai_api_key),
            openai_base_url=settings.openai_base_url or None,
            azure_key=_secret(settings.azure_openai_api_key),
            azure_endpoint=settings.azure_openai_endpoint or None,
            azure_api_version=settings.openai_api_version or DEFAULT_AZURE_API_VERSION,
            anthropic_key=_secret(settings.anthropic_api_key),
            anthropic_base_url=settings.anthropic_base_url or None,
            aws_access_key=_secret(settings.aws_access_key_id),
            aws_secret_key=_secret(settings.aws_secret_access_key),
            aws_region=settings.aws_region or None,
            bedrock_base_url=bedrock_url or None,
        )

    @property
    def openai_compatible(self) -> bool:
        """Whether OPENAI_BASE_URL points somewhere other than OpenAI itself."""
        return bool(self.openai_base_url) and "api.openai.com" not in str(self.openai_base_url)

    def configured(self) -> dict[str, bool]:
        """Which providers have their credentials."""
        return {
            "openai": bool(self.openai_key or self.openai_base_url),
            "azure": bool(self.azure_key and self.azure_endpoint),
            "anthropic": bool(self.anthropic_key),
            "bedrock": bool(self.aws_access_key and self.aws_secret_key),
        }

    def half_configured(self) -> list[str]:
        """Complaints about providers with only part of their variables set."""
        out = []
        if bool(self.azure_key) != bool(self.azure_endpoint):
            out.append("Azure OpenAI needs both AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT")
        if bool(self.aws_access_key) != bool(self.aws_secret_key):
            out.append("Bedrock needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        return out

    def secrets(self) -> list[str]:
        """Every credential, for the redactor."""
        values = (self.openai_key, self.azure_key, self.anthropic_key, self.aws_access_key, self.aws_secret_key)
        return [v for v in values if v]


def bedrock_model_for_region(model: str, region: str) -> str:
    """The cross-region inference profile id of a Bedrock model for ``region`` (us., eu., apac.)."""
    if model.split(".", 1)[0] in {"us", "eu", "apac", "global", "jp", "au", "ca"}:
        return model
    prefix = {"us": "us", "eu": "eu", "ap": "apac"}.get(region.split("-", 1)[0], "global")
    return f"{prefix}.{model}"


def default_mix(ps: ProviderSettings) -> ModelMix:
    """The mix for whichever providers are configured (see the module docstring)."""
    configured = ps.configured()
    entries: list[ModelChoice] = []
    if configured["openai"]:
        if ps.openai_compatible:
            raise LLMConfigError(
                f"OPENAI_BASE_URL points at an OpenAI-compatible server ({ps.openai_base_url}) but "
                "CODEFLASH_ENGINE_MODELS is not set: name the server's model, for example "
                "CODEFLASH_ENGINE_MODELS=openai:qwen2.5-coder:14b"
            )
        entries.append(ModelChoice("openai", DEFAULT_MODELS["openai"], 3))
    elif configured["azure"]:
        log.warning(
            "CODEFLASH_ENGINE_MODELS is not set: using the Azure deployment %r; set "
            "CODEFLASH_ENGINE_MODELS=azure:<your deployment> if yours is named otherwise",
            DEFAULT_MODELS["azure"],
        )
        entries.append(ModelChoice("azure", DEFAULT_MODELS["azure"], 3))
    if configured["anthropic"]:
        entries.append(ModelChoice("anthropic", DEFAULT_MODELS["anthropic"], 2))
    elif configured["bedrock"]:
        region = ps.aws_region or DEFAULT_AWS_REGION
        entries.append(ModelChoice("bedrock", bedrock_model_for_region(DEFAULT_MODELS["bedrock"], region), 2))
    if not entries:
        raise LLMConfigError(f"no LLM provider is configured: {_HOW_TO}")
    return ModelMix(tuple(entries))


def resolve_mix(settings: Settings, ps: ProviderSettings | None = None) -> ModelMix:
    """The mix of ``CODEFLASH_ENGINE_MODELS`` (or the default), checked against the credentials.

    Raises :class:`LLMConfigError` with what to set when the mix names a provider that has no
    credentials, when a provider is half configured, or when no provider is configured at all.
    """
    ps = ps or ProviderSettings.from_settings(settings)
    problems = ps.half_configured()
    if problems:
        raise LLMConfigError("; ".join(problems))
    configured = ps.configured()
    if not any(configured.values()):
        raise LLMConfigError(f"no LLM provider is configured: {_HOW_TO}")
    text = settings.codeflash_engine_models
    mix = ModelMix.parse(text) if text and text.strip() else default_mix(ps)
    missing = sorted(p for p in mix.providers if not configured[p])
    if missing:
        raise LLMConfigError(
            "CODEFLASH_ENGINE_MODELS names "
            + ", ".join(f"{p} (which needs {_NEEDS[p]})" for p in missing)
            + " without credentials; set them or remove those entries"
        )
    return mix


def _http_client(pool: int, timeout: float) -> httpx2.AsyncClient:
    """The SDKs' aiohttp transport with a pool sized for the concurrency bound."""
    limits = httpx2.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
    return openai.DefaultAioHttpClient(limits=limits, timeout=httpx2.Timeout(timeout, connect=min(10.0, timeout)))


def _anthropic_http_client(pool: int, timeout: float) -> httpx2.AsyncClient:
    limits = httpx2.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
    return anthropic.DefaultAioHttpClient(limits=limits, timeout=httpx2.Timeout(timeout, connect=min(10.0, timeout)))


def build_providers(
    ps: ProviderSettings, names: frozenset[str] | set[str], *, pool: int, timeout: float, redact: Redact
) -> Mapping[str, Provider]:
    """SDK clients for the ``names`` providers, retries off, over aiohttp pools of size ``pool``."""
    out: dict[str, Provider] = {}
    if "openai" in names:
        client = openai.AsyncOpenAI(
            api_key=ps.openai_key or "not-needed",  # local OpenAI-compatible servers ignore it
            base_url=ps.openai_base_url or OPENAI_URL,
            max_retries=0,
            timeout=timeout,
            http_client=_http_client(pool, timeout),
        )
        out["openai"] = OpenAIProvider("openai", client, redact=redact)
    if "azure" in names:
        azure = openai.AsyncAzureOpenAI(
            api_key=ps.azure_key,
            azure_endpoint=str(ps.azure_endpoint),
            api_version=ps.azure_api_version,
            max_retries=0,
            timeout=timeout,
            http_client=_http_client(pool, timeout),
        )
        out["azure"] = OpenAIProvider("azure", azure, redact=redact)
    if "anthropic" in names:
        claude = anthropic.AsyncAnthropic(
            api_key=ps.anthropic_key,
            base_url=ps.anthropic_base_url or ANTHROPIC_URL,
            max_retries=0,
            timeout=timeout,
            http_client=_anthropic_http_client(pool, timeout),
        )
        out["anthropic"] = AnthropicProvider("anthropic", claude, redact=redact)
    if "bedrock" in names:
        region = ps.aws_region or DEFAULT_AWS_REGION
        bedrock = anthropic.AsyncAnthropicBedrock(
            aws_access_key=ps.aws_access_key,
            aws_secret_key=ps.aws_secret_key,
            aws_region=region,
            base_url=ps.bedrock_base_url or f"https://bedrock-runtime.{region}.amazonaws.com",
            max_retries=0,
            timeout=timeout,
            http_client=_anthropic_http_client(pool, timeout),
        )
        out["bedrock"] = AnthropicProvider("bedrock", bedrock, redact=redact)
    return out
