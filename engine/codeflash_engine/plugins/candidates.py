"""The candidate-cleaning skeleton: one loop for every language, filled in by each plugin.

``postprocess_candidates`` implementations subclass :class:`CandidateCleaner` and give it their
language's parts; the skeleton does the language-neutral rest, the same way for every plugin:

1. **analyse the original** once per request (:meth:`CandidateCleaner.analyse`: parse the files,
   work out the target when the request does not name it);
2. per answer, in order: refuse an answer the token limit cut off (``Answer.cut_off``: a
   function missing its last statements may still parse, and is wrong); take its code per file
   (:meth:`CandidateCleaner.code_of`: the files an edit produced, else the code blocks mapped
   onto the request's files);
3. **clean each file** (:meth:`CandidateCleaner.clean_file`: parse it, keep the target's name and
   signature, put back bodies left out as placeholders, add imports; raise :class:`Rejected`
   when unusable) and **normalise** it (:meth:`CandidateCleaner.changes`: the normal forms of the
   definitions that differ from the original);
4. **deduplicate**: an answer that changes nothing once normalised, or whose changes equal an
   earlier answer's, is dropped.

An answer nested too deeply for the plugin's recursive code (``RecursionError``) or too large
(``MemoryError``) is rejected like an unusable one: it is the input's problem, not a bug of the
plugin.

A plugin whose answers do not map file by file (the Python plugin merges definitions into the
original) overrides :meth:`CandidateCleaner.clean_answer` instead of steps 3's two methods.
Every drop is logged at debug level with the answer's number (#1 is the first answer).
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

import attrs

from codeflash_engine.plugins.types import Answer, Candidate, CandidatesRequest, CodeFile
from codeflash_engine.text.edits import detect_format
from codeflash_engine.text.markdown import extract_code_blocks

log = logging.getLogger(__name__)

OriginalT = TypeVar("OriginalT")
FileT = TypeVar("FileT")
CleanedT = TypeVar("CleanedT")


class Rejected(Exception):
    """An answer that cannot become a candidate; the message says why."""


@attrs.frozen
class Cleaned:
    """One answer, cleaned: its changed files (target file first) and its deduplication key.

    An empty key means the answer changes nothing once normalised.
    """

    files: tuple[CodeFile, ...]
    key: Hashable
    #: the candidate's explanation when the plugin read it itself (default: the answer's prose)
    explanation: str | None = None


@attrs.frozen
class Outcome:
    """What became of one answer: its candidate, or None and the reason it was dropped."""

    answer_index: int
    candidate: Candidate | None
    reason: str = "kept"


def describe(index: int) -> str:
    """How logs and the plugin kit name an answer: ``answer #1`` is the first."""
    return f"answer #{index + 1}"


def code_by_file(
    answer: Answer, original: Sequence[CodeFile], *, language_tags: Sequence[str], default_language: str
) -> dict[str | None, str]:
    """Map the answer's code onto the request's files (``original``, target file first).

    An edit the engine applied gives its edited files. An edit that did not apply leaves the
    answer's code blocks that are not edits (the edit was an illustration), and without any the
    answer is :class:`Rejected`. Otherwise each code block goes to the file it names, and blocks
    without a path go, joined, to the target file. Paths the request does not have are left out.
    """
    known = [f.path for f in original if f.path is not None]
    target_path = original[0].path if original else None
    if answer.edited is not None:
        return {f.path: f.code for f in answer.edited if f.path in known}
    blocks = extract_code_blocks(
        answer.text, language_tags=language_tags, default_language=default_language, known_paths=known
    )
    if answer.edit_error is not None:
        blocks = [b for b in blocks if detect_format(b.code) is None]
        if not blocks:
            raise Rejected(f"the edit does not apply: {answer.edit_error}")
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


#: characters of original (and base) code whose analysis a cleaner keeps for the request's next
#: answer. A kept analysis is walked by every full garbage collection until the next request (about
#: 0.25 to 0.7 µs per object, ~600 objects per KB of Python: 128 KB costs each one 20 to 55 ms); a
#: larger one is analysed again for each answer (~115 ms per answer at 64 to 128 KB, ~1.8 s at 1 MiB)
MAX_KEPT_ANALYSIS_CHARS = 128 * 1024


