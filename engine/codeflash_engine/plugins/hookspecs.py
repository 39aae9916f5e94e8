"""The hooks a codeflash-engine plugin may implement.

A plugin is a module (or object) registered under the entry-point group ``codeflash_engine``::

    [project.entry-points.codeflash_engine]
    mylang = "codeflash_engine_mylang.plugin"

Its functions are marked with :data:`hookimpl` and named after the specifications below.

Call order (pluggy's): implementations run last-registered first. The engine registers its
builtin implementations first and marks them ``trylast``, then every entry point, so a plugin's
implementation always runs before the builtin default. Every hook except
:func:`register_languages` is ``firstresult``: the first implementation that returns something
other than ``None`` decides, so **an implementation must return None for a language it does not
own**, and the engine passes the canonical language name (aliases are already resolved).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from codeflash_engine.plugins.types import (
        Candidate,
        CandidatesRequest,
        DiffRequest,
        DiffResult,
        GeneratedTests,
        LanguageSpec,
        Prompt,
        PromptRequest,
        SyntaxProblem,
        TestsRequest,
    )

PROJECT_NAME = "codeflash_engine"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_languages(register: Callable[[LanguageSpec], None]) -> None:
    """Declare the languages this plugin provides by calling ``register`` once per language.

    Called once, when the engine loads its plugins. A language may be registered by one plugin
    only: when two plugins register the same name or alias, the first loaded keeps it and the
    conflict is reported in ``codeflash-engine plugins list`` and the health check.

    Example::

        @hookimpl
        def register_languages(register):
            register(LanguageSpec(name="go", extensions=(".go",), comment_prefix="//",
                                  fence_tags=("go", "golang")))
    """


@hookspec(firstresult=True)
def build_prompt(request: PromptRequest) -> Prompt | None:
    """Return the system and user messages for ``request.task`` in ``request.language``.

    ``request.context`` holds the template variables of the task (the code, runtimes, profiles,
    the runtime context such as the language version and whether the code is async). Render
    with :func:`codeflash_engine.plugins.prompting.render_prompt`, passing your own template
    folder so that your templates override the core ones of the same name.

    The engine ships a ``trylast`` default that renders the core templates of ``prompts/`` for
    any language, so a plugin only implements this hook to specialise prompts. Return None for
    a language you do not own.
    """


@hookspec(firstresult=True)
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Return the syntax problems of ``code`` (empty list: the code parses), or None.

    ``language_version`` is what the client sent (for Python ``"3.11.7"``, for Java ``"17"``);
    honour it where the parser can. Each problem carries a 1-based line and column. Must be
    fast and side-effect free: it runs for every candidate and every generated test.
    """


@hookspec(firstresult=True)
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Turn raw LLM answers into clean candidates, or return None for a foreign language.

    Expected of an implementation, in this order: extract the code from each answer (markdown,
    XML tags, or an edit applied to the original), map the code to the request's files,
    reject code that does not validate, keep the target's name and signature, add imports
    the new code uses that the original had, drop placeholder bodies, drop candidates identical
    to the original after normalisation and duplicates within the batch. Return only files that
    changed (plus new ones), target file first. Never return code that :func:`validate` rejects.
    The engine runs this hook in a worker thread: it may be CPU-heavy but must be thread-safe.
    """


@hookspec(firstresult=True)
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """Clean a raw generated-test answer and instrument it where the client needs it.

    Return None for a foreign language. Raise ``ValueError`` with a readable message when no
    usable test can be extracted. For Python the client runs only what the server instrumented,
    so ``instrumented_behavior`` and ``instrumented_perf`` must follow the contract's format;
    other languages may return the cleaned test for all three fields. Runs in a worker thread.
    """


@hookspec(firstresult=True)
def apply_diff(request: DiffRequest) -> DiffResult | None:
    """Apply an LLM edit (SEARCH/REPLACE blocks or a V4A patch) to ``request.files``.

    The engine calls it for every candidate answer written as an edit, before
    :func:`postprocess_candidates`, which then receives the answer's prose followed by the
    edited files as markdown code blocks. The engine ships a language-neutral ``trylast``
    default built on :mod:`codeflash_engine.text`; implement this only to do better for your
    language (for example, refusing an edit whose result does not parse), and return None to
    defer to the default. An edit applies entirely or not at all.
    """
