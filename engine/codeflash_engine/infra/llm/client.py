"""The LLM client the pipelines call: one completion, or n of them across the model mix.

:meth:`LLMClient.complete` makes one call: it waits for a slot of the provider (a semaphore per
provider bounds concurrent calls), sends the prompt with a per-attempt timeout, retries transient
failures as :class:`~codeflash_engine.infra.llm.retry.RetryPolicy` says, and, when the model keeps
failing, falls back to the next model of the mix. Nothing starts, waits or retries past the
request's :class:`~codeflash_engine.infra.llm.deadline.Deadline`. Each model tried yields one
:class:`~codeflash_engine.infra.records.LLMCallRecord` (its retries included), handed to the
recorder without waiting.

:meth:`LLMClient.fan_out` makes ``n`` such calls at once, split across the mix by weight, and
returns them in call order, failures as :class:`LLMError` values; :meth:`LLMClient.fan_out_each`
yields the same calls one by one as they end. For ``n > 1`` both stop waiting for the stragglers
as the client's :class:`~codeflash_engine.infra.llm.stragglers.StragglerPolicy` says: once a
quorum of calls has succeeded, the others get a bounded grace, then are cancelled (and recorded).

:func:`open_llm_client` builds the client from the settings (SDK clients created once, closed on
exit); it raises :class:`LLMConfigError` at start-up when the configuration cannot work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

import attrs

from codeflash_engine.infra.llm.config import ProviderSettings, build_providers, resolve_mix
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.infra.llm.errors import DeadlineExceeded, ErrorKind, LLMError
from codeflash_engine.infra.llm.mix import ModelChoice, ModelMix
from codeflash_engine.infra.llm.models import ModelTable, Usage
from codeflash_engine.infra.llm.providers import Provider, ProviderAnswer, Redact
from codeflash_engine.infra.llm.redact import Redactor
from codeflash_engine.infra.llm.retry import ModelHealth, RetryPolicy
from codeflash_engine.infra.llm.slots import KeyedSlots, NoSlot
from codeflash_engine.infra.llm.stragglers import StragglerPolicy
from codeflash_engine.infra.logging import request_id_var, user_id_var
from codeflash_engine.infra.observability import llm_span
from codeflash_engine.infra.records import LLMCallRecord, Record
from codeflash_engine.infra.tenancy import request_mix
from codeflash_engine.plugins.types import Prompt
from codeflash_engine.settings import Settings

log = logging.getLogger(__name__)

#: the message a call cut by the straggler policy is cancelled with (its record says ``straggler``)
_STRAGGLER = "codeflash-engine: straggler cut-off"


class RecordTaker(Protocol):
    """What the client needs of the recorder: a non-blocking ``record``."""

    def record(self, record: Record) -> bool:
        """Queue ``record``; False when it was dropped."""
        ...


@attrs.frozen
class Completion:
    """One successful LLM call.

    ``model`` and ``provider`` name the model that answered; when a fallback answered,
    ``requested`` is the model first asked for (else None). ``tokens_in`` counts all input tokens, of which
    ``tokens_cached`` were read from the prompt cache and ``tokens_cache_write`` written to it.
    ``latency_ms`` covers the whole call on that model, retries and waits included;
    ``attempts`` counts its attempts.
    """

    text: str
    model: str
    provider: str
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    tokens_cache_write: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    attempts: int = 1
    served_model: str | None = None
    finish_reason: str | None = None
    requested: ModelChoice | None = None

    @property
    def fell_back(self) -> bool:
        """Whether another model than the one requested answered."""
        return self.requested is not None and (self.requested.provider, self.requested.model) != (
            self.provider,
            self.model,
        )


class LLMClient:
    """Completions over the configured providers, with retries, fallbacks, bounds and records.

    Built by :func:`open_llm_client`; tests may build one from providers directly.
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        *,
        mix: ModelMix,
        recorder: RecordTaker,
        table: ModelTable | None = None,
        policy: RetryPolicy | None = None,
        health: ModelHealth | None = None,
        call_timeout: float = 120.0,
        concurrency: int = 64,
        redact: Redact | None = None,
        concurrency_per_key: int | None = None,
        stragglers: StragglerPolicy | None = None,
        shared_prompt: bool = False,
    ) -> None:
        self.providers = dict(providers)
        self.mix = mix
        self.recorder = recorder
        self.table = table or ModelTable.default()
        self.policy = policy or RetryPolicy()
        self.health = health or ModelHealth()
        self.call_timeout = call_timeout
        self.concurrency = concurrency
        self.redact: Redact = redact or Redactor()
        #: when fan-outs stop waiting for their slowest calls
        self.stragglers = stragglers or StragglerPolicy()
        #: candidates assigned to a model that answers several choices per request share one
        self.shared_prompt = shared_prompt
        self._slots = {name: asyncio.Semaphore(concurrency) for name in self.providers}
        #: LLM calls one caller (the request's user) may have in flight at once
        self.per_key = KeyedSlots(concurrency_per_key or concurrency)

    # --- public API ---------------------------------------------------------------------------

    async def complete(
        self,
        messages: Prompt,
        *,
        model: ModelChoice | None = None,
        call_type: str,
        trace_id: str | None,
        deadline: Deadline,
        max_tokens: int | None = None,
        temperature: float | None = None,
        fallbacks: Sequence[ModelChoice] | None = None,
    ) -> Completion:
        """One completion of ``messages`` by ``model`` (default: the mix's first model).

        When the model keeps failing (retries spent, or a failure that retrying cannot fix), the
        call moves on to ``fallbacks`` in order; by default the other models of the client's mix.
        Pass ``fallbacks=()`` to stay on ``model``. Models cooling down after repeated failures
        are tried last. Raises :class:`LLMError` (the last model's failure) or
        :class:`DeadlineExceeded`.
        """
        mix = request_mix(self.mix, self.providers)  # the caller's plan's mix, if it has one
        first = model or mix.first
        chain = self._chain(first, mix.fallbacks(first) if fallbacks is None else fallbacks)
        try:
            async with self.per_key.slot(user_id_var.get(), within=deadline.remaining()):
                return await self._complete_chain(
                    messages,
                    first,
                    chain,
                    call_type=call_type,
                    trace_id=trace_id,
                    deadline=deadline,
                    max_tokens=max_tokens,
                    temperature=temperature,
                )
        except NoSlot:
            raise DeadlineExceeded(provider=first.provider, model=first.model) from None

    async def _complete_chain(
        self,
        messages: Prompt,
        first: ModelChoice,
        chain: Sequence[ModelChoice],
        *,
        call_type: str,
        trace_id: str | None,
        deadline: Deadline,
        max_tokens: int | None,
        temperature: float | None,
    ) -> Completion:
        """:meth:`complete` once the caller holds one of its slots."""
        last: LLMError | None = None
        for choice in chain:
            if deadline.expired:
                raise DeadlineExceeded(provider=choice.provider, model=choice.model)
            try:
                [completion] = await self._call(
                    messages,
                    choice,
                    call_type=call_type,
                    trace_id=trace_id,
                    deadline=deadline,
                    max_tokens=max_tokens,
                    temperature=temperature,
                )
            except DeadlineExceeded:
                raise
            except LLMError as exc:
                last = exc
                if choice is not chain[-1]:
                    log.warning(
                        "%s failed (%s); falling back",
                        choice.key,
                        exc.kind.value,
                        extra={"provider": choice.provider, "model": choice.model, "error_class": exc.kind.value},
                    )
                continue
            if choice is not first:
                completion = attrs.evolve(completion, requested=first)
            return completion
        assert last is not None
        raise last

    async def fan_out(
        self,
        prompt: Prompt | Sequence[Prompt],
        *,
        n: int,
        call_type: str,
        trace_id: str | None,
        deadline: Deadline,
        mix: ModelMix | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> list[Completion | LLMError]:
        """``n`` concurrent completions of ``prompt`` split across ``mix`` (default: the client's).

        Results come back in call order (the order of ``mix.assign(n)``); a call that failed on
        every model it tried is its :class:`LLMError`, not raised.
        """
        results: list[Completion | LLMError | None] = [None] * n
        async for index, result in self.fan_out_each(
            prompt,
            n=n,
            call_type=call_type,
            trace_id=trace_id,
            deadline=deadline,
            mix=mix,
            max_tokens=max_tokens,
            temperature=temperature,
        ):
            results[index] = result
        return [r for r in results if r is not None]

    async def fan_out_each(
        self,
        prompt: Prompt | Sequence[Prompt],
        *,
        n: int,
        call_type: str,
        trace_id: str | None,
        deadline: Deadline,
        mix: ModelMix | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncIterator[tuple[int, Completion | LLMError]]:
        """The ``n`` calls of :meth:`fan_out`, each ``(call index, result)`` as soon as it ends.

        So the caller can work on the first answers while the others are still on their way.
        When the caller stops iterating early (or is cancelled), the calls still running are
        cancelled.

        For ``n > 1``, once :meth:`StragglerPolicy.quorum` calls have succeeded (failures are
        yielded as they come but do not count), the calls still running get
        :meth:`StragglerPolicy.grace` more seconds; those that have not ended by then are
        cancelled (recorded with outcome ``cancelled``, error class ``straggler``) and not yielded.

        ``prompt`` may be one prompt per call (a fan-out whose calls differ, e.g. in a strategy
        line); calls share one request (several choices) only when they have the same prompt.
        """
        mix = mix or request_mix(self.mix, self.providers)
        assigned = mix.assign(n)
        prompts = [prompt] * n if isinstance(prompt, Prompt) else list(prompt)
        if len(prompts) != n:
            raise ValueError(f"{len(prompts)} prompts for {n} calls")
        loop = asyncio.get_running_loop()

        async def one(
            index: int, choice: ModelChoice, failed: LLMError | None = None
        ) -> list[tuple[int, Completion | LLMError]]:
            # failed: this choice's batch failed on ``choice``; it goes on to the fallbacks alone
            chain = [choice, *mix.fallbacks(choice)] if failed is None else mix.fallbacks(choice)
            if not chain:
                assert failed is not None
                return [(index, failed)]
            try:
                completion = await self.complete(
                    prompts[index],
                    model=chain[0],
                    call_type=call_type,
                    trace_id=trace_id,
                    deadline=deadline,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    fallbacks=chain[1:],
                )
            except LLMError as exc:
                return [(index, exc)]
            if failed is not None and completion.requested is None:
                completion = attrs.evolve(completion, requested=choice)
            return [(index, completion)]

        async def batch(indices: list[int], choice: ModelChoice) -> list[tuple[int, Completion | LLMError]]:
            """The choices assigned to ``choice`` in one request; retried as one, then each on its own."""
            try:
                async with self.per_key.slot(user_id_var.get(), within=deadline.remaining()):
                    if deadline.expired:
                        raise DeadlineExceeded(provider=choice.provider, model=choice.model)
                    completions = await self._call(
                        prompts[indices[0]],
                        choice,
                        call_type=call_type,
                        trace_id=trace_id,
                        deadline=deadline,
                        max_tokens=max_tokens,
                        temperature=temperature,
                        choices=len(indices),
                    )
            except NoSlot:
                late = DeadlineExceeded(provider=choice.provider, model=choice.model)
                return [(i, late) for i in indices]
            except DeadlineExceeded as exc:
                return [(i, exc) for i in indices]
            except LLMError as exc:
                alone = await asyncio.gather(*(one(i, choice, exc) for i in indices))
                return [item for items in alone for item in items]
            out: list[tuple[int, Completion | LLMError]] = list(zip(indices, completions, strict=False))
            missing = indices[len(completions) :]  # a server may answer fewer choices than asked
            if missing:
                alone = await asyncio.gather(*(one(i, choice) for i in missing))
                out += [item for items in alone for item in items]
            return out

        started = loop.time()
        quorum = self.stragglers.quorum(len(assigned))
        succeeded = 0
        cut_at: float | None = None  # when the calls still running are cut (loop time)
        # calls share one request only with the same model and the same prompt
        groups: dict[tuple[ModelChoice, Prompt], list[int]] = {}
        for i, choice in enumerate(assigned):
            groups.setdefault((choice, prompts[i]), []).append(i)
        pending: set[asyncio.Future[list[tuple[int, Completion | LLMError]]]] = set()
        for (choice, _), indices in groups.items():
            if len(indices) > 1 and self._shares_prompt(choice):
                pending.add(asyncio.ensure_future(batch(indices, choice)))
            else:
                pending.update(asyncio.ensure_future(one(i, choice)) for i in indices)
        reason: str | None = None
        try:
            while pending:
                timeout = None if cut_at is None else max(0.0, cut_at - loop.time())
                done, pending = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    reason = _STRAGGLER
                    log.info(
                        "%d of %d %s calls cut as stragglers %.2f s after the fan-out started",
                        len(pending),
                        len(assigned),
                        call_type,
                        loop.time() - started,
                        extra={"call_type": call_type, "stragglers": len(pending), "calls": len(assigned)},
                    )
                    break
                now = loop.time()
                arrived = sorted(item for task in done for item in task.result())
                for index, result in arrived:
                    if isinstance(result, Completion):
                        succeeded += 1
                        if quorum is not None and cut_at is None and succeeded >= quorum and pending:
                            cut_at = now + self.stragglers.grace(now - started)
                    yield index, result
        finally:
            for task in pending:
                task.cancel(reason)
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Close every provider's SDK client."""
        for provider in self.providers.values():
            with contextlib.suppress(Exception):
                await provider.aclose()

    # --- internals ----------------------------------------------------------------------------

    def _shares_prompt(self, choice: ModelChoice) -> bool:
        """Whether candidates assigned to ``choice`` share one request (several choices, one prompt)."""
        if not self.shared_prompt or choice.provider not in self.providers:
            return False
        info = self.table.lookup(choice.provider, choice.model)
        return info is not None and info.choices and hasattr(self.providers[choice.provider], "complete_choices")

    def _chain(self, first: ModelChoice, fallbacks: Sequence[ModelChoice]) -> list[ModelChoice]:
        """``first`` then ``fallbacks``: configured providers only, no repeats, cooling models last."""
        seen: set[tuple[str, str]] = set()
        chain: list[ModelChoice] = []
        for choice in (first, *fallbacks):
            ident = (choice.provider, choice.model)
            if ident in seen:
                continue
            seen.add(ident)
            if choice.provider in self.providers:
                chain.append(choice)
        if not chain:
            raise LLMError(
                f"model {first.key} needs provider {first.provider!r}, which is not configured, "
                "and no configured fallback is left",
                kind=ErrorKind.NOT_CONFIGURED,
                provider=first.provider,
                model=first.model,
            )
        healthy = [c for c in chain if not self.health.cooling(c.key)]
        return healthy + [c for c in chain if self.health.cooling(c.key)]

    async def _call(
        self,
        prompt: Prompt,
        choice: ModelChoice,
        *,
        call_type: str,
        trace_id: str | None,
        deadline: Deadline,
        max_tokens: int | None,
        temperature: float | None,
        choices: int = 1,
    ) -> list[Completion]:
        """All the attempts on one model; one record. ``choices`` > 1: one request for that many
        answers (the prompt billed once); the answers it got (at least one)."""
        provider = self.providers[choice.provider]
        slots = self._slots[choice.provider]
        info = self.table.lookup(choice.provider, choice.model)
        started = time.perf_counter()
        attempts = 0
        wasted = Usage()  # billed by the provider for answers that could not be used
        try:
            while True:
                attempts += 1
                try:
                    answers = await self._attempt(
                        provider,
                        slots,
                        prompt,
                        choice,
                        deadline,
                        max_tokens=max_tokens,
                        temperature=temperature,
                        info=info,
                        choices=choices,
                    )
                except LLMError as exc:
                    error = exc
                    if error.billed:
                        wasted = wasted + error.billed
                else:
                    return self._succeeded(choice, answers, call_type, trace_id, started, attempts, wasted)

                wait = self._retry_wait(error, attempts, deadline)
                if wait is None:
                    error.attempts = attempts
                    self._failed(choice, error, call_type, trace_id, started, wasted)
                    raise error
                log.info(
                    "%s attempt %d failed (%s); retrying in %.2f s",
                    choice.key,
                    attempts,
                    error.kind.value,
                    wait,
                    extra={
                        "provider": choice.provider,
                        "model": choice.model,
                        "error_class": error.kind.value,
                        "status_code": error.status_code,
                        "call_type": call_type,
                    },
                )
                with llm_span():  # waiting on the provider's rate limit or recovery
                    await asyncio.sleep(wait)
        except asyncio.CancelledError as exc:
            # the request went away (client disconnect, shutdown), or the fan-out stopped waiting
            # for this call (a straggler): the call still gets its record
            straggler = bool(exc.args) and exc.args[0] == _STRAGGLER
            cancelled = LLMError(
                f"{choice.key} call {'cut as a straggler' if straggler else 'cancelled'}",
                kind=ErrorKind.STRAGGLER if straggler else ErrorKind.CANCELLED,
                provider=choice.provider,
                model=choice.model,
            )
            cancelled.attempts = attempts
            self._failed(choice, cancelled, call_type, trace_id, started, wasted)
            raise

    async def _attempt(
        self,
        provider: Provider,
        slots: asyncio.Semaphore,
        prompt: Prompt,
        choice: ModelChoice,
        deadline: Deadline,
        *,
        max_tokens: int | None,
        temperature: float | None,
        info: object,
        choices: int = 1,
    ) -> list[ProviderAnswer]:
        """One attempt: a provider slot, then the call, each bounded by time."""
        if deadline.expired:
            raise DeadlineExceeded(provider=choice.provider, model=choice.model)
        if slots.locked():
            left = deadline.remaining()
            try:
                async with asyncio.timeout(left if math.isfinite(left) else None):
                    await slots.acquire()
            except TimeoutError:
                raise DeadlineExceeded(
                    "the request's deadline passed while waiting for a free LLM slot",
                    provider=choice.provider,
                    model=choice.model,
                ) from None
        else:
            await slots.acquire()
        try:
            budget = deadline.remaining()
            if budget <= 0:
                raise DeadlineExceeded(provider=choice.provider, model=choice.model)
            timeout = min(self.call_timeout, budget)
            scope = asyncio.timeout(timeout)
            try:
                async with scope:
                    with llm_span():
                        if choices > 1:
                            return await provider.complete_choices(  # type: ignore[attr-defined, no-any-return]
                                prompt,
                                model=choice.model,
                                n=choices,
                                max_tokens=max_tokens,
                                temperature=temperature,
                                time_limit=timeout + 1.0,
                                info=info,
                            )
                        answer = await provider.complete(
                            prompt,
                            model=choice.model,
                            max_tokens=max_tokens,
                            temperature=temperature,
                            # the SDK's own timeout is a backstop; the scope above decides
                            time_limit=timeout + 1.0,
                            info=info,  # type: ignore[arg-type]
                        )
                        return [answer]
            except TimeoutError:
                if not scope.expired():
                    raise
                if timeout < self.call_timeout:
                    raise DeadlineExceeded(provider=choice.provider, model=choice.model) from None
                raise LLMError(
                    f"{choice.key} did not answer within {timeout:.0f} s",
                    kind=ErrorKind.TIMEOUT,
                    provider=choice.provider,
                    model=choice.model,
                ) from None
        finally:
            slots.release()

    def _retry_wait(self, error: LLMError, attempts: int, deadline: Deadline) -> float | None:
        """Seconds to wait before the next attempt, or None to stop trying this model."""
        if not error.transient or attempts >= self.policy.max_attempts:
            return None
        wait = self.policy.delay(attempts, error.retry_after)
        if wait is None or wait >= deadline.remaining():
            return None
        return wait

    def _succeeded(
        self,
        choice: ModelChoice,
        answers: Sequence[ProviderAnswer],
        call_type: str,
        trace_id: str | None,
        started: float,
        attempts: int,
        wasted: Usage,
    ) -> list[Completion]:
        """One record for the request; each answer a Completion with its share of the usage.

        The record's tokens and cost also count ``wasted``: what earlier attempts were billed for
        answers that could not be used. The Completions carry only the answer's own usage.
        """
        latency_ms = (time.perf_counter() - started) * 1000
        answer = answers[0]
        usage = answer.usage
        cost = self.table.cost(choice.provider, choice.model, usage, served_model=answer.served_model)
        billed = usage + wasted if wasted else usage
        billed_cost = (
            cost + self.table.cost(choice.provider, choice.model, wasted, served_model=answer.served_model)
            if wasted
            else cost
        )
        self.health.succeeded(choice.key)
        self.recorder.record(
            LLMCallRecord(
                trace_id=trace_id,
                user_id=user_id_var.get(),
                request_id=request_id_var.get(),
                call_type=call_type,
                model_name=choice.model,
                provider=choice.provider,
                tokens_in=billed.input_tokens,
                tokens_out=billed.output_tokens,
                tokens_cached=billed.cache_read_tokens,
                tokens_cache_write=billed.cache_write_tokens,
                cost_usd=billed_cost,
                latency_ms=latency_ms,
                attempts=attempts,
            )
        )
        n = len(answers)

        def share(total: int, i: int) -> int:  # the first answer takes the remainder
            return total // n + (total % n if i == 0 else 0)

        return [
            Completion(
                text=one.text,
                model=choice.model,
                provider=choice.provider,
                tokens_in=share(usage.input_tokens, i),
                tokens_out=share(usage.output_tokens, i),
                tokens_cached=share(usage.cache_read_tokens, i),
                tokens_cache_write=share(usage.cache_write_tokens, i),
                cost_usd=cost / n,
                latency_ms=latency_ms,
                attempts=attempts,
                served_model=one.served_model,
                finish_reason=one.finish_reason,
            )
            for i, one in enumerate(answers)
        ]

    def _failed(
        self,
        choice: ModelChoice,
        error: LLMError,
        call_type: str,
        trace_id: str | None,
        started: float,
        wasted: Usage,
    ) -> None:
        """One record for a call that gave no answer; its tokens and cost are what its attempts
        were billed for answers that could not be used (``wasted``), else zero."""
        latency_ms = (time.perf_counter() - started) * 1000
        if self.health.failed(choice.key, error):
            log.warning(
                "%s failed %d calls in a row; routing around it for %.0f s",
                choice.key,
                self.health.allowed_fails,
                self.health.cooldown,
                extra={"provider": choice.provider, "model": choice.model},
            )
        cancelled = error.kind in (ErrorKind.CANCELLED, ErrorKind.STRAGGLER)
        log.log(
            logging.INFO if cancelled else logging.WARNING,
            "%s call failed after %d attempt(s): %s",
            choice.key,
            error.attempts,
            error.detail,
            extra={
                "provider": choice.provider,
                "model": choice.model,
                "error_class": error.kind.value,
                "status_code": error.status_code,
                "call_type": call_type,
            },
        )
        self.recorder.record(
            LLMCallRecord(
                trace_id=trace_id,
                user_id=user_id_var.get(),
                request_id=request_id_var.get(),
                call_type=call_type,
                model_name=choice.model,
                provider=choice.provider,
                tokens_in=wasted.input_tokens,
                tokens_out=wasted.output_tokens,
                tokens_cached=wasted.cache_read_tokens,
                tokens_cache_write=wasted.cache_write_tokens,
                cost_usd=self.table.cost(choice.provider, choice.model, wasted) if wasted else 0.0,
                latency_ms=latency_ms,
                outcome="cancelled" if cancelled else "error",
                error_class=error.kind.value,
                attempts=error.attempts,
            )
        )


@contextlib.asynccontextmanager
async def open_llm_client(
    settings: Settings,
    recorder: RecordTaker,
    *,
    table: ModelTable | None = None,
    policy: RetryPolicy | None = None,
    health: ModelHealth | None = None,
) -> AsyncIterator[LLMClient]:
    """The application's LLM client: SDK clients created once here, closed on exit.

    Raises :class:`~codeflash_engine.infra.llm.errors.LLMConfigError` (with the variables to set)
    when no provider is configured, or when ``CODEFLASH_ENGINE_MODELS`` names a provider without
    credentials.
    """
    ps = ProviderSettings.from_settings(settings)
    mix = resolve_mix(settings, ps)
    # the SDKs' transport logs every request at INFO: one line per LLM call is the record's job
    for name in ("httpx2", "httpx"):
        transport_log = logging.getLogger(name)
        if transport_log.level == logging.NOTSET:
            transport_log.setLevel(logging.WARNING)
    configured = {name for name, ok in ps.configured().items() if ok}
    concurrency = settings.codeflash_engine_llm_concurrency
    redact = Redactor.from_settings(settings, extra=ps.secrets())
    providers = build_providers(
        ps, configured, pool=concurrency, timeout=settings.codeflash_engine_llm_timeout, redact=redact
    )
    client = LLMClient(
        providers,
        mix=mix,
        recorder=recorder,
        table=table,
        policy=policy,
        health=health,
        call_timeout=settings.codeflash_engine_llm_timeout,
        concurrency=concurrency,
        redact=redact,
        concurrency_per_key=settings.codeflash_engine_llm_concurrency_per_key,
        stragglers=StragglerPolicy.from_settings(settings),
        shared_prompt=settings.codeflash_engine_llm_shared_prompt,
    )
    log.info(
        "LLM providers: %s; model mix: %s",
        ", ".join(sorted(configured)),
        mix,
        extra={"providers": sorted(configured), "mix": str(mix), "llm_concurrency": concurrency},
    )
    try:
        yield client
    finally:
        await client.aclose()


__all__ = [
    "Completion",
    "Deadline",
    "LLMClient",
    "LLMError",
    "ModelChoice",
    "ModelMix",
    "StragglerPolicy",
    "Usage",
    "open_llm_client",
]
