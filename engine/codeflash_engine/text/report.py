"""The outcome of applying an edit: changed files, fuzz, and a per-block report.

Shared by the SEARCH/REPLACE and V4A appliers. An edit applies entirely or not at all: when any
block fails, ``files`` and ``deleted`` are empty and ``errors`` holds one message per failing
block, written to be quoted back to the LLM in a repair prompt.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["BlockReport", "EditResult"]


@attrs.frozen
class BlockReport:
    """What happened to one block (SEARCH/REPLACE) or one hunk or file operation (V4A).

    ``index`` counts from 1 in the order of the edit. ``action`` is one of ``update``, ``create``,
    ``append``, ``add``, ``delete``, ``move``. ``level`` is the matching level's label
    (``exact``, ``indentation``, ..., or ``elision``) when something was matched. ``line`` is the
    1-based line where the match starts, in the file as it was when the block was applied.
    ``message`` is empty when ``ok``.
    """

    index: int
    path: str | None
    action: str
    ok: bool
    level: str | None = None
    fuzz: int = 0
    line: int | None = None
    message: str = ""

    def describe(self) -> str:
        """One line for a report: ``block 2  pkg/geo.py  update at line 14  indentation (fuzz 10)``."""
        where = f" at line {self.line}" if self.line is not None else ""
        how = f"  {self.level} (fuzz {self.fuzz})" if self.level is not None else ""
        state = "ok    " if self.ok else "FAILED"
        return f"{state} block {self.index}  {self.path or '-'}  {self.action}{where}{how}"


@attrs.frozen
class EditResult:
    """The result of :func:`codeflash_engine.text.edits.apply_edit`.

    ``files`` maps each created or changed path to its new text (unchanged files are left out; a
    moved file appears under its new path). ``deleted`` lists removed paths (a moved file's old
    path included). ``fuzz`` is the sum of the blocks' fuzz. ``errors`` is empty on success; on any
    failure ``files`` and ``deleted`` are empty. ``format`` is ``"search_replace"``, ``"v4a"``,
    ``"unified"``, or None when no edit was recognised. ``blocks`` reports every block, applied or not.
    """

    files: Mapping[str, str]
    fuzz: int = 0
    errors: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    blocks: tuple[BlockReport, ...] = ()
    format: str | None = None

    @property
    def ok(self) -> bool:
        """True when every block applied."""
        return not self.errors

    def report(self) -> str:
        """A human report: one line per block, then the errors, then a summary line."""
        lines = [b.describe() for b in self.blocks]
        if self.errors:
            lines.append("")
            lines.extend(self.errors)
            good = sum(b.ok for b in self.blocks)
            lines.append("")
            lines.append(
                f"{len(self.errors)} error(s); {good} of {len(self.blocks)} block(s) matched. "
                "No file was changed: fix the failing blocks and send the whole edit again."
            )
        else:
            lines.append(f"{len(self.files)} file(s) written, {len(self.deleted)} deleted, total fuzz {self.fuzz}.")
        return "\n".join(lines)
