"""The LLM layer: one async client over OpenAI, Azure OpenAI, Anthropic, Bedrock and any
OpenAI-compatible server, with the model table and costs, the model mix, retries, fallbacks,
deadlines, per-provider concurrency bounds and call records.

Pipelines use :class:`LLMClient` (``complete``, ``fan_out``) with a :class:`Deadline`; the
application opens the client with :func:`open_llm_client`.
"""

from codeflash_engine.infra.llm.client import Completion, LLMClient, open_llm_client
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.infra.llm.errors import DeadlineExceeded, ErrorKind, LLMConfigError, LLMError
from codeflash_engine.infra.llm.mix import ModelChoice, ModelMix
from codeflash_engine.infra.llm.models import ModelInfo, ModelTable, Usage
from codeflash_engine.infra.llm.retry import ModelHealth, RetryPolicy

__all__ = [
    "Completion",
    "Deadline",
    "DeadlineExceeded",
    "ErrorKind",
    "LLMClient",
    "LLMConfigError",
    "LLMError",
    "ModelChoice",
    "ModelHealth",
    "ModelInfo",
    "ModelMix",
    "ModelTable",
    "RetryPolicy",
    "Usage",
    "open_llm_client",
]
