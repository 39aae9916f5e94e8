"""Multi-file markdown code blocks: the client's exact reading and writing, the "flat" form, and a
lenient extractor for LLM answers.

The Codeflash client moves source as one fenced block per file, the info string being
``<lang>:<path>`` (contract 2.1). :func:`parse_markdown` and :func:`write_markdown` agree with the
client byte for byte, so the engine can predict exactly what the client will see.
:func:`extract_code_blocks` reads what an LLM actually writes (prose, aliases, paths in odd places,
indented or longer fences, truncated answers) and returns only blocks that survive
:func:`write_markdown` followed by the client's reading unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import attrs

from codeflash_engine.text.paths import looks_like_path, match_path, normalize_path, parse_fence_info, path_from_line

__all__ = [
    "CodeBlock",
    "Extraction",
    "blocks_by_path",
    "extract_code_blocks",
    "is_client_safe",
    "parse_flat",
    "parse_markdown",
    "project_relative",
    "scan_code_blocks",
    "to_flat",
    "write_markdown",
]


@attrs.frozen
class CodeBlock:
    """One fenced block: its language tag, its file path (POSIX, relative) or None, and its code."""

    language: str
    path: str | None
    code: str


# The client's pattern (contract 2.1): three backticks, one or more word characters, optionally ":"
# and a path to the end of the line, a newline, the code taken lazily up to the first newline that
# is followed by three backticks. DOTALL: the code spans lines.
_CLIENT_BLOCK = re.compile(r"```(\w+)(?::([^\n]+))?\n(.*?)\n```", re.DOTALL)
_CLIENT_TAG = re.compile(r"\w+")


def parse_markdown(text: str) -> list[CodeBlock]:
    """Read ``text`` exactly as the client does: every block, in order, duplicates included.

    A block needs a language tag (a bare fence, or a space after the tag, is not a block). The path
    is what follows ``:`` up to the end of the line, stripped (it is ``""`` when only spaces follow
    the colon). The code is kept as written, ``\\r`` included. Prose outside blocks is ignored.
    When two blocks name the same path the client keeps the last one: see :func:`blocks_by_path`.
    """
    return [
        CodeBlock(language=m.group(1), path=None if m.group(2) is None else m.group(2).strip(), code=m.group(3))
        for m in _CLIENT_BLOCK.finditer(text)
    ]


def write_markdown(blocks: Sequence[CodeBlock]) -> str:
    """Write ``blocks`` exactly as the client does.

    Per block: the fence, the tag, ``:path`` when the path is not empty, a newline, the code with
    ``strip()`` applied, a newline, the fence. Blocks are joined with a single newline.
    ``parse_markdown(write_markdown(bs)) == bs`` holds when every block :func:`is_client_safe`.
    """
    return "\n".join(f"```{b.language}{':' + b.path if b.path else ''}\n{b.code.strip()}\n```" for b in blocks)


def is_client_safe(block: CodeBlock) -> bool:
    """True when the client reads ``block`` back unchanged from :func:`write_markdown`.

    That needs a tag of word characters, a path that is None or stripped, non-empty and on one
    line, and code that is stripped and holds no newline followed by three backticks (which would
    end the block early).
    """
    if not _CLIENT_TAG.fullmatch(block.language):
        return False
    if block.path is not None and (not block.path or block.path != block.path.strip() or "\n" in block.path):
        return False
    return block.code == block.code.strip() and "\n```" not in block.code


_ABSOLUTE = re.compile(r"^(?:/|[A-Za-z]:/)")
_INSTALLED = re.compile(r"/(?:site|dist)-packages/")


def project_relative(text: str, target_file: str) -> str:
    """``text`` (client markdown) with the absolute paths of its blocks made relative to the project.

    The client names the target's file relative to the project and the files of the classes it
    adds for context by their absolute path (``/home/me/proj/pkg/models.py``); a prompt should not
    show a provider the user's directories. The project's root is what ``target_file`` (the
    target's absolute path) holds before the relative path of a block that ends it; without such a
    block, ``text`` is returned as is. A path outside the root keeps its part after
    ``site-packages/`` (an installed library), else its file name. Only the paths change.
    """
    anchor = target_file.replace("\\", "/")
    blocks = list(_CLIENT_BLOCK.finditer(text))
    root = next(
        (
            anchor[: len(anchor) - len(relative)]
            for m in blocks
            if m.group(2)
            and not _ABSOLUTE.match(relative := m.group(2).strip().replace("\\", "/").removeprefix("./"))
            and anchor.endswith("/" + relative)
        ),
        None,
    )
    if root is None:
        return text
    out: list[str] = []
    end = 0
    for m in blocks:
        raw = m.group(2) or ""
        path = raw.strip().replace("\\", "/")
        if not _ABSOLUTE.match(path):
            continue
        if path.startswith(root):
            path = path[len(root) :]
        else:
            installed = _INSTALLED.split(path)
            path = installed[-1] if len(installed) > 1 else path.rsplit("/", 1)[-1]
        start = m.start(2) + len(raw) - len(raw.lstrip())  # the spaces around the path stay
        out += [text[end:start], path]
        end = start + len(raw.strip())
    return "".join(out) + text[end:]


def blocks_by_path(blocks: Sequence[CodeBlock]) -> dict[str | None, str]:
    """Map each path to its code the way the client does: the last block with a path wins."""
    return {b.path: b.code for b in blocks}


def to_flat(blocks: Sequence[CodeBlock], comment_prefix: str) -> str:
    """The client's "flat" form: per block a ``<prefix> file: <path>`` line (an empty line when the
    block has no path), a newline, then the code as is; blocks joined with a newline."""
    return "\n".join((f"{comment_prefix} file: {b.path}" if b.path else "") + "\n" + b.code for b in blocks)


def parse_flat(text: str, comment_prefix: str, *, language: str = "") -> list[CodeBlock]:
    """Split a flat text back into blocks at its ``<prefix> file: <path>`` lines.

    Text before the first header line becomes a block without a path (one leading newline, which
    :func:`to_flat` writes for such a block, is removed; blank text is dropped). The newline that
    joins two blocks is removed, so ``parse_flat(to_flat(bs, p), p)`` gives ``bs`` back when every
    block has a path, none of their code holds a header line, and ``language`` is their language.
    """
    header = re.compile(
        rf"^[ \t]*{re.escape(comment_prefix)}[ \t]*file:[ \t]*(?P<path>\S[^\n]*?)[ \t\r]*$", re.MULTILINE
    )
    heads = list(header.finditer(text))
    blocks: list[CodeBlock] = []
    first = heads[0].start() if heads else len(text)
    preamble = text[: max(first - 1, 0)] if heads else text
    preamble = preamble.removeprefix("\n")
    if preamble.strip():
        blocks.append(CodeBlock(language=language, path=None, code=preamble))
    for n, m in enumerate(heads):
        start = m.end() + 1
        end = heads[n + 1].start() - 1 if n + 1 < len(heads) else len(text)
        blocks.append(CodeBlock(language=language, path=m.group("path"), code=text[start:end] if start <= end else ""))
    return blocks


# --------------------------------------------------------------------------------------------
# Lenient extraction from LLM answers
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Extraction:
    """What :func:`scan_code_blocks` found: the blocks kept, and one note per fence it skipped
    (or repaired) saying why, for logs and repair prompts."""

    blocks: tuple[CodeBlock, ...]
    notes: tuple[str, ...] = ()
    #: the last block kept had no closing fence: the answer was probably cut off inside it
    truncated: bool = False


@attrs.define
class _Fence:
    number: int
    line: int
    tag: str | None
    info_path: str | None
    body: list[str]
    closed: bool
    prose: str | None


_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARKDOWN_TAGS = frozenset({"markdown", "md"})
_COMMENT_FILE = re.compile(
    r"^\s*(?:#+|//+|--|;+|/\*+|<!--)\s*(?:file\s*name|filename|file|path)\s*:\s*(?P<path>\S.*?)\s*(?:\*+/|-->)?\s*$",
    re.I,
)
_COMMENT_PATH = re.compile(r"^\s*(?:#+|//+|/\*+|<!--)\s*(?P<path>\S+?)\s*(?:\*+/|-->)?\s*$")
_PARTIAL_FENCE = re.compile(r"^[ \t]*`{1,2}[ \t]*$")


def _width(indent: str) -> int:
    return sum(4 if c == "\t" else 1 for c in indent)


def _dedent(line: str, width: int) -> str:
    i = 0
    w = 0
    while i < len(line) and w < width and line[i] in " \t":
        w += 4 if line[i] == "\t" else 1
        i += 1
    return line[i:]


def _scan_fences(text: str) -> list[_Fence]:
    lines = text.replace("\r\n", "\n").split("\n")
    n = len(lines)
    # Only lines holding three backticks or tildes can open or close a fence: jump between them.
    marks = [k for k, line in enumerate(lines) if "```" in line or "~~~" in line]
    fences: list[_Fence] = []
    floor = 0  # the first line after the previous block
    pos = 0
    while pos < len(marks):
        i = marks[pos]
        pos += 1
        m = _OPEN.match(lines[i])
        if m is None or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            continue
        tag, info_path = parse_fence_info(m.group("info"))
        if tag in _MARKDOWN_TAGS:
            # An answer wrapped whole in a markdown fence: read through it.
            continue
        fence = m.group("fence")
        indent = _width(m.group("indent"))
        closed = False
        end = n
        resume = n
        while pos < len(marks):
            k = marks[pos]
            cm = _OPEN.match(lines[k]) if fence[:3] in lines[k] else None
            if cm is not None and cm.group("fence")[0] == fence[0] and _width(cm.group("indent")) <= indent:
                cinfo = cm.group("info").strip()
                if not cinfo and len(cm.group("fence")) >= len(fence):
                    closed, end, resume = True, k, k + 1
                    pos += 1
                    break
                if cinfo and len(cm.group("fence")) == len(fence) and (fence[0] == "~" or "`" not in cinfo):
                    # A new opening fence where a closing one was due: the LLM forgot to close.
                    closed, end, resume = True, k, k
                    break
            pos += 1
        body = lines[i + 1 : end]
        if indent:
            body = [_dedent(line, indent) for line in body]
        before = next((lines[k] for k in range(i - 1, max(floor, i - 2) - 1, -1) if lines[k].strip()), None)
        fences.append(_Fence(len(fences) + 1, i + 1, tag, info_path, body, closed, before))
        floor = resume
    return fences


def _trim_blank_edges(lines: list[str]) -> list[str]:
    start = 0
    end = len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _resolve(path: str, known: Sequence[str]) -> str:
    hit = match_path(path, known)
    if hit is not None:
        return hit
    first = path.split()[0] if path.split() else path
    if first != path.strip() and (looks_like_path(first) or match_path(first, known) is not None):
        # "pkg/geo.py (optimized)": the path is the first word.
        return _resolve(first, known)
    return normalize_path(path)


def _path_from_first_line(body: list[str], known: Sequence[str]) -> tuple[str | None, list[str]]:
    """A ``# file: x`` / ``// x`` header on the first non-blank line: (path, body without it)."""
    for k, line in enumerate(body):
        if not line.strip():
            continue
        m = _COMMENT_FILE.match(line)
        if m is not None and normalize_path(m.group("path")):
            return _resolve(m.group("path"), known), body[k + 1 :]
        m = _COMMENT_PATH.match(line)
        if m is not None:
            token = m.group("path")
            hit = match_path(token, known)
            if hit is not None:
                return hit, body[k + 1 :]
            if looks_like_path(token):
                return normalize_path(token), body[k + 1 :]
        return None, body
    return None, body


