"""The postprocess hook for Python candidates: the engine's cleaning skeleton, Python's parts.

:class:`PythonCleaner` fills in :class:`codeflash_engine.CandidateCleaner` (which refuses
cut-off answers, deduplicates and logs every drop). Its parts, each a function below: index the
original files (and the base, the candidate a refinement, repair or adaptive answer improves)
once; per answer, extract the code, repair a last block an unknown finish may have cut, map
blocks to files by path or by the definitions they share, complete each from the base's version
of its file (see :mod:`.base`), merge each into its file (signature, placeholder and import
rules live in :mod:`.merge`), and require a real change. Python answers do not map file by file
(a block may hold definitions of several files), so it overrides ``clean_answer`` as a whole.
"""

from __future__ import annotations

import collections
import logging
import re
from collections.abc import Sequence
from pathlib import PurePosixPath

import attrs

from codeflash_engine import Answer, CandidateCleaner, CandidatesRequest, Cleaned, CodeFile, Rejected, Target
from codeflash_engine_python.candidates.base import complete_from_base
from codeflash_engine_python.candidates.extract import Extracted, RawBlock, extract
from codeflash_engine_python.candidates.hoist import hoist_class_attributes
from codeflash_engine_python.candidates.merge import MergeResult, alias_shadowed_imports, merge_file
from codeflash_engine_python.candidates.module import ModuleIndex, words
from codeflash_engine_python.candidates.newmodule import fold_new_modules
from codeflash_engine_python.source import split_lines
from codeflash_engine_python.syntax import parse, top_level_starts, without_stray_characters

log = logging.getLogger(__name__)


@attrs.frozen
class OriginalFile:
    """One file of the original read-writable code, indexed (``index`` None if it does not parse)."""

    path: str | None
    code: str
    index: ModuleIndex | None


@attrs.frozen
class Original:
    """Everything about the original code the batch shares, computed once per request.

    ``base`` indexes the files of the candidate being improved by the original file each belongs
    to (empty for first optimizations).
    """

    files: tuple[OriginalFile, ...]
    target: str | None
    target_file: int
    known_imports: dict[str, str]
    language_version: str | None
    base: dict[int, ModuleIndex] = attrs.field(factory=dict)

    @property
    def target_path(self) -> str | None:
        return self.files[self.target_file].path


#: source characters of the originals whose indexes are kept (files up to a quarter of it). Every
#: garbage collection walks the kept trees, about half a tracked object per character: at 512 KB
#: each collection held the GIL ~150 ms, at 64 KB it is ~20 ms
ORIGINALS_BUDGET = 64 * 1024


class IndexCache:
    """Indexes of original files, most recently used first, within a budget of source characters.

    The client sends the same original in several requests for one function (optimize, line
    profiler, refinement, repair, adaptive), the first two at once; each would parse it again.
    Indexes are only read once built (their lazy keys are deterministic), so the CPU thread and
    the event loop may share them. A file that does not parse is not cached.
    """

    def __init__(self, budget: int = ORIGINALS_BUDGET) -> None:
        self.budget = budget
        self._entries: collections.OrderedDict[tuple[str, str | None], ModuleIndex] = collections.OrderedDict()
        self._size = 0

    def index(self, code: str, language_version: str | None) -> ModuleIndex | None:
        """The index of ``code`` (None when it does not parse: hostile or broken input)."""
        key = (code, language_version)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        try:
            index = ModuleIndex(code, parse(code, language_version))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        if len(code) <= self.budget // 4:
            self._entries[key] = index
            self._size += len(code)
            while self._size > self.budget:
                (old, _), _ = self._entries.popitem(last=False)
                self._size -= len(old)
        return index


#: the plugin's cache of original files' indexes (about 6 MB of trees at most)
ORIGINALS = IndexCache()


