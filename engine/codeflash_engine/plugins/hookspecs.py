"""The hooks a codeflash-engine plugin may implement: the reference of Plugin API v1.

A plugin is a module (or object) registered under the entry-point group ``codeflash_engine``::

    [project.entry-points.codeflash_engine]
    mylang = "codeflash_engine_mylang.plugin"

Its functions are marked with :data:`hookimpl` (``from codeflash_engine import hookimpl``) and
named after the specifications below, which are ordered by when the engine calls them. An
implementation may declare only the arguments it uses.

How hooks are called:

- :func:`register_languages` runs once per plugin, at load. Every other hook is called **for a
  language**, on the plugin that registered that language only, never on the others. So an
  implementation never checks the language: a call it receives is for one of its own languages
  (canonical names: aliases are resolved first).
- When the owning plugin does not implement a hook, or returns None, the engine's builtin
  default answers (each hook below says what it does).
- Hooks run in a worker process of the plugin's own, one call at a time, while the engine keeps
  serving: they may be CPU-heavy (they run on another core than the engine's event loop, and
  never hold its GIL). The process is a fork of the engine's worker, made at the plugin's first
  call: module-level state (caches, parsers) lives there and is kept from call to call, never
  shared with the engine's process or another plugin's. Arguments and results travel as pickles
  (every request and result type of this API does). Waiting calls are taken in turn by tenant
  (the caller's organization, else its user), each tenant's in order, so one tenant's many or
  slow calls wait behind each other, not ahead of another tenant's. The time limit counts a
  call's own run only, not its wait behind other requests' calls. A call that overruns it is
  stopped by killing the process (stuck in Python or in native code alike) and the plugin's next
  call gets a new one, so nothing a stopped call left half-done survives; a process that dies
  during a call (a crash in native code) fails that call only.
- **Containment.** A hook that raises, or runs past the per-hook time limit
  (``CODEFLASH_ENGINE_PLUGIN_TIMEOUT``, 60 s), fails only the request being served, with a 502
  ``{"error": "language plugin 'mylang' failed in hook postprocess_candidates ..."}``; requests
  for other languages are untouched. An exception while cleaning one answer of a fan-out
  (``postprocess_candidates``, ``apply_diff``) leaves out that answer only, unless the plugin
  fails on every answer. The failure is counted (metric
  ``codeflash_engine_plugin_failures_total{plugin,hook}``) and listed in ``GET /healthcheck``,
  whose status turns ``degraded``. Raise only for bugs: an unusable model answer is not a failure
  (drop the candidate; for tests, raise ``ValueError``, see :func:`postprocess_tests`).
- ``CODEFLASH_ENGINE_TRACE_PLUGINS=1`` logs every hook call with its plugin and duration.
"""

from __future__ import annotations