def scan_code_blocks(
    text: str, *, language_tags: Collection[str], default_language: str, known_paths: Sequence[str] = ()
) -> Extraction:
    """Like :func:`extract_code_blocks`, also saying in ``notes`` which fences were skipped and why."""
    tags = {t.lower() for t in language_tags}
    notes: list[str] = []
    kept: list[tuple[_Fence, str | None, str]] = []
    for f in _scan_fences(text):
        where = f"fence {f.number} (line {f.line})"
        if f.tag is not None and f.tag not in tags:
            notes.append(f"{where}: skipped, its tag {f.tag!r} is not one of {sorted(tags)}")
            continue
        body = f.body
        if not f.closed:
            notes.append(f"{where}: no closing fence; the answer was probably cut off, code taken to the end")
            while body and (not body[-1].strip() or _PARTIAL_FENCE.match(body[-1])):
                body = body[:-1]
        path: str | None = None
        if f.info_path is not None and normalize_path(f.info_path):
            path = _resolve(f.info_path, known_paths)
        else:
            path, body = _path_from_first_line(body, known_paths)
            if path is None and f.prose is not None:
                path = path_from_line(f.prose, known_paths)
        code = "\n".join(_trim_blank_edges(body))
        if not code:
            notes.append(f"{where}: skipped, it holds no code")
            continue
        if "\n```" in code or code.startswith("```"):
            notes.append(f"{where}: skipped, a line of its code starts with ``` (the client would cut the block there)")
            continue
        kept.append((f, path, code))
    if any(f.tag is not None for f, _, _ in kept):
        for f, path, _ in kept:
            if f.tag is None and path is None:
                notes.append(
                    f"fence {f.number} (line {f.line}): skipped, untagged and without a path beside tagged code"
                )
        kept = [k for k in kept if k[0].tag is not None or k[1] is not None]
    if len(known_paths) == 1:
        pathless = [n for n, k in enumerate(kept) if k[1] is None]
        claimed = any(k[1] == known_paths[0] for k in kept)
        if len(pathless) == 1 and not claimed:
            f, _, code = kept[pathless[0]]
            kept[pathless[0]] = (f, known_paths[0], code)
    blocks = tuple(CodeBlock(language=default_language, path=path, code=code) for _, path, code in kept)
    return Extraction(blocks=blocks, notes=tuple(notes), truncated=bool(kept) and not kept[-1][0].closed)