def index_original(request: CandidatesRequest) -> Original:
    """Parse and index the original files; find the target and the file that holds it."""
    files: list[OriginalFile] = []
    known: dict[str, str] = {}
    for file in request.original:
        index = ORIGINALS.index(file.code, request.language_version)
        files.append(OriginalFile(file.path, file.code, index))
        if index is not None:
            for name, line in index.imports.items():
                known.setdefault(name, line)
    target = _resolve_target(request.target, files)
    target_file = next((i for i, f in enumerate(files) if f.index and target in f.index.units), 0)
    original = Original(tuple(files), target, target_file, known, request.language_version)
    return attrs.evolve(original, base=index_base(request.base, original))


def index_base(files: Sequence[CodeFile], original: Original) -> dict[int, ModuleIndex]:
    """Index the base's files by the original file each belongs to, mapped like an answer's blocks
    (path, base name, shared definitions, else the target file); a file that does not parse is left out."""
    parsed: list[tuple[RawBlock, ModuleIndex]] = []
    for file in files:
        try:
            tree = parse(file.code, original.language_version)
        except (SyntaxError, ValueError):
            log.debug("base file %s does not parse; not used", file.path)
            continue
        parsed.append((RawBlock(file.path, file.code), ModuleIndex(file.code, tree)))
    assigned = assign_blocks(parsed, original) if parsed else {}
    return {
        where: indexes[0] if len(indexes) == 1 else _combined(indexes, original.language_version)
        for where, indexes in assigned.items()
    }


def infer_target(files: Sequence[CodeFile], language_version: str | None, named: Target | None = None) -> Target | None:
    """The function a request is about, as :func:`index_original` finds it: ``named`` looked up in
    the code (a line profile names ``length`` for ``Vec.length``), else the first function of the
    first file that defines any (the client sends the target first)."""
    indexed = [OriginalFile(f.path, f.code, ORIGINALS.index(f.code, language_version)) for f in files]
    name = _resolve_target(named, indexed)
    if name is None:
        return None
    holder = next((f.path for f in indexed if f.index is not None and name in f.index.units), None)
    return Target.parse(name, path=holder)


def _resolve_target(named: Target | None, files: Sequence[OriginalFile]) -> str | None:
    """The unit key of ``named`` in the original (its qualified name, else the only function of
    that name), else the inferred target."""
    if named is not None:
        indexes = [f.index for f in files if f.index is not None]
        if any(named.qualified_name in index.units for index in indexes):
            return named.qualified_name
        same = [k for index in indexes for k in index.functions() if k.rsplit(".", 1)[-1] == named.name]
        if len(same) == 1:
            return same[0]
    return _infer_target(files)


def _infer_target(files: Sequence[OriginalFile]) -> str | None:
    for file in files:
        if file.index is not None and file.index.functions():
            return file.index.functions()[0]
    return None


#: top-level statements a cut-off block may lose from its end before it is given up
TRUNCATION_ATTEMPTS = 8


def repair_truncated(block: RawBlock, language_version: str | None) -> RawBlock:
    """Drop the last top-level statement of a cut-off block: it may have lost its end."""
    if not block.truncated:
        return block
    try:
        tree = parse(block.code, language_version)
    except SyntaxError:
        tree = None
    lines = split_lines(block.code)
    if tree is not None and tree.body:
        last = tree.body[-1]
        start = min([last.lineno, *(d.lineno for d in getattr(last, "decorator_list", []))])
        return attrs.evolve(block, code="".join(lines[: start - 1]).rstrip() + "\n", truncated=False)
    # cut before the last top-level statement, else the one before...: a few parses at most
    cuts = [line for line in top_level_starts(block.code) if line > 0]
    for cut in reversed(cuts[-TRUNCATION_ATTEMPTS:]):
        head = "".join(lines[:cut])
        try:
            parse(head, language_version)
        except SyntaxError:
            continue
        return attrs.evolve(block, code=head.rstrip() + "\n", truncated=False)
    return attrs.evolve(block, code="", truncated=False)