import inspect
import sys
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

    When: once, when the engine loads its plugins. A language may be registered by one plugin
    only: when two plugins register the same name or alias, the first loaded keeps it and the
    conflict is reported in ``codeflash-engine plugins list`` and the health check. The plugin
    that registers a language receives every other hook call for it.

    Example::

        @hookimpl
        def register_languages(register):
            register(LanguageSpec(name="go", extensions=(".go",), comment_prefix="//",
                                  fence_tags=("go", "golang")))
    """


@hookspec
def build_prompt(request: PromptRequest) -> Prompt | None:
    """Return the system and user messages for ``request.task``.

    When: before the model calls of every task (optimize, testgen, refine, repair, ...), once
    per request: the same prompt goes to every call of a fan-out.

    ``request`` is the parsed view of the client's request: the original files, the target
    when the request names it (infer it from ``request.original`` otherwise, as your
    postprocessing does), the fence tag and the task's other fields (``request.fields``). Render
    with :func:`codeflash_engine.render_prompt`, passing your own template folder: a template of
    yours named like a core one replaces it, and a template may ``{% extends "core/<name>" %}``
    a core one to override only its blocks.

    Default (None, or not implemented): the core templates rendered for the language.
    """


@hookspec
def apply_diff(request: DiffRequest) -> DiffResult | None:
    """Apply a model's edit (SEARCH/REPLACE blocks, a V4A patch or a unified diff) to ``request.files``.

    When: for every candidate answer written as an edit, before :func:`postprocess_candidates`,
    which receives the result on the answer (``Answer.edited``, or ``Answer.edit_error``).
    When the request improves an earlier candidate (refine, repair, adaptive), it is tried on
    that candidate first, then on the original.

    Default (None, or not implemented): the text layer's matching ladder, language-neutral.
    Implement it only to do better for your language, for example refusing an edit whose
    result does not parse. An edit applies entirely or not at all.
    """


@hookspec
def postprocess_candidates(request: CandidatesRequest) -> list[Candidate] | None:
    """Turn the model's answers into clean candidates, in answer order.

    When: for candidate requests (optimize, line profiler, refine, repair, adaptive), **once per
    answer, as each answer arrives** (``request.answers`` then holds that one answer, its edit
    already applied), so the response leaves right after the last answer it uses. The batch part
    is the engine's: it keeps the candidates in answer order and, across answers, the first of
    each :attr:`Candidate.key` (give candidates the key your own deduplication uses; without
    one, the files' text without whitespace). A call with several answers must give the same
    candidates as one call per answer merged so (the kit's ``streaming`` rule checks it).

    Use :class:`codeflash_engine.CandidateCleaner`: it maps each answer's code onto the
    request's files (or takes the edited files), refuses answers cut off by the token limit,
    analyses the original once for the answers of one request, sets the key and deduplicates;
    you give it your language's parts (analyse the original, clean one file, keep the target's
    signature, detect placeholder bodies, a normal form for equality). Return only the files
    that changed (plus new ones), target file first, and never code that your
    :func:`validate` rejects.

    Default (None, or not implemented): lenient language-neutral extraction (code blocks mapped
    to files, unchanged and duplicate answers dropped).
    """


@hookspec
def postprocess_tests(request: TestsRequest) -> GeneratedTests | None:
    """Clean a generated-test answer and instrument it where the client needs it.

    When: for every testgen and testgen_repair answer. Raise ``ValueError`` with a readable
    message when no usable test can be extracted (the engine then asks the model once more);
    an answer cut off by the token limit (``request.answer.cut_off``) is such a case. For Python
    the client runs only what the server instrumented, so ``instrumented_behavior`` and
    ``instrumented_perf`` must follow the contract's format; other languages may return the
    cleaned test for all three fields.

    Default (None, or not implemented): the answer's first code block, unchanged.
    """


@hookspec
def validate(language: str, code: str, language_version: str | None) -> list[SyntaxProblem] | None:
    """Return the syntax problems of ``code`` (an empty list: the code parses).

    ``language_version`` is what the client sent (for Python ``"3.11.7"``, for Java ``"17"``);
    honour it where the parser can. Each problem carries a 1-based line and column. Must be fast
    and free of side effects. ``language`` is one of yours (a plugin may register several).

    When: the serving path does not call it. Your postprocessing validates what it returns (a
    cleaner's ``clean_file`` rejects code that does not parse), and the plugin kit's conformance
    suite checks every candidate and test your hooks produce against this hook.

    Default (not implemented): no check (None).
    """


#: the hooks, in the order the engine calls them (the order of this module)
HOOKS: tuple[Callable[..., object], ...] = (
    register_languages,
    build_prompt,
    apply_diff,
    postprocess_candidates,
    postprocess_tests,
    validate,
)


def reference_markdown() -> str:
    """The hook reference as markdown: each hook's signature and docstring, in call order.

    ``docs/plugins.md`` embeds it (``codeflash-engine plugins hooks`` prints it), so the
    docstrings above stay the one statement of the contract.
    """
    module = sys.modules[__name__]
    parts = [inspect.getdoc(module) or "", ""]
    for number, hook in enumerate(HOOKS, start=1):
        signature = str(inspect.signature(hook)).replace("'", "")
        parts += [f"### {number}. `{hook.__name__}{signature}`", "", inspect.getdoc(hook) or "", ""]
    return "\n".join(parts)
