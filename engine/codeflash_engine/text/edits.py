"""Placeholder until the edit formats land (issue 3): apply_edit(files, edit) -> EditResult."""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen
class EditResult:
    files: Mapping[str, str]
    fuzz: int = 0
    errors: tuple[str, ...] = ()


def apply_edit(files: Mapping[str, str], edit: str) -> EditResult:
    raise NotImplementedError("edit formats are not implemented yet")