def drop_verbatim_definitions(block: RawBlock, original: Original) -> RawBlock:
    """Remove the top-level definitions a block repeats verbatim from the original.

    A definition the candidate does not mention is kept as it was, so a repeated one means the
    same; removing it first spares parsing and checking the unchanged bulk of whole-file answers.
    Only whole definitions starting at the beginning of a line are removed.
    """
    code = block.code
    if len(code) < 2000:
        return block
    for file in original.files:
        if file.index is None:
            continue
        for key, unit in file.index.units.items():
            if "." in key or key.startswith("="):
                continue
            text = file.index.text(unit)
            at = code.find(text)
            if at >= 0 and _stands_alone(code, at, at + len(text)) and code.find(text, at + 1) < 0:
                code = code[:at] + code[at + len(text) :]
    return block if code == block.code else attrs.evolve(block, code=code)


#: the first line at or after a position that holds more than whitespace
_NEXT_CODE_LINE = re.compile(r"^[^\S\n]*\S", re.MULTILINE)


def _stands_alone(code: str, start: int, end: int) -> bool:
    """``code[start:end]`` is a whole top-level statement of the answer: it starts a line, the
    answer does not go on with it (the next line holding code is not indented: a class that gains
    a method, or a function that gains a statement after its last block, only starts with the
    original's text), and no decorator of the answer's stands above it (one added to an
    unchanged function would otherwise end up on the next definition)."""
    if start > 0 and code[start - 1] != "\n":
        return False
    following = _NEXT_CODE_LINE.search(code, end)
    if following is not None and following.group()[0] in " \t":
        return False
    return not _statement_above(code, start).startswith("@")


#: how a line that only goes on with the statement above it starts: indented, or closing brackets
_GOES_ON = (" ", "\t", ")", "]", "}")


def _statement_above(code: str, start: int) -> str:
    """The first line of the top-level statement above ``code[start:]`` (the line ``start`` begins
    being the next), or "" at the top: blank and comment lines are passed over, and so are the
    lines that go on with a statement (a multi-line decorator's arguments and closing bracket, the
    body of a definition)."""
    line_end = start - 1
    while line_end >= 0:
        line_start = code.rfind("\n", 0, line_end) + 1
        line = code[line_start:line_end]
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith(_GOES_ON):
            return line
        line_end = line_start - 1
    return ""


def _printable(block: RawBlock, language_version: str | None) -> RawBlock:
    """The block with the invisible characters Python rejects mended (no-break spaces in its
    indentation, a zero-width space or byte-order mark), when that makes it parse."""
    code = without_stray_characters(block.code, language_version)
    return block if code is block.code else attrs.evolve(block, code=code)


def parse_block(block: RawBlock, language_version: str | None) -> ModuleIndex:
    """Index a block's code; :class:`Rejected` when it does not parse for the Python version."""
    try:
        tree = parse(block.code, language_version)
    except SyntaxError as exc:
        raise Rejected(f"{block.path or 'code block'} does not parse: line {exc.lineno}: {exc.msg}") from None
    return ModuleIndex(block.code, tree)


def parse_blocks(blocks: Sequence[RawBlock], language_version: str | None) -> list[tuple[RawBlock, ModuleIndex]]:
    """Index every block. Among several, a block without a path that does not parse or defines
    nothing is an illustration (a snippet of the old code, an example call) and is skipped."""
    parsed: list[tuple[RawBlock, ModuleIndex]] = []
    for block in blocks:
        incidental = block.path is None and len(blocks) > 1
        try:
            index = parse_block(block, language_version)
        except Rejected:
            if incidental:
                log.debug("unparsable snippet without a path skipped")
                continue
            raise
        if incidental and not index.units:
            continue
        parsed.append((block, index))
    if not parsed:
        raise Rejected("no code block of the answer defines anything")
    return parsed


def _defined(index: ModuleIndex) -> set[str]:
    return {k for k in index.units if not k.startswith("=")}


