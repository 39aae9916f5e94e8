"""Helpers for ``postprocess_candidates`` implementations (for plugin authors).

A plugin that cleans the model's answers itself does a few language-neutral things around its
own parsing and restoring: map each answer's code onto the request's files (:func:`code_by_file`),
then triage the answers in order (:func:`triage_answers`): clean each one, or reject it with a
reason (raise :class:`Rejected`), and drop the answers that change nothing or repeat an earlier
one by a normalised key. :class:`TargetName` reads the request's target (``Class.method`` or
``name``). What "clean" and "the same" mean stays in the plugin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Self

import attrs

from codeflash_engine.plugins.types import Candidate, CodeFile
from codeflash_engine.text.edits import apply_edit, detect_format
from codeflash_engine.text.markdown import extract_code_blocks
from codeflash_engine.text.prose import explanation_of

log = logging.getLogger(__name__)


class Rejected(Exception):
    """An answer that cannot become a candidate; the message says why."""


@attrs.frozen
class Outcome:
    """What became of one answer: its candidate, or None and the reason it was dropped."""

    answer_index: int
    candidate: Candidate | None
    reason: str = "kept"


@attrs.frozen
class TargetName:
    """The target as the request names it: ``name``, inside ``class_name`` for a method.

    Subclass it (with ``@attrs.frozen``) to add how the target matches your definitions.
    """

    name: str
    class_name: str | None = None

    @classmethod
    def parse(cls, qualified: str) -> Self:
        """``Outer.Inner.method`` gives ``method`` in ``Inner`` (the innermost class)."""
        parts = qualified.split(".")
        return cls(name=parts[-1], class_name=parts[-2] if len(parts) > 1 else None)

    @property
    def qualified(self) -> str:
        return f"{self.class_name}.{self.name}" if self.class_name else self.name


def code_by_file(
    answer: str, original: Sequence[CodeFile], *, language_tags: Sequence[str], default_language: str
) -> dict[str | None, str]:
    """Map the answer's code onto the request's files (``original``, target file first).

    An edit (SEARCH/REPLACE, V4A or unified diff) is applied to the original files; when it does
    not apply, the answer's code blocks that are not edits stand (the edit was an illustration),
    and without any it is :class:`Rejected`. Otherwise each code block goes to the file it names,
    and blocks without a path go, joined, to the target file. Paths the request does not have are
    left out.
    """
    known = [f.path for f in original if f.path is not None]
    target_path = original[0].path if original else None
    errors: tuple[str, ...] = ()
    if detect_format(answer) is not None:
        result = apply_edit({f.path: f.code for f in original if f.path}, answer, default_path=target_path)
        if not result.errors:
            return {path: code for path, code in result.files.items() if path in known}
        errors = result.errors
    blocks = extract_code_blocks(
        answer, language_tags=language_tags, default_language=default_language, known_paths=known
    )
    if errors:
        blocks = [b for b in blocks if detect_format(b.code) is None]
        if not blocks:
            raise Rejected(f"the edit does not apply: {errors[0]}")
    by_file: dict[str | None, str] = {}
    pathless: list[str] = []
    for block in blocks:
        if block.path is None:
            pathless.append(block.code)
        elif block.path in known:
            by_file[block.path] = block.code
    if pathless and target_path not in by_file:
        by_file[target_path] = "\n\n".join(pathless)
    return by_file


def triage_answers(
    answers: Sequence[str],
    clean: Callable[[str], tuple[tuple[CodeFile, ...], Hashable]],
    *,
    logger: logging.Logger = log,
) -> list[Outcome]:
    """The fate of every answer, in order (drops are logged at debug level on ``logger``).

    ``clean(answer)`` gives the answer's cleaned changed files and its deduplication key (empty
    when nothing changed once normalised), or raises :class:`Rejected`. An answer whose key equals
    an earlier kept answer's is a duplicate.
    """
    seen: dict[Hashable, int] = {}
    outcomes: list[Outcome] = []
    for index, answer in enumerate(answers):
        try:
            files, key = clean(answer)
        except Rejected as exc:
            outcome = Outcome(index, None, f"rejected: {exc}")
        else:
            if not key:
                outcome = Outcome(index, None, "identical to the original once normalised")
            elif key in seen:
                outcome = Outcome(index, None, f"duplicate of answer #{seen[key] + 1}")
            else:
                seen[key] = index
                outcome = Outcome(index, Candidate(files=files, answer_index=index, explanation=explanation_of(answer)))
        if outcome.candidate is None:
            logger.debug("answer #%d dropped: %s", index + 1, outcome.reason)
        outcomes.append(outcome)
    return outcomes
