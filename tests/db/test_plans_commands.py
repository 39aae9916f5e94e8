"""`plans`, `orgs`, `keys create --org --plan` and `usage --by org` through click's CliRunner, on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from db_support import fetch, run_cli, run_sync

from codeflash_engine.cli import main
from codeflash_engine.infra.db.postgres import PostgresStore
from codeflash_engine.infra.plan_options import parse_rate_limit
from codeflash_engine.infra.records import LLMCallRecord


def test_rate_limits_parse() -> None:
    assert parse_rate_limit("40/60s") == (40, 60_000)
    assert parse_rate_limit("600/1h") == (600, 3_600_000)
    assert parse_rate_limit("5/500ms") == (5, 500)
    assert parse_rate_limit("10/30") == (10, 30_000)
    assert parse_rate_limit("default") == (None, None)


def test_plans_set_creates_then_changes_only_what_is_given(emptied_db: str) -> None:
    listed = run_cli(["plans", "list", "--json"], emptied_db)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [
        {
            "name": "default",
            "rate_limit_max": None,
            "rate_limit_window_ms": None,
            "quota": None,
            "budget_usd": None,
            "period": "month",
            "models": None,
        }
    ]
    made = run_cli(
        ["plans", "set", "pro", "--rate-limit", "120/60s", "--quota", "500", "--budget", "25", "--period", "week"],
        emptied_db,
    )
    assert made.exit_code == 0, made.output
    assert "rate limit 120/1m, quota 500 and budget $25 per week" in made.output
    changed = run_cli(["plans", "set", "pro", "--models", "openai:gpt-4.1=2,anthropic:claude-sonnet-4-5=1"], emptied_db)
    assert changed.exit_code == 0, changed.output
    pro = json.loads(run_cli(["plans", "list", "--json"], emptied_db).output)[1]
    assert pro == {
        "name": "pro",
        "rate_limit_max": 120,
        "rate_limit_window_ms": 60_000,
        "quota": 500,
        "budget_usd": 25.0,
        "period": "week",
        "models": "openai:gpt-4.1=2,anthropic:claude-sonnet-4-5=1",
    }
    cleared = run_cli(["plans", "set", "pro", "--quota", "none", "--budget", "unlimited"], emptied_db)
    assert cleared.exit_code == 0, cleared.output
    table = run_cli(["plans", "list"], emptied_db)
    assert "NAME" in table.output and "120/1m" in table.output and "env" in table.output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--rate-limit", "forty"], "--rate-limit"),
        (["--rate-limit", "0/60s"], "--rate-limit"),
        (["--quota", "-3"], "--quota"),
        (["--budget", "lots"], "--budget"),
        (["--period", "year"], "--period"),
        (["--models", "nope:gpt=1"], "--models"),
    ],
)
def test_bad_plan_options_name_the_option(emptied_db: str, args: list[str], field: str) -> None:
    result = run_cli(["plans", "set", "p", *args], emptied_db)
    assert result.exit_code == 2 and field in result.output


def test_a_bad_plan_name_is_refused(emptied_db: str) -> None:
    result = run_cli(["plans", "set", "no spaces"], emptied_db)
    assert result.exit_code == 1 and "plan name" in result.output


def test_orgs_and_keys_with_org_and_plan(emptied_db: str) -> None:
    assert run_cli(["plans", "set", "team", "--quota", "10"], emptied_db).exit_code == 0
    created = CliRunner().invoke(
        main, ["orgs", "create", "acme", "--plan", "team", "--github-org-id", "77"], env={"DATABASE_URL": emptied_db}
    )
    assert created.exit_code == 0, created.output
    org_id = int(created.stdout.strip())
    assert run_cli(["orgs", "create", "acme"], emptied_db).exit_code == 1  # the name is taken
    assert "no plan is named 'gold'" in run_cli(["orgs", "create", "x", "--plan", "gold"], emptied_db).output
    key = CliRunner().invoke(
        main,
        ["keys", "create", "--user", "alice", "--org", str(org_id), "--plan", "team"],
        env={"DATABASE_URL": emptied_db},
    )
    assert key.exit_code == 0, key.output
    assert "organization acme, plan team" in key.stderr
    assert "no organization has id 999" in run_cli(["keys", "create", "--user", "a", "--org", "999"], emptied_db).output
    assert "no plan is named 'x'" in run_cli(["keys", "create", "--user", "a", "--plan", "x"], emptied_db).output
    keys = json.loads(run_cli(["keys", "list", "--json"], emptied_db).output)
    assert [(k["organization"], k["plan"]) for k in keys] == [("acme", "team")]
    changed = run_cli(["orgs", "set", str(org_id), "--privacy", "--plan", "none"], emptied_db)
    assert changed.exit_code == 0, changed.output
    assert "plan default, privacy mode on" in changed.output
    listed = json.loads(run_cli(["orgs", "list", "--json"], emptied_db).output)
    assert listed[0]["name"] == "acme" and listed[0]["privacy_mode"] is True and listed[0]["github_org_id"] == 77
    assert run_cli(["orgs", "set", "999", "--privacy"], emptied_db).exit_code == 1


def test_usage_by_org(emptied_db: str) -> None:
    async def fill() -> None:
        async with PostgresStore(emptied_db, pool_min=1, pool_max=1, prune_interval=0) as store:
            org = await store.create_organization("acme")
            await store.write_records(
                [
                    LLMCallRecord(
                        "t", "optimize", "gpt-4.1", "openai", cost_usd=0.5, user_id="a", organization_id=org.id
                    ),
                    LLMCallRecord(
                        "t", "optimize", "gpt-4.1", "openai", cost_usd=0.25, user_id="b", organization_id=org.id
                    ),
                    LLMCallRecord("t", "optimize", "gpt-4.1", "openai", cost_usd=1.0, user_id="c"),
                ]
            )

    run_sync(fill)
    result = run_cli(["usage", "--by", "org", "--json"], emptied_db)
    assert result.exit_code == 0, result.output
    rows = {r["group"]: (r["calls"], r["cost_usd"]) for r in json.loads(result.output)["rows"]}
    assert rows == {"acme": (2, 0.75), "-": (1, 1.0)}
    assert len(run_sync(lambda: fetch(emptied_db, "SELECT id FROM llm_calls WHERE organization_id IS NOT NULL"))) == 2
