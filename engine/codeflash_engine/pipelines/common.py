"""What every pipeline needs: the engine's resources, and helpers shared across tasks."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.errors import InvalidRequest, UpstreamFailed
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.llm.client import Completion, LLMClient
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.infra.llm.errors import LLMError
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.infra.tenancy import request_mix
from codeflash_engine.pipelines import budget
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.plugins.types import CodeFile, LanguageSpec, Prompt, PromptRequest, Target, Task
from codeflash_engine.settings import Settings
from codeflash_engine.text.markdown import CodeBlock, parse_markdown, write_markdown

log = logging.getLogger(__name__)

#: most candidates one request may ask for; larger requests are served with this many
MAX_CANDIDATES = 12


@attrs.frozen
class Engine:
    """The resources a pipeline uses, created once per application."""

    settings: Settings
    plugins: PluginHost
    languages: LanguageRegistry
    llm: LLMClient
    recorder: Recorder
    store: Store

    def deadline(self) -> Deadline:
        """A fresh per-request deadline (inside the client's 300 s read timeout)."""
        return Deadline.after(self.settings.codeflash_engine_request_deadline)

    async def prompt(
        self,
        task: Task,
        language: LanguageSpec,
        version: str | None,
        fields: Mapping[str, Any],
        *,
        original: Sequence[CodeFile] = (),
        target: Target | None = None,
        is_async: bool = False,
    ) -> Prompt:
        """The prompt of ``task`` from the language's build_prompt hook (else the core templates),
        cut to fit the window of every model of the request's mix (:mod:`.budget`).

        ``fields`` are the task's request fields by contract name (see :func:`prompt_fields`).
        """

        async def render(shown: Mapping[str, Any]) -> Prompt:
            request = PromptRequest(
                task=task,
                language=language.name,
                language_version=version,
                fence_tag=language.fence_tags[0] if language.fence_tags else language.name,
                original=tuple(original),
                target=target,
                is_async=is_async,
                fields=shown,
            )
            prompt: Prompt | None = await self.plugins.run("build_prompt", language.name, request=request)
            if prompt is None:  # pragma: no cover - the builtin always answers
                raise InvalidRequest(f"no prompt for task {task.value} in {language.name}")
            return prompt

        return (await budget.fit(task, fields, render, self.prompt_budget())).prompt

    def prompt_budget(self) -> int:
        """Input tokens a prompt may have: the smallest window of the request's mix, less its answer room."""
        providers = self.llm.providers
        return budget.window_budget(request_mix(self.llm.mix, providers), self.llm.table, providers)

    async def ask(
        self, prompt: Prompt, *, n: int, task: Task, trace_id: str | None, deadline: Deadline
    ) -> list[tuple[int, Completion]]:
        """Fan ``n`` calls out across the model mix; the successful ones with their call index.

        Raises :class:`UpstreamFailed` (502) when every call failed.
        """
        results = await self.llm.fan_out(prompt, n=n, call_type=task.value, trace_id=trace_id, deadline=deadline)
        ok = [(i, r) for i, r in enumerate(results) if isinstance(r, Completion)]
        if not ok:
            raise _every_call_failed(task, results)
        return ok

    async def ask_each(
        self, prompt: Prompt | Sequence[Prompt], *, n: int, task: Task, trace_id: str | None, deadline: Deadline
    ) -> AsyncIterator[list[tuple[int, Completion]]]:
        """:meth:`ask`, its answers as they arrive: each batch holds every success in since the
        last one (one, unless the caller was busy when several came in). ``prompt`` may be one
        prompt per call.

        Raises :class:`UpstreamFailed` (502) at the end when every call failed.
        """
        arrived: asyncio.Queue[tuple[int, Completion | LLMError] | None] = asyncio.Queue()

        async def pump() -> None:
            try:
                async for item in self.llm.fan_out_each(
                    prompt, n=n, call_type=task.value, trace_id=trace_id, deadline=deadline
                ):
                    arrived.put_nowait(item)
            finally:
                arrived.put_nowait(None)

        pumping = asyncio.ensure_future(pump())
        failures: list[LLMError] = []
        succeeded = False
        try:
            done = False
            while not done:
                items = [await arrived.get()]
                while not arrived.empty():
                    items.append(arrived.get_nowait())
                batch: list[tuple[int, Completion]] = []
                for item in items:
                    if item is None:
                        done = True
                    elif isinstance(item[1], Completion):
                        batch.append((item[0], item[1]))
                    else:
                        failures.append(item[1])
                if batch:
                    succeeded = True
                    yield batch
            await pumping  # its exception, if any
        finally:
            if not pumping.done():
                pumping.cancel()
                await asyncio.gather(pumping, return_exceptions=True)
        if not succeeded:
            raise _every_call_failed(task, failures)


def _reason(error: object) -> str:
    return str(error) or type(error).__name__


def _every_call_failed(task: Task, failures: Sequence[object]) -> UpstreamFailed:
    reasons = sorted({_reason(r) for r in failures}) or ["no call was made"]
    return UpstreamFailed(f"every LLM call for {task.value} failed: {'; '.join(reasons)[:500]}")


#: request fields that are bookkeeping, not material for a prompt
BOOKKEEPING = frozenset(
    {
        "trace_id",
        "codeflash_version",
        "call_sequence",
        "rerun_trace_id",
        "experiment_metadata",
        "current_username",
        "repo_owner",
        "repo_name",
        "n_candidates",
        "language",
        "language_version",
        "python_version",
    }
)


def prompt_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a request body a prompt may use: every contract field but the bookkeeping."""
    return {k: v for k, v in body.items() if k not in BOOKKEEPING}


_PROFILED_FUNCTION = re.compile(r"^## Function: *([\w.]+) *$", re.MULTILINE)


def profiled_target(line_profile: str | None) -> Target | None:
    """The function a line profile is about (its ``## Function: name`` header), or None."""
    match = _PROFILED_FUNCTION.search(line_profile or "")
    return Target.parse(match.group(1)) if match else None


def new_id() -> str:
    return str(uuid.uuid4())


def files_of(markdown: str, field: str) -> tuple[CodeFile, ...]:
    """The files of a contract markdown string; 422 naming ``field`` when it holds no code block."""
    blocks = parse_markdown(markdown)
    if not blocks:
        raise InvalidRequest(f"field '{field}' holds no code block (expected ```<language>:<path> fences)")
    by_path: dict[str | None, CodeFile] = {}
    for block in blocks:
        by_path[block.path] = CodeFile(path=block.path, code=block.code)
    return tuple(by_path.values())


def to_markdown(files: Sequence[CodeFile], language: LanguageSpec) -> str:
    """Contract markdown for ``files`` with the language's main fence tag."""
    tag = language.fence_tags[0] if language.fence_tags else language.name
    return write_markdown([CodeBlock(language=tag, path=f.path, code=f.code) for f in files])
