"""What every pipeline needs: the engine's resources, and helpers shared across tasks."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import gc
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.errors import InvalidRequest, UpstreamFailed
from codeflash_engine.infra.db.store import Store
from codeflash_engine.infra.llm.client import Completion, LLMClient
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.infra.recorder import Recorder
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine.plugins.types import CodeFile, LanguageSpec, Prompt, PromptRequest, Task
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

    def prompt(self, task: Task, language: LanguageSpec, version: str | None, context: Mapping[str, Any]) -> Prompt:
        """The prompt of ``task`` from the build_prompt hook (the builtin default renders core templates)."""
        prompt: Prompt | None = self.plugins.hook.build_prompt(
            request=PromptRequest(task=task, language=language.name, language_version=version, context=context)
        )
        if prompt is None:  # pragma: no cover - the builtin always answers
            raise InvalidRequest(f"no prompt for task {task.value} in {language.name}")
        return prompt

    async def ask(
        self, prompt: Prompt, *, n: int, task: Task, trace_id: str | None, deadline: Deadline
    ) -> list[tuple[int, Completion]]:
        """Fan ``n`` calls out across the model mix; the successful ones with their call index.

        Raises :class:`UpstreamFailed` (502) when every call failed.
        """
        results = await self.llm.fan_out(prompt, n=n, call_type=task.value, trace_id=trace_id, deadline=deadline)
        ok = [(i, r) for i, r in enumerate(results) if isinstance(r, Completion)]
        if not ok:
            reasons = sorted({_reason(r) for r in results}) or ["no call was made"]
            raise UpstreamFailed(f"every LLM call for {task.value} failed: {'; '.join(reasons)[:500]}")
        return ok


def _reason(error: object) -> str:
    return str(error) or type(error).__name__


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


#: The one thread that runs CPU-heavy plugin work. One, not a pool: CPython 3.11's ``ast`` is not
#: safe to use from two threads at once (gh-106905: under load, parses fail at random with
#: "SystemError: AST constructor recursion depth mismatch"), and the GIL lets only one thread run
#: Python code at a time anyway. Created on first use, so forked workers each get their own.
_CPU_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="codeflash-engine-cpu")


#: work estimated below this many characters of code and answers runs on the event loop (a few ms)
INLINE_LIMIT = 32 * 1024
_in_cpu_thread = 0


def _without_collections(func: Any, /, **kwargs: Any) -> Any:
    """``func(**kwargs)`` with the cyclic garbage collector paused.

    Plugin work builds large trees (ASTs, parse trees) that live only for the call and are freed
    by reference counting when it returns. Collections during the call would only walk them, again
    and again: for a large module, one pass holds the GIL long enough to stall the event loop.
    Paused, the collector resumes afterwards with the trees gone. Calls never overlap (see
    :func:`off_loop`), so pausing and resuming cannot interleave.
    """
    if not gc.isenabled():
        return func(**kwargs)
    gc.disable()
    try:
        return func(**kwargs)
    finally:
        gc.enable()


async def off_loop(func: Any, /, *, size: int | None = None, **kwargs: Any) -> Any:
    """Run CPU-heavy plugin work in the CPU thread so the event loop keeps serving.

    Small work (``size``, in characters, at most :data:`INLINE_LIMIT`) runs on the event loop
    instead when the CPU thread is idle: handing it over costs more CPU than the work, and while
    the CPU thread computes, the loop waits for the GIL at every turn (up to the 5 ms switch
    interval each time). Never both at once: ``ast`` must not run in two threads together.
    """
    global _in_cpu_thread
    if size is not None and size <= INLINE_LIMIT and _in_cpu_thread == 0:
        return _without_collections(func, **kwargs)
    call = functools.partial(contextvars.copy_context().run, functools.partial(_without_collections, func, **kwargs))
    _in_cpu_thread += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_CPU_THREAD, call)
    finally:
        _in_cpu_thread -= 1  # on the loop, once the thread is done with it