def assign_blocks(blocks: Sequence[tuple[RawBlock, ModuleIndex]], original: Original) -> dict[int, list[ModuleIndex]]:
    """Map each block to an original file: by path, else by the definitions it shares, else the target."""
    by_path = {f.path: i for i, f in enumerate(original.files) if f.path}
    by_name: dict[str, list[int]] = {}
    for i, f in enumerate(original.files):
        if f.path:
            by_name.setdefault(PurePosixPath(f.path).name, []).append(i)
    assigned: dict[int, list[ModuleIndex]] = {}
    for block, index in blocks:
        where = by_path.get(block.path) if block.path else None
        if where is None and block.path and len(by_name.get(PurePosixPath(block.path).name, [])) == 1:
            where = by_name[PurePosixPath(block.path).name][0]
        if where is None:
            where = _by_definitions(index, original, fallback=block.path is None or len(blocks) == 1)
        if where is None:
            log.debug("block for unknown file %s ignored", block.path)
            continue
        assigned.setdefault(where, []).append(index)
    return assigned


def _by_definitions(index: ModuleIndex, original: Original, *, fallback: bool) -> int | None:
    names = _defined(index)
    best, best_score = None, 0
    for i, f in enumerate(original.files):
        if f.index is None:
            continue
        score = len(names & _defined(f.index))
        if original.target and original.target in index.units and i == original.target_file:
            score += 1000
        if score > best_score:
            best, best_score = i, score
    if best is None and fallback:
        return original.target_file
    return best


def merge_blocks(assigned: dict[int, list[ModuleIndex]], original: Original) -> dict[int, MergeResult]:
    """Merge every block into its file; several blocks for one file are read as one, completed
    from the base's version of the file when there is one. New top-level definitions nothing
    kept refers to are merged again without (see :func:`unused_definitions`)."""
    candidates: dict[int, ModuleIndex] = {}
    results: dict[int, MergeResult] = {}
    for where, indexes in assigned.items():
        file = original.files[where]
        if file.index is None:
            raise Rejected(f"the original {file.path} does not parse; cannot merge into it")
        candidate = indexes[0] if len(indexes) == 1 else _combined(indexes, original.language_version)
        if where in original.base:
            candidate = complete_from_base(candidate, file.index, original.base[where], original.language_version)
        candidate = hoist_class_attributes(candidate, file.index, original.language_version)
        candidate = alias_shadowed_imports(candidate, file.index, original.language_version)
        candidates[where] = candidate
        results[where] = _merge_one(where, candidate, original)
    for where, unused in unused_definitions(results, original).items():
        results[where] = _merge_one(where, candidates[where], original, unused)
    return results


def _merge_one(
    where: int, candidate: ModuleIndex, original: Original, unused: frozenset[str] = frozenset()
) -> MergeResult:
    index = original.files[where].index
    assert index is not None
    target = original.target if where == original.target_file else None
    return merge_file(index, candidate, target=target, known_imports=original.known_imports, unused=unused)


def unused_definitions(results: dict[int, MergeResult], original: Original) -> dict[int, frozenset[str]]:
    """By file, the keys of the new top-level functions, classes and assignments that nothing
    the candidate keeps refers to, in any of its files: a draft under another name, a benchmark
    or test function, copies of definitions of the module the client did not send. The client
    would add each to the user's file (contract 4.4), beside the real ones it may repeat.

    What is kept: the definitions the candidate changes, the methods it adds, the original code,
    and what they refer to, transitively (by the words of their text, so a mention in a string
    or through an attribute keeps a definition too); dunder names. Nothing is left out of a
    candidate that changes no existing definition: it is refused as it is (:func:`require_change`).
    """
    if not any(r.replaced for r in results.values()):
        return {}
    changes = [(where, change) for where, result in results.items() for change in result.changes]
    if all(change.new_top_level is None for _, change in changes):
        return {}  # the common case: nothing new at the top level, nothing to read
    reached: set[str] = set()
    for file in original.files:
        reached |= file.index.words if file.index is not None else words(file.code)  # once per original
    new: list[tuple[int, str, str, frozenset[str]]] = []
    for where, change in changes:
        name = change.new_top_level
        if name is None:
            reached |= change.uses
        else:
            new.append((where, change.key, name, change.uses))
    growing = True
    while growing:
        growing = False
        for item in list(new):
            name, uses = item[2], item[3]
            if name in reached or (name.startswith("__") and name.endswith("__")):
                reached |= uses
                new.remove(item)
                growing = True
    unused: dict[int, set[str]] = {}
    for where, key, _, _ in new:
        unused.setdefault(where, set()).add(key)
    if unused:
        log.debug("new definitions nothing refers to left out: %s", sorted(k for keys in unused.values() for k in keys))
    return {where: frozenset(keys) for where, keys in unused.items()}


