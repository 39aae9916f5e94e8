"""``codeflash-engine plans`` and ``orgs``: what an operator sells, and to which organizations.

A plan holds a rate limit (requests per window, on LLM-backed endpoints only), a quota
(optimizations per period, one per trace), a spend budget (USD of LLM calls per period) and a
model mix. A request's plan is its key's, else its user's, else its organization's, else
``default`` (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS, unlimited otherwise).
"""

from __future__ import annotations

import json

import click

from codeflash_engine.commands.keys import print_table, run_on_database
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.db.types import PERIODS, Organization, Plan
from codeflash_engine.infra.plan_options import (
    CLEAR,
    OptionError,
    format_rate,
    parse_budget,
    parse_models,
    parse_quota,
    parse_rate_limit,
)


def plan_json(plan: Plan) -> dict[str, object]:
    return {
        "name": plan.name,
        "rate_limit_max": plan.rate_limit_max,
        "rate_limit_window_ms": plan.rate_limit_window_ms,
        "quota": plan.optimizations_limit,
        "budget_usd": plan.budget_usd,
        "period": plan.period,
        "models": plan.models,
    }


@click.group()
def plans() -> None:
    """Create, change and list plans (needs DATABASE_URL)."""


@plans.command("set")
@click.argument("name")
@click.option("--rate-limit", "rate", default=None, help="Requests per window on LLM-backed endpoints: 40/60s, 600/1h.")
@click.option("--quota", default=None, help="Optimizations (one per trace) per period; 'none': unlimited.")
@click.option("--budget", default=None, help="LLM spend in USD per period (llm_calls.cost_usd); 'none': unlimited.")
@click.option("--period", type=click.Choice(PERIODS), default=None, help="Period of the quota and budget.")
@click.option("--models", default=None, help="Model mix provider:model=weight,...; 'default': the engine's.")
def set_(
    name: str, rate: str | None, quota: str | None, budget: str | None, period: str | None, models: str | None
) -> None:
    """Create plan NAME, or change it (options left out keep their value; a new plan's are unlimited)."""
    try:
        rate_max, rate_window = parse_rate_limit(rate) if rate is not None else (None, None)
        limit = parse_quota(quota) if quota is not None else None
        usd = parse_budget(budget) if budget is not None else None
        mix = parse_models(models) if models is not None else None
    except OptionError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.option) from None

    async def op(store: PostgresStore) -> Plan:
        current = await store.get_plan(name) or Plan(name)
        return await store.set_plan(
            Plan(
                name=name,
                rate_limit_max=rate_max if rate is not None else current.rate_limit_max,
                rate_limit_window_ms=rate_window if rate is not None else current.rate_limit_window_ms,
                optimizations_limit=limit if quota is not None else current.optimizations_limit,
                budget_usd=usd if budget is not None else current.budget_usd,
                period=period if period is not None else current.period,  # type: ignore[arg-type]  # click.Choice
                models=mix if models is not None else current.models,
            )
        )

    plan = run_on_database(op)
    click.echo(f"plan {plan.name}: {_describe(plan)}")


def _describe(plan: Plan) -> str:
    quota = "unlimited" if plan.optimizations_limit is None else str(plan.optimizations_limit)
    budget = "unlimited" if plan.budget_usd is None else f"${plan.budget_usd:g}"
    return (
        f"rate limit {format_rate(plan)}, quota {quota} and budget {budget} per {plan.period}, "
        f"models {plan.models or 'default'}"
    )


@plans.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(as_json: bool) -> None:
    """List plans (rate limit 'env': RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS)."""
    found = run_on_database(lambda store: store.list_plans())
    if as_json:
        click.echo(json.dumps([plan_json(p) for p in found], indent=2))
        return
    rows = [("NAME", "RATE LIMIT", "QUOTA", "BUDGET USD", "PERIOD", "MODELS")]
    for p in found:
        quota = "-" if p.optimizations_limit is None else str(p.optimizations_limit)
        budget = "-" if p.budget_usd is None else f"{p.budget_usd:g}"
        rows.append((p.name, format_rate(p), quota, budget, p.period, p.models or "default"))
    print_table(rows)


# --- organizations ---------------------------------------------------------------------------------


def org_json(org: Organization) -> dict[str, object]:
    return {
        "id": org.id,
        "name": org.name,
        "plan": org.plan,
        "privacy_mode": org.privacy_mode,
        "github_org_id": org.github_org_id,
        "created": org.created.isoformat(),
    }


@click.group()
def orgs() -> None:
    """Create, change and list organizations (needs DATABASE_URL)."""


@orgs.command("create")
@click.argument("name")
@click.option("--plan", default=None, help="The organization's plan (its users share its quota and budget).")
@click.option("--privacy", is_flag=True, help="Privacy mode: no source or test code is stored for it.")
@click.option("--github-org-id", type=click.IntRange(min=1), default=None, help="Its GitHub organization's id.")
def org_create(name: str, plan: str | None, privacy: bool, github_org_id: int | None) -> None:
    """Create an organization and print its id (for `keys create --org ID`)."""
    org = run_on_database(
        lambda store: store.create_organization(name, plan=plan, privacy_mode=privacy, github_org_id=github_org_id)
    )
    click.echo(f"Created organization {org.name}, plan {org.plan or 'default'}.", err=True)
    click.echo(org.id)


@orgs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def org_list(as_json: bool) -> None:
    """List organizations."""
    found = run_on_database(lambda store: store.list_organizations())
    if as_json:
        click.echo(json.dumps([org_json(o) for o in found], indent=2))
        return
    if not found:
        click.echo("no organizations", err=True)
        return
    rows = [("ID", "NAME", "PLAN", "PRIVACY", "GITHUB ORG", "CREATED")]
    for o in found:
        github = "-" if o.github_org_id is None else str(o.github_org_id)
        privacy = "on" if o.privacy_mode else "off"
        rows.append((str(o.id), o.name, o.plan or "-", privacy, github, f"{o.created:%Y-%m-%d %H:%M}"))
    print_table(rows)


@orgs.command("set")
@click.argument("org_id", type=click.IntRange(min=1))
@click.option("--plan", default=None, help="The organization's plan ('none': back to the default).")
@click.option("--privacy/--no-privacy", default=None, help="Turn privacy mode on or off.")
def org_set(org_id: int, plan: str | None, privacy: bool | None) -> None:
    """Change an organization's plan or privacy mode."""
    clear = plan is not None and plan.strip().lower() in CLEAR
    org = run_on_database(
        lambda store: store.update_organization(
            org_id, plan=None if clear else plan, clear_plan=clear, privacy_mode=privacy
        )
    )
    privacy_word = "on" if org.privacy_mode else "off"
    click.echo(f"organization {org.id} ({org.name}): plan {org.plan or 'default'}, privacy mode {privacy_word}")
