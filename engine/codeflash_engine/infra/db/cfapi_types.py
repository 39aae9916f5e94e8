"""What the store keeps for the CLI's second service (cfapi): attrs records, no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

#: how the engine touched a pull request
PullRequestKind = Literal["create", "suggest", "dependent", "actions"]


@attrs.frozen
class OptimizationEvent:
    """The outcome of one function's optimization, as the CLI reported it (mark-as-success)."""

    trace_id: str
    user_id: str
    optimization_found: bool
    created: dt.datetime
    updated: dt.datetime


@attrs.frozen
class PullRequestRecord:
    """A pull request the engine opened, or suggested changes to.

    ``target_number`` is the pull request the optimization belongs to (the one opened, or the one
    suggested on); ``number`` the one the engine opened (None for review suggestions).
    """

    user_id: str
    kind: PullRequestKind
    owner: str
    repo: str
    target_number: int
    number: int | None = None
    url: str | None = None
    trace_id: str | None = None
    function_name: str | None = None
    file_path: str | None = None
