"""Line profiles as the client sends them (a markdown table per function), read and trimmed.

The client's table: ``| Hits | Time | Per Hit | % Time | Line Contents |`` after ``# Timer unit``,
``## Function:`` and ``## Total time:`` lines. :func:`trim_profile` keeps the lines that matter
(the largest shares of the time) and says how many it left out; :func:`compare_profiles` puts the
profiles of two versions side by side, line by line. Both give back text that is not a table
unchanged.
"""

from __future__ import annotations

import re

import attrs

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")
#: what ends a line of source code for the compilers whose line numbers the client sends (coverage,
#: line profiles): not a form feed (``^L``), ``\x1c``-``\x1e``, ``\x85``, ``\u2028`` or ``\u2029``,
#: where ``str.splitlines`` also breaks
_SOURCE_LINE_END = re.compile(r"\r\n|\r|\n")
#: rows kept by :func:`trim_profile` (the largest shares of the time)
KEEP_ROWS = 40


@attrs.frozen
class Row:
    """One line of a profile: its hits and share of the time (None when not given), its text."""

    hits: str
    share: float | None
    contents: str
    raw: str


@attrs.frozen
class Profile:
    """A profile split into what comes before the table, the table's header, its rows, and the rest."""

    head: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    tail: tuple[str, ...]


def _cells(line: str) -> list[str]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [c.strip() for c in _CELL_SPLIT.split(inner)]


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return None


def parse_profile(text: str) -> Profile | None:
    """The profile's table, or None when ``text`` holds no ``| ... % Time ... |`` table."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("|") and "Time" in line), None)
    if start is None:
        return None
    columns = [c.lower() for c in _cells(lines[start])]
    share_at = next((i for i, c in enumerate(columns) if c.startswith("%")), None)
    hits_at = next((i for i, c in enumerate(columns) if c == "hits"), None)
    contents_at = next((i for i, c in enumerate(columns) if "content" in c), len(columns) - 1)
    header = [lines[start]]
    index = start + 1
    if index < len(lines) and _SEPARATOR.match(lines[index].strip()):
        header.append(lines[index])
        index += 1
    rows: list[Row] = []
    while index < len(lines) and lines[index].lstrip().startswith("|"):
        cells = _cells(lines[index])
        share = _number(cells[share_at]) if share_at is not None and share_at < len(cells) else None
        hits = cells[hits_at] if hits_at is not None and hits_at < len(cells) else ""
        contents = cells[contents_at] if contents_at < len(cells) else ""
        rows.append(Row(hits=hits, share=share, contents=contents.replace("\\|", "|"), raw=lines[index]))
        index += 1
    return Profile(tuple(lines[:start]), tuple(header), tuple(rows), tuple(lines[index:]))


def trim_profile(text: str | None, keep: int = KEEP_ROWS) -> str:
    """``text`` with its table cut to the ``keep`` rows with the largest ``% Time`` (in their order),
    and a last line saying how many rows were left out and the most time any of them took."""
    text = text or ""
    profile = parse_profile(text)
    if profile is None or len(profile.rows) <= keep:
        return text
    ranked = sorted(range(len(profile.rows)), key=lambda i: -(profile.rows[i].share or 0.0))
    kept = sorted(ranked[:keep])
    dropped = [profile.rows[i] for i in ranked[keep:]]
    largest = max((r.share or 0.0 for r in dropped), default=0.0)
    note = f"({len(dropped)} more lines, each at most {largest:g}% of the time, are left out.)"
    lines = [*profile.head, *profile.header, *(profile.rows[i].raw for i in kept), note, *profile.tail]
    return "\n".join(lines)


def compare_profiles(before: str | None, after: str | None, keep: int = KEEP_ROWS) -> str:
    """The two profiles line by line: ``| % Time before | % Time after | Hits before | Hits after |
    Line Contents |``, lines matched by their text (the original's order, then lines only the new
    version has); the ``keep`` lines with the largest share in either. Empty when either profile
    has no table."""
    old, new = parse_profile(before or ""), parse_profile(after or "")
    if old is None or new is None:
        return ""
    by_text: dict[str, list[Row | None]] = {}
    for row in old.rows:
        by_text.setdefault(row.contents, [None, None])[0] = row
    for row in new.rows:
        by_text.setdefault(row.contents, [None, None])[1] = row
    items = list(by_text.items())

    def weight(pair: list[Row | None]) -> float:
        return max((r.share or 0.0) for r in pair if r is not None) if any(pair) else 0.0

    chosen = sorted(sorted(range(len(items)), key=lambda i: -weight(items[i][1]))[:keep])

    def share(row: Row | None) -> str:
        return "-" if row is None or row.share is None else f"{row.share:g}"

    def hits(row: Row | None) -> str:
        return "-" if row is None else row.hits or "-"

    out = ["| % Time before | % Time after | Hits before | Hits after | Line Contents |", "|---:|---:|---:|---:|:---|"]
    for i in chosen:
        contents, (a, b) = items[i]
        out.append(f"| {share(a)} | {share(b)} | {hits(a)} | {hits(b)} | {contents.replace('|', chr(92) + '|')} |")
    if len(items) > keep:
        out.append(f"({len(items) - keep} more lines with smaller shares are left out.)")
    return "\n".join(out)


def _source_lines(code: str | None) -> list[str]:
    """The lines of source code as compilers number them (no empty last line for a final line end)."""
    lines = _SOURCE_LINE_END.split(code or "")
    return lines[:-1] if lines and not lines[-1] else lines


def numbered(code: str | None, start: int | None = 1) -> str:
    """``code`` with its line numbers (from ``start``) in front of each line."""
    lines = _source_lines(code)
    first = start if isinstance(start, int) and start > 0 else 1
    width = len(str(first + max(len(lines) - 1, 0)))
    return "\n".join(
        f"{first + i:>{width}} | {line}" if line else f"{first + i:>{width}} |" for i, line in enumerate(lines)
    )


def coverage_first_line(code: str | None, details: object) -> int:
    """The line number of ``code``'s first line in the file the coverage ``details`` describe.

    The client sends either the whole module (numbered from 1) or only the function (numbered
    from ``function_start_line``): the code is the whole module when it is long enough to hold
    every line the coverage names.
    """
    if not isinstance(details, dict):
        return 1
    start = details.get("function_start_line")
    named: list[int] = []
    for key in ("main_function", "dependent_function"):
        part = details.get(key)
        if isinstance(part, dict):
            for field in ("executed_lines", "unexecuted_lines"):
                named += [n for n in part.get(field) or () if isinstance(n, int)]
    lines = len(_source_lines(code))
    if not isinstance(start, int) or start <= 1 or (named and max(named) <= lines):
        return 1
    return start
