"""Providers from the environment and the LLM layer's errors, pinned value by value (what the
mutation runs of infra/llm/config.py and infra/llm/errors.py found untested): which providers
count as configured or half configured, the secrets handed to the redactor, the default mix and
its Bedrock inference profile, the start-up complaints, the SDK clients as built (endpoint,
credentials, retries off, timeouts, pool), and the status, kind, detail and ``repr`` of an error."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from test_llm_mix import settings

from codeflash_engine.infra.llm.config import (
    DEFAULT_AZURE_API_VERSION,
    ProviderSettings,
    bedrock_model_for_region,
    build_providers,
    default_mix,
    resolve_mix,
)
from codeflash_engine.infra.llm.errors import (
    TRANSIENT_KINDS,
    DeadlineExceeded,
    ErrorKind,
    LLMConfigError,
    LLMError,
)
from codeflash_engine.infra.llm.models import Usage
from codeflash_engine.infra.llm.providers import Provider


@pytest.fixture
def no_bedrock_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_BEDROCK_BASE_URL", raising=False)


# -- settings -------------------------------------------------------------------------------------


def test_settings_are_read_with_empty_values_as_unset(no_bedrock_url: None) -> None:
    ps = ProviderSettings.from_settings(
        settings(
            openai_api_key="",
            openai_base_url="",
            azure_openai_api_key="az",
            azure_openai_endpoint="https://x.openai.azure.com",
            openai_api_version="",
            anthropic_api_key="an",
            anthropic_base_url="https://claude.internal",
            aws_access_key_id="AKIA",
            aws_secret_access_key="",
            aws_region="",
        )
    )
    assert ps == ProviderSettings(
        azure_key="az",
        azure_endpoint="https://x.openai.azure.com",
        azure_api_version=DEFAULT_AZURE_API_VERSION,
        anthropic_key="an",
        anthropic_base_url="https://claude.internal",
        aws_access_key="AKIA",
    )
    assert ProviderSettings.from_settings(settings(openai_api_version="2025-01-01")).azure_api_version == "2025-01-01"


def test_the_bedrock_url_comes_from_the_sdks_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", "https://bedrock.internal")
    assert ProviderSettings.from_settings(settings()).bedrock_base_url == "https://bedrock.internal"
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", "")
    assert ProviderSettings.from_settings(settings()).bedrock_base_url is None


@pytest.mark.parametrize(
    ("url", "compatible"),
    [(None, False), ("", False), ("https://api.openai.com/v1", False), ("http://localhost:11434/v1", True)],
)
def test_openai_compatible_means_a_base_url_elsewhere_than_openai(url: str | None, compatible: bool) -> None:
    assert ProviderSettings(openai_base_url=url).openai_compatible is compatible


@pytest.mark.parametrize(
    ("ps", "configured"),
    [
        (ProviderSettings(), set()),
        (ProviderSettings(openai_key="k"), {"openai"}),
        (ProviderSettings(openai_base_url="http://localhost:8000/v1"), {"openai"}),
        (ProviderSettings(azure_key="k"), set()),
        (ProviderSettings(azure_endpoint="https://x"), set()),
        (ProviderSettings(azure_key="k", azure_endpoint="https://x"), {"azure"}),
        (ProviderSettings(anthropic_key="k"), {"anthropic"}),
        (ProviderSettings(anthropic_base_url="https://x"), set()),
        (ProviderSettings(aws_access_key="a"), set()),
        (ProviderSettings(aws_secret_key="s"), set()),
        (ProviderSettings(aws_access_key="a", aws_secret_key="s"), {"bedrock"}),
    ],
)
def test_a_provider_is_configured_with_all_its_credentials(ps: ProviderSettings, configured: set[str]) -> None:
    assert {name for name, on in ps.configured().items() if on} == configured
    assert set(ps.configured()) == {"openai", "azure", "anthropic", "bedrock"}


def test_half_configured_names_each_half_set_provider() -> None:
    azure = "Azure OpenAI needs both AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT"
    aws = "Bedrock needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    assert ProviderSettings().half_configured() == []
    assert (
        ProviderSettings(azure_key="k", azure_endpoint="e", aws_access_key="a", aws_secret_key="s").half_configured()
        == []
    )
    assert ProviderSettings(azure_endpoint="e").half_configured() == [azure]
    assert ProviderSettings(aws_secret_key="s").half_configured() == [aws]
    assert ProviderSettings(azure_key="k", aws_access_key="a").half_configured() == [azure, aws]


def test_every_credential_goes_to_the_redactor() -> None:
    ps = ProviderSettings(
        openai_key="o", azure_key="z", anthropic_key="n", aws_access_key="a", aws_secret_key="s", azure_endpoint="e"
    )
    assert ps.secrets() == ["o", "z", "n", "a", "s"]
    assert ProviderSettings(anthropic_key="n", openai_base_url="u").secrets() == ["n"]


def test_the_settings_repr_shows_endpoints_and_no_credential() -> None:
    """A ProviderSettings in a log line or a traceback names where the calls go, never a key."""
    ps = ProviderSettings(
        openai_key="sk-openai-secret",
        azure_key="azure-secret",
        azure_endpoint="https://x.openai.azure.com",
        anthropic_key="sk-ant-secret",
        aws_access_key="AKIASECRET",
        aws_secret_key="aws-secret-key",
        aws_region="eu-west-1",
    )
    shown = repr(ps)
    assert "https://x.openai.azure.com" in shown and "eu-west-1" in shown
    for secret in ps.secrets():
        assert secret not in shown
    for field in ("openai_key", "azure_key", "anthropic_key", "aws_access_key", "aws_secret_key"):
        assert f"{field}=" not in shown


# -- the default mix ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        ("anthropic.m", "us-east-1", "us.anthropic.m"),
        ("anthropic.m", "us-gov-west-1", "us.anthropic.m"),
        ("anthropic.m", "eu-central-1", "eu.anthropic.m"),
        ("anthropic.m", "ap-southeast-2", "apac.anthropic.m"),
        ("anthropic.m", "ca-central-1", "global.anthropic.m"),
        ("anthropic.m", "us", "us.anthropic.m"),
        ("us.anthropic.m", "eu-west-1", "us.anthropic.m"),
        ("global.anthropic.m", "us-east-1", "global.anthropic.m"),
        ("apac.anthropic.m", "us-east-1", "apac.anthropic.m"),
    ],
)
def test_bedrock_inference_profiles(model: str, region: str, expected: str) -> None:
    assert bedrock_model_for_region(model, region) == expected


def test_the_default_mix_weights_and_regions(caplog: pytest.LogCaptureFixture) -> None:
    assert str(default_mix(ProviderSettings(openai_key="k"))) == "openai:gpt-5-mini=3"
    assert str(default_mix(ProviderSettings(aws_access_key="a", aws_secret_key="s"))) == (
        "bedrock:us.anthropic.claude-sonnet-4-6=2"
    )
    azure_and_bedrock = ProviderSettings(
        azure_key="k", azure_endpoint="e", aws_access_key="a", aws_secret_key="s", aws_region="ap-northeast-1"
    )
    with caplog.at_level(logging.WARNING, logger="codeflash_engine.infra.llm.config"):
        assert str(default_mix(azure_and_bedrock)) == "azure:gpt-4.1=3,bedrock:apac.anthropic.claude-sonnet-4-6=2"
    assert any("'gpt-4.1'" in r.getMessage() for r in caplog.records)
    with pytest.raises(LLMConfigError, match="no LLM provider is configured"):
        default_mix(ProviderSettings(azure_key="k", aws_access_key="a"))


def test_a_blank_models_variable_means_the_default_mix() -> None:
    assert str(resolve_mix(settings(anthropic_api_key="k", codeflash_engine_models="  "))) == (
        "anthropic:claude-sonnet-4-6=2"
    )


def test_the_given_provider_settings_win_over_the_settings() -> None:
    mix = resolve_mix(settings(), ProviderSettings(anthropic_key="k"))
    assert str(mix) == "anthropic:claude-sonnet-4-6=2"


def test_every_provider_without_credentials_is_named_in_order() -> None:
    with pytest.raises(LLMConfigError) as raised:
        resolve_mix(settings(openai_api_key="k", codeflash_engine_models="bedrock:b,openai:o,azure:a"))
    message = str(raised.value)
    assert message.startswith(
        "CODEFLASH_ENGINE_MODELS names azure (which needs AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT), "
        "bedrock (which needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION))"
    )
    assert "openai (" not in message


def test_half_configured_complaints_are_joined() -> None:
    with pytest.raises(LLMConfigError) as raised:
        resolve_mix(settings(openai_api_key="k", azure_openai_endpoint="e", aws_secret_access_key="s"))
    assert str(raised.value) == (
        "Azure OpenAI needs both AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT; "
        "Bedrock needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )


# -- the SDK clients ------------------------------------------------------------------------------


def _client(providers: Mapping[str, Provider], name: str) -> Any:
    provider: Any = providers[name]
    return provider.client


async def test_clients_are_built_with_retries_off_and_the_pool_and_timeouts_asked_for(no_bedrock_url: None) -> None:
    ps = ProviderSettings(
        openai_key="ok",
        azure_key="ak",
        azure_endpoint="https://x.openai.azure.com",
        anthropic_key="an",
        aws_access_key="a",
        aws_secret_key="s",
        aws_region="eu-west-1",
    )
    built = build_providers(ps, {"openai", "azure", "anthropic", "bedrock"}, pool=3, timeout=20.0, redact=str)
    try:
        assert set(built) == {"openai", "azure", "anthropic", "bedrock"}
        expected = {
            "openai": "https://api.openai.com/v1/",
            "azure": "https://x.openai.azure.com/openai/",
            "anthropic": "https://api.anthropic.com",
            "bedrock": "https://bedrock-runtime.eu-west-1.amazonaws.com",
        }
        for name, url in expected.items():
            client = _client(built, name)
            assert str(client.base_url) == url
            assert client.max_retries == 0
            assert client.timeout == 20.0
            http = client._client
            assert (http.timeout.connect, http.timeout.read) == (10.0, 20.0)
            limits = http._transport.limits
            assert (limits.max_connections, limits.max_keepalive_connections, limits.keepalive_expiry) == (3, 3, 30.0)
        assert (_client(built, "openai").api_key, _client(built, "azure").api_key) == ("ok", "ak")
        assert _client(built, "anthropic").api_key == "an"
        assert _client(built, "azure")._api_version == DEFAULT_AZURE_API_VERSION
        assert (_client(built, "bedrock").aws_access_key, _client(built, "bedrock").aws_secret_key) == ("a", "s")
    finally:
        for provider in built.values():
            await provider.aclose()


async def test_a_short_timeout_is_also_the_connect_timeout_and_only_named_providers_are_built() -> None:
    ps = ProviderSettings(openai_base_url="http://localhost:11434/v1", anthropic_base_url="http://claude.local")
    built = build_providers(ps, {"openai", "anthropic"}, pool=1, timeout=4.0, redact=str)
    try:
        assert set(built) == {"openai", "anthropic"}
        local = _client(built, "openai")
        assert (str(local.base_url), local.api_key) == ("http://localhost:11434/v1/", "not-needed")
        assert str(_client(built, "anthropic").base_url) == "http://claude.local"
        for name in built:
            assert _client(built, name)._client.timeout.connect == 4.0
    finally:
        for provider in built.values():
            await provider.aclose()
    assert build_providers(ps, set(), pool=1, timeout=4.0, redact=str) == {}


async def test_bedrock_keeps_its_own_endpoint() -> None:
    ps = ProviderSettings(aws_access_key="a", aws_secret_key="s", bedrock_base_url="https://bedrock.internal")
    built = build_providers(ps, {"bedrock"}, pool=1, timeout=5.0, redact=str)
    try:
        assert str(_client(built, "bedrock").base_url) == "https://bedrock.internal"
        assert _client(built, "bedrock").aws_region == "us-east-1"
    finally:
        await built["bedrock"].aclose()


# -- errors ---------------------------------------------------------------------------------------


def test_transient_kinds_are_the_ones_worth_retrying() -> None:
    retried = {"rate_limited", "server_error", "overloaded", "timeout", "connection", "malformed"}
    assert {kind.value for kind in TRANSIENT_KINDS} == retried
    for kind in ErrorKind:
        error = LLMError("failed", kind=kind)
        assert error.transient is (kind.value in retried)
        assert error.error_class == kind.value


def test_an_llm_error_keeps_the_providers_words_out_of_its_message() -> None:
    billed = Usage(input_tokens=5)
    error = LLMError(
        "openai:gpt-4.1 failed: bad_request (HTTP 400)",
        kind=ErrorKind.BAD_REQUEST,
        provider="openai",
        model="gpt-4.1",
        status_code=400,
        retry_after=2.5,
        attempts=2,
        detail="deployment at 10.0.0.7 refused",
        billed=billed,
    )
    assert str(error) == error.message == "openai:gpt-4.1 failed: bad_request (HTTP 400)"
    assert error.detail == "openai:gpt-4.1 failed: bad_request (HTTP 400): deployment at 10.0.0.7 refused"
    assert (error.status, error.status_code, error.retry_after, error.attempts) == (502, 400, 2.5, 2)
    assert (error.provider, error.model, error.billed) == ("openai", "gpt-4.1", billed)
    assert repr(error) == "LLMError(bad_request, openai:gpt-4.1, status=400, attempts=2)"
    plain = LLMError("cut", kind=ErrorKind.CONNECTION)
    assert plain.detail == "cut"
    assert LLMError("cut", kind=ErrorKind.CONNECTION, detail="").detail == "cut"
    assert (plain.provider, plain.model, plain.status_code, plain.retry_after, plain.attempts, plain.billed) == (
        None,
        None,
        None,
        None,
        0,
        None,
    )
    assert repr(plain) == "LLMError(connection, ?, status=None, attempts=0)"


def test_a_passed_deadline_is_a_504_and_config_errors_a_500() -> None:
    late = DeadlineExceeded(provider="anthropic", model="claude", attempts=1)
    assert (late.status, late.kind, late.transient) == (504, ErrorKind.DEADLINE, False)
    assert (late.provider, late.model, late.attempts) == ("anthropic", "claude", 1)
    assert str(late) == "the request's deadline passed before the LLM call could finish"
    assert repr(late) == "DeadlineExceeded(deadline, anthropic:claude, status=None, attempts=1)"
    assert DeadlineExceeded().attempts == 0
    assert LLMConfigError("set OPENAI_API_KEY").status == 500