def extract_code_blocks(
    text: str, *, language_tags: Collection[str], default_language: str, known_paths: Sequence[str] = ()
) -> list[CodeBlock]:
    """The code blocks of an LLM answer, lenient about how they are written.

    Fences: backticks or tildes, three or more, indented or not (the fence's indentation is removed
    from its lines), closed by a bare fence at most as indented and at least as long, or by a new
    opening fence of the same length where a closing one was due; one still open at the end of a
    cut-off answer runs to the end. An answer wrapped whole in a ``markdown`` fence is read
    through. CRLF is read as LF.

    Languages: a block is kept when its tag is in ``language_tags`` (compared case-insensitively, so
    pass aliases such as ``py`` or ``python3`` there) or when it has no tag; an untagged block
    without a path is dropped when tagged blocks were found too (it is then prose such as program
    output). Every kept block gets ``language=default_language``.

    Paths, first found wins: the info string (``lang:path``, ``lang path``, ``path``,
    ``title="path"``); a ``# file: path`` / ``// path`` comment on the first line (the line is
    removed); the prose line just before the fence (``path:``, ``**path**``, `` `path` ``).
    Paths are normalised to POSIX and mapped onto ``known_paths`` (exact, then unique suffix, then
    unique base name). When there is exactly one known path and one block without a path (and no
    block already names that file), that block gets it.

    Code: blank lines at both ends removed. A block whose code would end early in the client's
    reading (a line starting with three backticks) is dropped, as is an empty block; so for every
    block returned, :func:`write_markdown` then the client's reading gives the stripped code back.
    """
    return list(
        scan_code_blocks(
            text, language_tags=language_tags, default_language=default_language, known_paths=known_paths
        ).blocks
    )
