"""What a plugin declares about its language for the conformance suite: :class:`LanguageSamples`.

A plugin's ``tests/conftest.py`` turns the suite on with one assignment::

    codeflash_engine_conformance = LanguageSamples(language="go", plugin="go", ...)

(or a sequence of them, one per language the plugin provides). Everything the suite sends to
the plugin is built from these samples: candidate batches, test answers, prompt contexts, edits
and HTTP requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from codeflash_engine.plugins.types import CodeFile

#: the conftest attribute that turns the conformance suite on
ACTIVATION = "codeflash_engine_conformance"

_WHITESPACE = re.compile(r"\s+")


def _files(value: Mapping[str, str] | Iterable[CodeFile]) -> tuple[CodeFile, ...]:
    if isinstance(value, Mapping):
        return tuple(CodeFile(path=path, code=code) for path, code in value.items())
    return tuple(value)


def _strings(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def squeeze(code: str) -> str:
    """``code`` without any whitespace: how the suite compares code that a plugin may reformat."""
    return _WHITESPACE.sub("", code)


@attrs.frozen(kw_only=True, eq=False)
class LanguageSamples:
    """Sample inputs for one language, declared by the plugin that provides it.

    ``plugin`` is the name of the plugin's entry point in the ``codeflash_engine`` group (the
    installed distribution is then what is tested), or a plugin object (a module or an instance
    with ``@hookimpl`` methods) for in-process tests.

    Syntax: ``valid`` parses; ``invalid`` does not, and its first problem is on line
    ``invalid_line`` (and at ``invalid_column`` when given; both 1-based).

    Candidates: ``original`` is the read-writable code as the client sends it (path -> code,
    target file first); ``target`` names the function being optimized (``Type.method`` for a
    method) and ``signature`` is its signature exactly as the original writes it (whitespace does
    not matter). Raw LLM answers, each a whole model answer (prose and fenced code, or an edit):

    - ``improved``: each must become a candidate (they must differ from each other);
    - ``identical``: the original again, possibly reformatted: must not become a candidate;
    - ``changed_signature``: the target with another signature: dropped, or the signature restored;
    - ``invalid_answers``: answers whose code does not parse: never returned as is.

    The suite adds its own: the original verbatim, ``invalid`` in the target's path, and a
    duplicate of the first improved answer.

    Tests: ``test_framework`` is what the client sends for this language; ``test_answer`` a raw
    testgen answer for the target; ``module_path`` and ``test_module_path`` the request's fields.

    ``edited`` is the original with a change (path -> whole new text), for the apply-diff
    round trip; by default the first improved answer's code for the target file.
    ``testgen_fields`` are extra fields the client sends in testgen requests for this language
    (for example ``{"module_system": "esm"}``); ``id`` names the samples in test ids (default:
    the language).
    """

    language: str
    plugin: str | object
    language_version: str | None = None
    valid: str
    invalid: str
    invalid_line: int
    invalid_column: int | None = None
    original: tuple[CodeFile, ...] = attrs.field(converter=_files)
    target: str
    signature: str
    improved: tuple[str, ...] = attrs.field(converter=_strings)
    identical: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    changed_signature: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    invalid_answers: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    test_framework: str
    test_answer: str
    module_path: str = ""
    test_module_path: str = ""
    edited: Mapping[str, str] | None = None
    testgen_fields: Mapping[str, Any] = attrs.field(factory=dict)
    id: str = ""

    def __attrs_post_init__(self) -> None:
        problems = []
        if not self.original or self.original[0].path is None:
            problems.append("original needs at least one file with a path (the target's file first)")
        if not self.improved:
            problems.append("improved needs at least one answer")
        if self.invalid_line < 1 or (self.invalid_column is not None and self.invalid_column < 1):
            problems.append("invalid_line and invalid_column are 1-based")
        if self.signature and squeeze(self.signature) not in squeeze(self.original[0].code if self.original else ""):
            problems.append("signature must appear in the target's file (the first of original)")
        if problems:
            raise ValueError(f"LanguageSamples({self.language!r}): " + "; ".join(problems))

    @property
    def name(self) -> str:
        """How test ids name these samples."""
        return self.id or self.language

    @property
    def target_path(self) -> str:
        """The path of the target's file."""
        path = self.original[0].path
        assert path is not None
        return path

    @property
    def function_name(self) -> str:
        """The target's own name (``Type.method`` -> ``method``)."""
        return self.target.rsplit(".", 1)[-1]

    @property
    def class_name(self) -> str | None:
        """The type around the target, when the target is a method."""
        return self.target.rsplit(".", 2)[-2] if "." in self.target else None

    @property
    def plugin_name(self) -> str:
        """The entry-point name, or a name for an in-process plugin object."""
        return self.plugin if isinstance(self.plugin, str) else f"{self.language}-under-test"


def as_sample_list(value: LanguageSamples | Sequence[LanguageSamples]) -> list[LanguageSamples]:
    """The declaration of a conftest as a list (one entry per language)."""
    if isinstance(value, LanguageSamples):
        return [value]
    items = list(value)
    if not items or not all(isinstance(item, LanguageSamples) for item in items):
        raise TypeError(f"{ACTIVATION} must be a LanguageSamples or a non-empty sequence of them")
    return items