class CandidateCleaner(abc.ABC, Generic[OriginalT, FileT, CleanedT]):
    """The skeleton (see the module docstring). Subclass it once per language.

    ``OriginalT`` is what :meth:`analyse` builds (the parsed original, shared by every answer);
    ``FileT`` the analysis of one original file (:meth:`original_files`); ``CleanedT`` what
    :meth:`clean_file` gives for one file of an answer (a parse tree, a text).
    """

    #: tags a code block may carry in answers (the request's fence tags are always accepted)
    accepted_tags: tuple[str, ...] = ()
    #: where drops are logged (debug level)
    logger: logging.Logger = log
    #: the last request analysed (answers left out) and its analysis: the answers of one request
    #: arrive one at a time, in the plugin's one thread
    _last_analysis: tuple[CandidatesRequest, OriginalT] | None = None

    # ------------------------------------------------------------------ the language's parts
    @abc.abstractmethod
    def analyse(self, request: CandidatesRequest) -> OriginalT:
        """Parse the request's original files once and work out the target."""

    def original_files(self, original: OriginalT) -> Sequence[tuple[str | None, FileT]]:
        """(path, per-file analysis) of the original, target file first, for :meth:`clean_file`.

        Needed by the default :meth:`clean_answer` only.
        """
        raise NotImplementedError("implement original_files, or override clean_answer")

    def clean_file(self, code: str, file: FileT, original: OriginalT, *, first: bool) -> CleanedT:
        """One file of an answer made usable: parsed, signature kept, placeholders filled,
        imports added. Raise :class:`Rejected` when it cannot be (for example, it does not parse
        once restored). ``first`` is True for the target's file."""
        raise NotImplementedError("implement clean_file, or override clean_answer")

    def changes(self, cleaned: CleanedT, file: FileT) -> Sequence[Hashable]:
        """Normal forms of what ``cleaned`` changes against the original ``file`` (empty: nothing)."""
        raise NotImplementedError("implement changes, or override clean_answer")

    def text(self, cleaned: CleanedT) -> str:
        """The code of a cleaned file, as the candidate carries it."""
        return str(cleaned).strip() + "\n"

    # ------------------------------------------------------------------ the skeleton
    def code_of(self, answer: Answer, request: CandidatesRequest, original: OriginalT) -> dict[str | None, str]:
        """The answer's code per file (see :func:`code_by_file`); override to re-home code."""
        tags = tuple(dict.fromkeys((*request.fence_tags, *self.accepted_tags))) or (request.language,)
        return code_by_file(answer, request.original, language_tags=tags, default_language=request.language)

    def clean_answer(self, answer: Answer, request: CandidatesRequest, original: OriginalT) -> Cleaned:
        """Clean every file the answer gives code for; the key gathers the files' changes."""
        code = self.code_of(answer, request, original)
        if not code:
            raise Rejected("no code block for any file of the request")
        files: list[CodeFile] = []
        key: list[tuple[str, Hashable]] = []
        for index, (path, analysis) in enumerate(self.original_files(original)):
            if path not in code:
                continue
            cleaned = self.clean_file(code[path], analysis, original, first=index == 0)
            changed = self.changes(cleaned, analysis)
            if changed:
                files.append(CodeFile(path=path, code=self.text(cleaned)))
                key.extend((path or "", c) for c in changed)
        return Cleaned(tuple(files), tuple(sorted(key, key=repr)))

    def pieces(self, original: OriginalT) -> Sequence[object]:
        """The parts of an analysis that hold its trees (one per file, say), freed one at a time
        when the analysis is not kept; empty (the default): the analysis is freed at once."""
        return ()

    def triage(self, request: CandidatesRequest) -> list[Outcome]:
        """The fate of every answer, in order (drops are logged at debug level).

        An analysis that is not kept is freed piece by piece (see :meth:`pieces`): freed at once,
        the trees of 1 MiB of Python held the GIL ~150 ms, a file's trees take ~10 ms.
        """
        original = self._analysed(request)
        outcomes = self._triage(request, original)
        if self._last_analysis is None or self._last_analysis[1] is not original:
            pieces = list(self.pieces(original))
            del original
            _free_one_at_a_time(pieces)
        return outcomes

    def _triage(self, request: CandidatesRequest, original: OriginalT) -> list[Outcome]:
        """:meth:`triage` against the analysis ``original``."""
        seen: dict[Hashable, int] = {}
        outcomes: list[Outcome] = []
        for index, answer in enumerate(request.answers):
            try:
                if answer.cut_off:
                    raise Rejected(f"cut off by the token limit (finish_reason {answer.finish_reason!r})")
                cleaned = self.clean_answer(answer, request, original)
            except Rejected as exc:
                outcome = Outcome(index, None, f"rejected: {exc}")
            except (RecursionError, MemoryError) as exc:  # the answer, not the plugin: nested too deeply
                outcome = Outcome(
                    index, None, f"rejected: too deeply nested or too large to clean ({type(exc).__name__})"
                )
            else:
                if not cleaned.key or not cleaned.files:
                    outcome = Outcome(index, None, "identical to the original once normalised")
                elif cleaned.key in seen:
                    outcome = Outcome(index, None, f"duplicate of {describe(seen[cleaned.key])}")
                else:
                    seen[cleaned.key] = index
                    explanation = answer.prose if cleaned.explanation is None else cleaned.explanation
                    candidate = Candidate(
                        files=cleaned.files, answer_index=index, explanation=explanation, key=cleaned.key
                    )
                    outcome = Outcome(index, candidate)
            if outcome.candidate is None:
                self.logger.debug("%s dropped: %s", describe(index), outcome.reason)
            outcomes.append(outcome)
        return outcomes

    def postprocess(self, request: CandidatesRequest) -> list[Candidate]:
        """The clean candidates of ``request``, in answer order."""
        return [o.candidate for o in self.triage(request) if o.candidate is not None]

    def _analysed(self, request: CandidatesRequest) -> OriginalT:
        """:meth:`analyse`, once for the answers of one request that arrive one at a time.

        Only the analysis of an original of at most :data:`MAX_KEPT_ANALYSIS_CHARS` is kept: a
        kept analysis outlives the call, and every garbage collection walks its trees (those of
        1 MiB of Python held the GIL 150-400 ms per collection, long after the request was
        answered). A larger original is analysed again for each answer, in the plugin's thread.
        """
        question = attrs.evolve(request, answers=())
        if self._last_analysis is not None and self._last_analysis[0] == question:
            return self._last_analysis[1]
        self._last_analysis = None  # the previous request's trees go before this one's are built
        original = self.analyse(request)
        if sum(len(file.code) for file in (*request.original, *request.base)) <= MAX_KEPT_ANALYSIS_CHARS:
            self._last_analysis = (question, original)
        return original


