"""Settings read from the environment (what the mutation run of settings.py found untested): the
defaults the README's configuration table documents, the bounds every number is held to (the
last value accepted and the first refused on each side), the plugin name lists, the admin token's
minimum length and the LLM call limit derived from the rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from codeflash_engine.settings import ADMIN_TOKEN_MIN, MiB, Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the machine running the tests leaks into the settings under test."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)


#: the defaults, as the README's configuration table (or the field's comment) states them
DEFAULTS: dict[str, object] = {
    "database_url": None,
    "database_pool_max": 10,
    "codeflash_engine_llm_timeout": 120.0,
    "codeflash_engine_request_deadline": 270.0,
    "codeflash_engine_llm_concurrency": 256,
    "rate_limit_window_ms": 60_000,
    "rate_limit_max": 40,
    "codeflash_engine_api_keys": None,
    "environment": "development",
    "posthog_host": "https://us.i.posthog.com",
    "codeflash_engine_host": "127.0.0.1",
    "codeflash_engine_port": 8000,
    "codeflash_engine_max_body_bytes": 16 * 1024 * 1024,
    "codeflash_engine_parse_worker_bytes": 2 * 1024 * 1024,
    "codeflash_engine_shutdown_grace": 60.0,
    "codeflash_engine_log_level": "INFO",
    "codeflash_engine_recorder_queue": 10_000,
    "codeflash_engine_loop_monitor_interval": 0.02,
    "codeflash_engine_plugins": None,
    "codeflash_engine_disabled_plugins": [],
    "codeflash_engine_strict_plugins": False,
    "codeflash_engine_plugin_timeout": 60.0,
    "codeflash_engine_trace_plugins": False,
    "codeflash_engine_rate_limit_llm_calls": None,
    "codeflash_engine_llm_concurrency_per_key": 32,
    "codeflash_engine_header_timeout": 15.0,
    "codeflash_engine_body_timeout": 60.0,
    "codeflash_engine_keepalive_timeout": 75.0,
    "codeflash_engine_cfapi_port": 3001,
    "codeflash_engine_cli_min_version": "0.20.6",
    "codeflash_engine_github_api_url": "https://api.github.com",
    "codeflash_engine_github_timeout": 30.0,
    "codeflash_engine_straggler_cutoff": True,
    "codeflash_engine_straggler_quorum": 2 / 3,
    "codeflash_engine_straggler_factor": 0.5,
    "codeflash_engine_straggler_min_wait": 0.5,
    "codeflash_engine_straggler_max_wait": 10.0,
    "codeflash_engine_llm_shared_prompt": False,
    "codeflash_engine_verified_examples": True,
    "codeflash_engine_verified_examples_tokens": 3000,
    "codeflash_engine_budget_cache_seconds": 5.0,
    "codeflash_engine_admin_token": None,
    "codeflash_engine_admin_session_hours": 12.0,
}


def test_mib_is_a_mebibyte() -> None:
    assert MiB == 1_048_576


@pytest.mark.parametrize("field", sorted(DEFAULTS))
def test_an_unset_variable_takes_its_documented_default(field: str) -> None:
    value = getattr(Settings(), field)
    expected = DEFAULTS[field]
    assert value == expected, f"{field}: {value!r}"
    assert type(value) is type(expected), f"{field}: {type(value).__name__}"


#: (field, the smallest value accepted, the largest value below it that is refused)
LOWER_BOUNDS: list[tuple[str, float, float]] = [
    ("database_pool_max", 1, 0),
    ("codeflash_engine_llm_timeout", 0.001, 0),
    ("codeflash_engine_request_deadline", 0.001, 0),
    ("codeflash_engine_llm_concurrency", 1, 0),
    ("rate_limit_window_ms", 1, 0),
    ("rate_limit_max", 1, 0),
    ("codeflash_engine_port", 0, -1),
    ("codeflash_engine_max_body_bytes", 1024, 1023),
    ("codeflash_engine_parse_worker_bytes", 0, -1),
    ("codeflash_engine_shutdown_grace", 0, -0.001),
    ("codeflash_engine_recorder_queue", 1, 0),
    ("codeflash_engine_loop_monitor_interval", 0, -0.001),
    ("codeflash_engine_plugin_timeout", 0.001, 0),
    ("codeflash_engine_rate_limit_llm_calls", 1, 0),
    ("codeflash_engine_llm_concurrency_per_key", 1, 0),
    ("codeflash_engine_header_timeout", 0.001, 0),
    ("codeflash_engine_body_timeout", 0.001, 0),
    ("codeflash_engine_keepalive_timeout", 0.001, 0),
    ("codeflash_engine_cfapi_port", 0, -1),
    ("codeflash_engine_github_timeout", 0.001, 0),
    ("codeflash_engine_straggler_quorum", 0.001, 0),
    ("codeflash_engine_straggler_factor", 0, -0.001),
    ("codeflash_engine_straggler_min_wait", 0, -0.001),
    ("codeflash_engine_straggler_max_wait", 0, -0.001),
    ("codeflash_engine_verified_examples_tokens", 0, -1),
    ("codeflash_engine_budget_cache_seconds", 0, -0.001),
    ("codeflash_engine_admin_session_hours", 0.001, 0),
]

#: (field, the largest value accepted, the smallest value above it that is refused)
UPPER_BOUNDS: list[tuple[str, float, float]] = [
    ("codeflash_engine_request_deadline", 290, 290.001),
    ("codeflash_engine_port", 65535, 65536),
    ("codeflash_engine_cfapi_port", 65535, 65536),
    ("codeflash_engine_straggler_quorum", 1, 1.001),
    ("codeflash_engine_admin_session_hours", 24 * 30, 24 * 30 + 0.001),
]


@pytest.mark.parametrize(("field", "accepted", "refused"), LOWER_BOUNDS + UPPER_BOUNDS)
def test_each_number_is_held_to_its_bounds(field: str, accepted: float, refused: float) -> None:
    ok: dict[str, Any] = {field: accepted}
    assert getattr(Settings(**ok), field) == accepted
    beyond: dict[str, Any] = {field: refused}
    with pytest.raises(ValidationError, match=field):
        Settings(**beyond)


def test_variables_are_read_from_the_environment_in_upper_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_MAX", "7")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/x")
    monkeypatch.setenv("CODEFLASH_ENGINE_STRICT_PLUGINS", "1")
    settings = Settings()
    assert settings.rate_limit_max == 7
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == "postgresql://u:p@db/x"
    assert settings.codeflash_engine_strict_plugins is True


def test_plugin_names_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blanks around names and empty entries are dropped, from the environment or not."""
    monkeypatch.setenv("CODEFLASH_ENGINE_PLUGINS", " python , ,java,")
    monkeypatch.setenv("CODEFLASH_ENGINE_DISABLED_PLUGINS", "go")
    settings = Settings()
    assert settings.codeflash_engine_plugins == ["python", "java"]
    assert settings.codeflash_engine_disabled_plugins == ["go"]
    assert Settings(codeflash_engine_disabled_plugins="a, b").codeflash_engine_disabled_plugins == ["a", "b"]
    assert Settings(codeflash_engine_plugins=["x", "y"]).codeflash_engine_plugins == ["x", "y"]
    assert Settings(codeflash_engine_plugins=" , ").codeflash_engine_plugins == []


def test_the_admin_token_has_a_minimum_length() -> None:
    assert ADMIN_TOKEN_MIN == 32
    shortest = "t" * 32
    token = Settings(codeflash_engine_admin_token=SecretStr(shortest)).codeflash_engine_admin_token
    assert token is not None
    assert token.get_secret_value() == shortest
    assert Settings(codeflash_engine_admin_token="u" * 80).codeflash_engine_admin_token is not None
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(codeflash_engine_admin_token="t" * 31)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(codeflash_engine_admin_token="")


def test_the_llm_call_limit_is_ten_calls_per_request_unless_set() -> None:
    assert Settings().llm_call_limit == 400
    assert Settings(rate_limit_max=7).llm_call_limit == 70
    assert Settings(rate_limit_max=7, codeflash_engine_rate_limit_llm_calls=5).llm_call_limit == 5
    assert Settings(codeflash_engine_rate_limit_llm_calls=1000).llm_call_limit == 1000