def _combined(indexes: Sequence[ModuleIndex], language_version: str | None) -> ModuleIndex:
    code = "\n\n".join(i.source.text.rstrip("\n") for i in indexes) + "\n"
    return ModuleIndex(code, parse(code, language_version))


def require_change(results: dict[int, MergeResult]) -> None:
    """A candidate must change an existing definition: else it is the original, or dead code."""
    if any(r.replaced for r in results.values()):
        return
    if any(r.changes for r in results.values()):
        raise Rejected("it only adds code that nothing calls (the target was renamed or left out)")
    raise Rejected("it is the original code after normalisation (docstrings, comments, local names)")


def finish_files(results: dict[int, MergeResult], original: Original) -> tuple[CodeFile, ...]:
    """The changed files, target file first.

    Not parsed again: every definition spliced in was compiled in the candidate's block (or on
    its own after our edits), into a file the client sent and that therefore compiles.
    """
    order = sorted(results, key=lambda i: (i != original.target_file, i))
    return tuple(
        CodeFile(original.files[where].path, text) for where in order if (text := results[where].text) is not None
    )


def dedup_key(results: dict[int, MergeResult]) -> tuple[object, ...]:
    """What makes two candidates the same: their normalised changes and added imports."""
    return tuple(
        sorted((where, c.key, c.normal) for where, r in results.items() for c in r.changes)
        + sorted((where, "import", line) for where, r in results.items() for line in r.imports)
    )


def process_answer(answer: Answer, original: Original, fence_tags: Sequence[str]) -> Cleaned:
    """One answer cleaned: its changed files and dedup key; :class:`Rejected` when unusable."""
    files = {f.path or "": f.code for f in original.files}
    try:
        extracted: Extracted = extract(
            answer, files=files, language_version=original.language_version, fence_tags=fence_tags
        )
    except ValueError as exc:
        raise Rejected(str(exc)) from None
    blocks = [repair_truncated(b, original.language_version) for b in extracted.blocks]
    blocks = [drop_verbatim_definitions(b, original) for b in blocks if b.code.strip()]
    blocks = [_printable(b, original.language_version) for b in blocks]
    if not blocks:
        raise Rejected("the answer holds no Python code")
    parsed = parse_blocks(blocks, original.language_version)
    if len(parsed) > 1:
        known = {f.path for f in original.files if f.path}
        parsed = fold_new_modules(parsed, known, original.language_version)
    results = merge_blocks(assign_blocks(parsed, original), original)
    require_change(results)
    return Cleaned(finish_files(results, original), dedup_key(results), explanation=extracted.explanation)


class PythonCleaner(CandidateCleaner[Original, object, object]):
    """The skeleton with Python's parts (see the module docstring)."""

    logger = log

    def pieces(self, original: Original) -> Sequence[object]:
        """Each file's index and each base index: freed one at a time (see the skeleton)."""
        return (*original.files, *original.base.values())

    def analyse(self, request: CandidatesRequest) -> Original:
        return index_original(request)

    def clean_answer(self, answer: Answer, request: CandidatesRequest, original: Original) -> Cleaned:
        try:
            return process_answer(answer, original, request.fence_tags)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise Rejected(f"{type(exc).__name__}: {exc}") from None


CLEANER = PythonCleaner()

__all__ = ["CLEANER", "PythonCleaner", "Rejected"]