def _free_one_at_a_time(pieces: list[object]) -> None:
    """Drop ``pieces`` one by one, letting another thread (the event loop's) take the GIL between
    two: freeing a large tree is one uninterrupted hold of the GIL."""
    while pieces:
        pieces.pop()
        time.sleep(0)


def merge_streamed(found: Sequence[tuple[int, Sequence[Candidate]]]) -> list[tuple[int, Candidate]]:
    """The batch part of postprocessing, after each answer was cleaned on its own as it arrived.

    ``found`` holds, per answer (by its index in the fan-out), the candidates the hook gave for
    it. The result: (answer index, candidate) in answer order, the first candidate of each key
    kept (:attr:`Candidate.key`, else the files' text without whitespace), as one call with every
    answer would have given.
    """
    seen: set[Hashable] = set()
    out: list[tuple[int, Candidate]] = []
    for index, candidates in sorted(found, key=lambda item: item[0]):
        for candidate in candidates:
            key = candidate.key if candidate.key is not None else _text_key(candidate)
            if key in seen:
                log.debug("%s dropped: a duplicate of an earlier answer's candidate", describe(index))
                continue
            seen.add(key)
            out.append((index, candidate))
    return out


def _text_key(candidate: Candidate) -> Hashable:
    return tuple(sorted((f.path or "", "".join(f.code.split())) for f in candidate.files))
