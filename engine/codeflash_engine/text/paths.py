"""File paths as LLMs write them: normalising to POSIX and matching them to the request's files.

An LLM names files loosely: ``./pkg/geo.py``, ``pkg\\geo.py``, ``/home/me/proj/pkg/geo.py``,
`` `geo.py` ``, ``**pkg/geo.py**:``. These helpers turn such text into a clean relative POSIX path and
find the request file it means: the exact path first, then the only file whose path ends with it
(or that it ends with), then the only file with the same base name. Nothing is guessed when two
files fit equally well.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from functools import lru_cache

# Extensions of source and text files. A path found in prose or in a comment (not in a fence's info
# string) is believed only when it ends with one of these or matches a known file, so that
# ``Vec.length`` or ``e.g.`` is never taken for a file name.
_EXTENSION_WORDS = """
    py pyi pyx pxd ipynb js mjs cjs jsx ts mts cts tsx vue svelte java kt kts scala groovy go rs c h cc cpp cxx
    hpp hh hxx cs fs rb php swift m mm dart lua pl r jl ex exs erl hs ml clj sql sh bash zsh ps1 html htm css
    scss less json jsonc yaml yml toml ini cfg xml md rst txt proto graphql gradle
"""
CODE_EXTENSIONS = frozenset(_EXTENSION_WORDS.split())

_DECORATION = re.compile(r"^[\s>*`'\"#]*|[\s*`'\":,;.]*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-+*]|\d{1,3}[.)])\s+")
_LABEL = re.compile(
    r"^(?:file(?:\s*name)?|filename|path|in|for|update|updated|edit|changes?\s+(?:to|in))\s*:?\s+", re.IGNORECASE
)
_TOKEN = re.compile(r"^[\w.\-/\\@+~$]+$")
_BACKTICKED = re.compile(r"`([^`\s]+)`")
_KV_PATH = re.compile(r"""(?:title|file|filename|path|name)\s*=\s*["']?([^"'\s}]+)""", re.I)


@lru_cache(maxsize=4096)
def normalize_path(path: str) -> str:
    """Return ``path`` in clean POSIX form: backslashes turned to slashes, ``./`` and ``a/../``
    segments resolved, surrounding quotes, backticks and spaces removed.

    A leading ``/`` (an absolute path) is kept; :func:`match_path` can still tie it to a known
    relative path by its suffix. An empty or ``.`` path gives ``""``.
    """
    p = path.strip().strip("`'\"").strip().replace("\\", "/")
    if not p:
        return ""
    p = posixpath.normpath(p)
    if p.startswith("//"):
        p = "/" + p.lstrip("/")
    return "" if p == "." else p


def match_path(path: str, known: Sequence[str]) -> str | None:
    """The entry of ``known`` that ``path`` names, or None.

    Tried in order: equal after normalisation; the only known path that ends with ``/path`` or
    that ``path`` ends with (an absolute path or a longer prefix); the only known path with the
    same base name. The known entry is returned as given (not normalised).
    """
    p = normalize_path(path)
    if not p or not known:
        return None
    normed = [(k, normalize_path(k)) for k in known]
    for k, nk in normed:
        if nk == p:
            return k
    suffix = {k for k, nk in normed if nk and (nk.endswith("/" + p) or p.endswith("/" + nk))}
    if len(suffix) == 1:
        return next(iter(suffix))
    if suffix:
        return None
    base = posixpath.basename(p)
    same_base = {k for k, nk in normed if posixpath.basename(nk) == base}
    if len(same_base) == 1:
        return next(iter(same_base))
    return None


def has_code_extension(path: str) -> bool:
    """True when ``path`` ends with a source or text file extension from :data:`CODE_EXTENSIONS`."""
    base = posixpath.basename(path.replace("\\", "/"))
    _, dot, ext = base.rpartition(".")
    return bool(dot) and ext.lower() in CODE_EXTENSIONS


def looks_like_path(token: str) -> bool:
    """True when ``token`` is a single word that could be a file path (no spaces, a file extension)."""
    return bool(token) and bool(_TOKEN.match(token)) and has_code_extension(token)


def path_from_line(line: str, known: Sequence[str] = ()) -> str | None:
    """The file path a line of prose names on its own, or None.

    Understands the ways LLMs introduce a code block: ``pkg/geo.py``, ``pkg/geo.py:``,
    ``**pkg/geo.py**``, `` `pkg/geo.py` ``, ``### pkg/geo.py``, ``- File: pkg/geo.py``. A line
    that says more (``Changes to `pkg/geo.py`:``) counts only when exactly one backticked token in
    it names a ``known`` file. The path is returned normalised, or as the known entry it matches.
    """
    text = line.strip()
    if not text or len(text) > 300:
        return None
    text = _LIST_MARKER.sub("", text)
    text = _DECORATION.sub("", text)
    text = _LABEL.sub("", text)
    text = _DECORATION.sub("", text)
    if text and _TOKEN.match(text):
        hit = match_path(text, known)
        if hit is not None:
            return hit
        if looks_like_path(text):
            return normalize_path(text)
        return None
    hits = {h for tok in _BACKTICKED.findall(line) if (h := match_path(tok, known)) is not None}
    if len(hits) == 1:
        return next(iter(hits))
    return None


def parse_fence_info(info: str) -> tuple[str | None, str | None]:
    """(tag, path) from a fence's info string: ``python``, ``python:a.py``, ``python a.py``,
    ``a.py``, ``{.python title="a.py"}``, ``python title="a.py"``."""
    info = info.strip()
    if not info:
        return None, None
    if info.startswith("{"):
        # a class is a ``.word`` token of its own: the dot of a quoted value (title="a.py") is none
        tag_m = re.search(r"(?:^\{|\s)\.([\w+#-]+)", info)
        kv = _KV_PATH.search(info)
        return (tag_m.group(1).lower() if tag_m else None), (kv.group(1) if kv else None)
    m = re.match(r"([^\s:]+)(:?)\s*(.*)$", info)
    if m is None:  # the info starts with ":", as in ":pkg/geo.py"
        return None, info.lstrip(":").strip() or None
    word, colon, rest = m.group(1), m.group(2), m.group(3).strip()
    if "/" in word or looks_like_path(word):
        return None, word
    path: str | None = None
    if rest:
        kv = _KV_PATH.search(rest)
        if kv:
            path = kv.group(1)
        elif colon or not any(c.isspace() for c in rest):
            path = rest
    return word.lower(), path
