"""``codeflash-engine usage``: LLM calls, tokens and cost per user, model, day or call type.

Read from the ``llm_calls`` records in PostgreSQL (DATABASE_URL), which every replica writes.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from codeflash_engine.commands.keys import print_table, run_on_database
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.queries import USAGE_GROUPS
from codeflash_engine.infra.db.types import UsageRow, usage_total
from codeflash_engine.infra.plan_options import OptionError
from codeflash_engine.infra.when import parse_when


@click.command("usage")
@click.option("--since", default="30d", show_default=True, help="Start: 30d, 12h, 2w, 90m ago, or an ISO date.")
@click.option("--until", default=None, help="End (exclusive): same forms; default now.")
@click.option("--by", "group", type=click.Choice(list(USAGE_GROUPS)), default="user", show_default=True)
@click.option("--user", "user_id", default=None, help="Only this user's calls.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def usage(since: str, until: str | None, group: str, user_id: str | None, as_json: bool) -> None:
    """LLM calls, failures, tokens, cost and requests over a period, per user, org, model, day or call type.

    A request is one HTTP request that made LLM calls; one request's calls may go to several models
    or call types, so the TOTAL line counts requests itself (the rows' requests may add up to more).
    The dashboard at /admin shows the same figures.
    """
    now = dt.datetime.now(dt.UTC)
    try:
        start = parse_when(since, now)
        end = parse_when(until, now) if until else now
    except OptionError as exc:
        raise click.BadParameter(exc.message) from None
    if end <= start:
        raise click.BadParameter(f"the period is empty: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}")

    async def report(store: PostgresStore) -> tuple[list[UsageRow], UsageRow]:
        rows = await store.usage(since=start, until=end, group=group, user_id=user_id)
        return rows, usage_total(await store.usage(since=start, until=end, group="total", user_id=user_id))

    rows, total = run_on_database(report)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "since": start.isoformat(),
                    "until": end.isoformat(),
                    "by": group,
                    "rows": [r.as_json() for r in rows],
                    "total": total.as_json(),
                },
                indent=2,
            )
        )
        return
    if not rows:
        click.echo(f"no LLM calls from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC", err=True)
        return
    header = (group.upper(), "CALLS", "FAILED", "TOKENS IN", "TOKENS OUT", "CACHED", "COST USD", "REQUESTS")
    print_table([header, *(_cells(r) for r in [*rows, total])])


def _cells(row: UsageRow) -> tuple[str, ...]:
    numbers = (row.calls, row.failed, row.tokens_in, row.tokens_out, row.tokens_cached)
    return (row.group, *(f"{n:,}" for n in numbers), f"{row.cost_usd:,.4f}", f"{row.requests:,}")
