"""The attrs types that cross the hook boundary between the engine and language plugins.

Plugins import these; the engine builds them from HTTP requests. They carry plain data only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
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
class PromptRequest:
    """Ask for the prompt of ``task`` in ``language``; ``context`` holds the template variables."""

    task: Task
    language: str
    language_version: str | None
    context: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class CandidatesRequest:
    """Raw LLM answers to turn into clean optimization candidates.

    ``original`` is the read-writable code the request sent, target file first. ``answers`` are
    the raw model texts, in call order. ``target`` names the function being optimized when known
    (``Class.method`` for a method), else None (the plugin then infers it from the original).
    ``fence_tags`` are the markdown tags of the language (from its LanguageSpec). ``base`` is the
    earlier candidate being improved (refine, repair, adaptive: its files), empty otherwise; the
    client applies every candidate to the original, so a definition the base added and the new
    answer still uses must be carried over.
    """

    task: Task
    language: str
    language_version: str | None
    original: tuple[CodeFile, ...]
    answers: tuple[str, ...]
    target: str | None = None
    is_async: bool = False
    fence_tags: tuple[str, ...] = ()
    base: tuple[CodeFile, ...] = ()


@attrs.frozen
class Candidate:
    """A clean candidate: the changed files (target file first) and the answer it came from."""

    files: tuple[CodeFile, ...]
    answer_index: int
    explanation: str = ""


@attrs.frozen
class TestsRequest:
    """A raw generated-test answer to clean (and, where the language needs it, instrument)."""

    __test__ = False  # not a pytest test class

    language: str
    language_version: str | None
    answer: str
    source_code: tuple[CodeFile, ...]
    function_name: str
    qualified_name: str
    class_name: str | None
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
