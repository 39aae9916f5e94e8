"""The attrs types that cross the hook boundary between the engine and language plugins.

Plugins import these; the engine builds them from HTTP requests. They carry plain data only.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from typing import Any

import attrs


class Task(enum.StrEnum):
    """What an LLM call is for. Prompt templates are named after these values."""

    OPTIMIZE = "optimize"
    OPTIMIZE_LINE_PROFILER = "optimize_line_profiler"
    REFINE = "refine"
    REPAIR = "repair"
    ADAPTIVE = "adaptive"
    TESTGEN = "testgen"
    TESTGEN_REVIEW = "testgen_review"
    TESTGEN_REPAIR = "testgen_repair"
    RANK = "rank"
    EXPLAIN = "explain"
    REVIEW = "review"
    JIT = "jit"
    WORKFLOW = "workflow"


@attrs.frozen
class LanguageSpec:
    """A language a plugin provides.

    ``name`` is the canonical value of the request's ``language`` field; ``aliases`` are other
    names a request or a markdown fence may use; ``extensions`` include the dot (``.py``);
    ``comment_prefix`` starts a line comment (used by the "flat" code form: ``# file: x.py``);
    ``fence_tags`` are the markdown info-string tags this language writes and accepts.
    """

    name: str
    aliases: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    comment_prefix: str = "#"
    fence_tags: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by every alias."""
        return (self.name, *self.aliases)


@attrs.frozen
class SyntaxProblem:
    """One syntax error: 1-based line and column, and what is wrong."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@attrs.frozen
class CodeFile:
    """One file of source: a POSIX path relative to the project root (or None) and its text."""

    path: str | None
    code: str


@attrs.frozen
class Prompt:
    """The messages for one LLM call.

    ``system`` and the start of ``user`` up to ``cache_prefix_chars`` are stable across the calls
    of one request (and across requests for the same code), so providers can cache them.
    """

    system: str
    user: str
    cache_prefix_chars: int = 0


@attrs.frozen
class Target:
    """The function a request is about.

    ``name`` is its own name; ``qualified_name`` adds its classes (``Outer.Inner.method``);
    ``class_name`` is the innermost class (None for a free function); ``path`` is the file that
    holds it (relative POSIX, as the request's code blocks name it), None when unknown.
    """

    name: str
    qualified_name: str
    class_name: str | None = None
    path: str | None = None

    @classmethod
    def parse(cls, qualified: str, *, path: str | None = None) -> Target:
        """``Outer.Inner.method`` gives ``method`` in class ``Inner``; ``name`` a free function."""
        parts = [p for p in qualified.strip().split(".") if p]
        if not parts:
            raise ValueError("an empty target name")
        return cls(
            name=parts[-1],
            qualified_name=".".join(parts),
            class_name=parts[-2] if len(parts) > 1 else None,
            path=path,
        )


#: finish reasons meaning the answer was stopped before the model finished it: by its token limit
#: (OpenAI, Anthropic, others) or by a content filter mid-way (OpenAI's and Azure's ``content_filter``)
CUT_OFF_REASONS = frozenset({"length", "max_tokens", "model_length", "content_filter"})


@attrs.frozen
class Answer:
    """One model answer, as the engine received and pre-read it.

    ``text`` is the raw answer; ``finish_reason`` what the provider said about its end (``stop``,
    ``length``..., None when unknown); ``model`` the model that wrote it. When the answer is an
    edit (SEARCH/REPLACE, V4A, unified diff), the engine applied it through ``apply_diff``:
    ``edited`` holds the files it produced (only those it changed or created), or None when the
    answer is not an edit or the edit did not apply, in which case ``edit_error`` says why.
    ``prose`` is the answer's explanation (its text outside code and edits).
    """

    text: str
    finish_reason: str | None = None
    model: str | None = None
    edited: tuple[CodeFile, ...] | None = None
    edit_error: str | None = None
    prose: str = ""

    @property
    def cut_off(self) -> bool:
        """True when the answer was stopped before the model finished it (its token limit, or a
        content filter): it is incomplete, whatever it looks like."""
        return self.finish_reason is not None and self.finish_reason.lower() in CUT_OFF_REASONS


@attrs.frozen
class PromptRequest:
    """Ask for the messages of ``task`` in ``language``.

    The parsed view of the client's request: ``original`` is the read-writable code (target file
    first; empty for tasks without code), ``target`` the function when the request names it (a
    plugin infers it from ``original`` otherwise), ``fence_tag`` the tag to write code blocks
    with. ``fields`` holds the task's other request fields under their contract names (for
    example ``dependency_code``, ``line_profiler_results``, ``test_diffs``): exactly the fields
    the task's endpoint defines (None when the client sent null), bookkeeping such as
    ``trace_id`` left out. Templates see ``fields`` flattened, then ``language``,
    ``language_version``, ``fence_tag``, ``is_async``, ``target`` (this object: write
    ``{{ target.name }}``) and, as text, ``function_name`` (the target's qualified name),
    ``class_name`` and ``target_path`` (see :func:`codeflash_engine.plugins.prompting.template_variables`).
    """

    task: Task
    language: str
    language_version: str | None = None
    fence_tag: str = ""
    original: tuple[CodeFile, ...] = ()
    target: Target | None = None
    is_async: bool = False
    fields: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class CandidatesRequest:
    """Raw LLM answers to turn into clean optimization candidates.

    ``original`` is the read-writable code the request sent, target file first. ``answers`` are
    the model answers, in call order (see :class:`Answer`). ``target`` names the function being
    optimized when the request does (else None: the plugin infers it from the original).
    ``fence_tags`` are the markdown tags of the language (from its LanguageSpec). ``base`` is the
    earlier candidate being improved (refine, repair, adaptive: its files), empty otherwise; the
    client applies every candidate to the original, so a definition the base added and the new
    answer still uses must be carried over.
    """

    task: Task
    language: str
    language_version: str | None
    original: tuple[CodeFile, ...]
    answers: tuple[Answer, ...]
    target: Target | None = None
    is_async: bool = False
    fence_tags: tuple[str, ...] = ()
    base: tuple[CodeFile, ...] = ()


@attrs.frozen
class Candidate:
    """A clean candidate: the changed files (target file first) and the answer it came from.

    ``key`` says what makes two candidates the same (the plugin's normal form of their changes;
    :class:`~codeflash_engine.CandidateCleaner` sets it): the engine cleans answers as they
    arrive and keeps the first candidate of each key. None: the files' text without whitespace.
    """

    files: tuple[CodeFile, ...]
    answer_index: int
    explanation: str = ""
    key: Hashable = attrs.field(default=None, eq=False)


@attrs.frozen
class TestsRequest:
    """A generated-test answer to clean (and, where the language needs it, instrument).

    ``target`` is the function under test (its ``path`` is the file of ``module_path``);
    ``source_code`` the code being tested, target file first.
    """

    __test__ = False  # not a pytest test class

    language: str
    language_version: str | None
    answer: Answer
    source_code: tuple[CodeFile, ...]
    target: Target
    module_path: str
    test_module_path: str
    test_framework: str
    test_timeout: int
    helper_function_names: tuple[str, ...] = ()
    is_async: bool = False
    module_system: str | None = None
    fence_tags: tuple[str, ...] = ()


@attrs.frozen
class GeneratedTests:
    """The cleaned test file and its two instrumented variants (behaviour and performance)."""

    generated: str
    instrumented_behavior: str
    instrumented_perf: str


@attrs.frozen
class DiffRequest:
    """Apply an LLM edit (SEARCH/REPLACE, V4A, ...) to ``files`` (path -> text)."""

    language: str | None
    files: Mapping[str, str]
    edit: str


@attrs.frozen
class DiffResult:
    """The edited files (only those that changed or were created), the fuzz level used, failures.

    ``deleted`` lists paths the edit removed (a V4A delete, or the old path of a move).
    ``errors`` is empty on success; otherwise it holds messages an LLM repair prompt can quote,
    and ``files`` is empty: an edit applies entirely or not at all.
    """

    files: Mapping[str, str]
    fuzz: int = 0
    errors: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors
