"""No credential, whole or in part, reaches a log line, a call record or an error message.

Every provider is configured with a (fake) key, the fake server rejects them (quoting them back
masked, as OpenAI does) or fails in every way it can, and everything the engine and the SDKs log
is captured at DEBUG, formatted as the engine formats its log lines.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest

from codeflash_engine.infra.llm import Deadline, LLMError, ModelMix, open_llm_client
from codeflash_engine.infra.logging import ContextFilter, JsonFormatter
from codeflash_engine.infra.recorder import LogSink, MemorySink, Recorder
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings
from codeflash_engine.testing.fake_llm import (
    ANTHROPIC_KEY,
    API_KEY,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AZURE_KEY,
    FakeLLM,
    Fault,
)

SECRETS = [API_KEY, AZURE_KEY, ANTHROPIC_KEY, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY]
MIX = "openai:gpt-4.1=1,azure:gpt-4.1=1,anthropic:claude-sonnet-4-6=1,bedrock:us.anthropic.claude-sonnet-4-6=1"
LOGGERS = ["", "openai", "anthropic", "httpx2", "httpx", "aiohttp", "botocore", "boto3", "codeflash_engine"]


def forms(secret: str) -> list[str]:
    """The secret and the parts of it a provider or a careless log line might show."""
    return [secret, secret[:8], secret[-6:], secret[:4] + "*", "*" + secret[-4:]]


@pytest.fixture
def everything_logged() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.setLevel(logging.DEBUG)
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


async def test_no_key_in_logs_records_or_errors(
    fake_llm: FakeLLM, fake_llm_settings: Callable[..., Settings], everything_logged: io.StringIO
) -> None:
    sink = MemorySink()
    settings = fake_llm_settings("openai", "azure", "anthropic", "bedrock", models=MIX)
    prompt = Prompt(system="s", user="u")
    errors: list[LLMError] = []
    mix = ModelMix.parse(MIX)

    async with Recorder(sink) as recorder, open_llm_client(settings, recorder) as client:
        client.policy = client.policy.__class__(base_delay=0.001, max_delay=0.002)
        # 1. successes on every provider, Bedrock signed with the right secret
        fake_llm.aws_credentials = (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
        ok = await client.fan_out(
            prompt, n=8, call_type="optimize", trace_id="t1", deadline=Deadline.after(10), mix=mix
        )
        assert not [r for r in ok if isinstance(r, LLMError)]
        # 2. every key rejected: 401s that quote the key masked, 403 for a bad signature
        fake_llm.api_key = "sk-the-right-key-is-another-one-0000"
        fake_llm.aws_credentials = (AWS_ACCESS_KEY_ID, "not-the-secret")
        rejected = await client.fan_out(
            prompt, n=4, call_type="optimize", trace_id="t2", deadline=Deadline.after(10), mix=mix
        )
        errors += [r for r in rejected if isinstance(r, LLMError)]
        assert {e.kind for e in errors} == {"auth"}
        fake_llm.api_key = None
        fake_llm.aws_credentials = None
        # 3. every other fault, and an error message that echoes the key itself
        for fault in (
            Fault.rate_limited(0.001),
            Fault.server_error(),
            Fault.overloaded(),
            Fault.cut(),
            Fault.not_json(),
            Fault.bad_json(),
            Fault.bad_request(f"invalid header: x-api-key={ANTHROPIC_KEY} / Bearer {API_KEY}"),
        ):
            fake_llm.reset()
            fake_llm.fail(fault)
            results = await client.fan_out(
                prompt, n=4, call_type="x", trace_id="t3", deadline=Deadline.after(10), mix=mix
            )
            errors += [r for r in results if isinstance(r, LLMError)]
    await LogSink().write(sink.records)  # the records as the log sink writes them

    assert len(errors) >= 4 * 8
    texts = {
        "log": everything_logged.getvalue(),
        "records": "\n".join(repr(r) for r in sink.records),
        "errors": "\n".join(f"{e}\n{e!r}\n{e.message}\n{e.detail}" for e in errors),
    }
    # the provider's message is kept, redacted, for the log only: a client is told the kind of failure
    assert any("Incorrect API key provided" in e.detail for e in errors)
    assert not any("Incorrect API key provided" in e.message for e in errors)
    assert "llm_call" in texts["log"] and len(sink.records) > 0
    for where, text in texts.items():
        for secret in SECRETS:
            for form in forms(secret):
                assert form not in text, f"a form of a key ({form[:3]}...) is in the {where}"
