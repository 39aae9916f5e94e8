"""Every SQL statement the engine runs (besides the migration files), with bound parameters only.

Times come from the database's clock (``now()``, the statement's transaction start), so every
replica agrees on rate-limit windows and quota periods whatever its own clock says.
"""

from __future__ import annotations

# --- migrations -----------------------------------------------------------------------------

MIGRATION_LOCK = "SELECT pg_advisory_lock($1)"
MIGRATION_UNLOCK = "SELECT pg_advisory_unlock($1)"

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version  integer PRIMARY KEY,
    name     text NOT NULL,
    checksum char(64) NOT NULL,
    applied  timestamptz NOT NULL DEFAULT now()
)
"""

APPLIED_MIGRATIONS = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"

RECORD_MIGRATION = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"

# --- users, organizations, keys -------------------------------------------------------------

UPSERT_USER = """
INSERT INTO users (user_id, github_username, email) VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE
   SET github_username = COALESCE(EXCLUDED.github_username, users.github_username),
       email = COALESCE(EXCLUDED.email, users.email)
"""

# DO UPDATE (not DO NOTHING) so that RETURNING gives the id whether the row is new or not.
UPSERT_ORGANIZATION = """
INSERT INTO organizations (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id
"""

INSERT_KEY = """
INSERT INTO cf_api_keys (key_hash, suffix, user_id, tier, organization_id, expires, plan)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, created
"""

ORGANIZATION_NAME = "SELECT name FROM organizations WHERE id = $1"

_KEY_COLUMNS = """
k.id, k.key_hash, k.suffix, k.user_id, k.tier, k.organization_id, o.name AS organization, k.created, k.revoked,
k.expires, k.plan, k.last_used
"""

#: a key that can be used now: neither revoked nor expired
_USABLE = "k.revoked IS NULL AND (k.expires IS NULL OR k.expires > now())"

LOOKUP_KEY = f"""
SELECT {_KEY_COLUMNS}
  FROM cf_api_keys k LEFT JOIN organizations o ON o.id = k.organization_id
 WHERE k.key_hash = $1
"""

LIST_KEYS = f"""
SELECT {_KEY_COLUMNS}
  FROM cf_api_keys k LEFT JOIN organizations o ON o.id = k.organization_id
 WHERE ($1::text IS NULL OR k.user_id = $1::text)
   AND ($2::boolean OR ({_USABLE}))
 ORDER BY k.id
"""

# When keys $1 last opened a request (written off the hot path, at most once a minute per key:
# see key_use.py). A key row held by another statement is skipped, so this never waits on one.
TOUCH_KEYS = """
UPDATE cf_api_keys SET last_used = now()
 WHERE id IN (SELECT id FROM cf_api_keys
               WHERE id = ANY($1::bigint[]) AND (last_used IS NULL OR last_used < now() - interval '1 minute')
               ORDER BY id FOR UPDATE SKIP LOCKED)
"""

#: a key's expiry moved to $2 (rotation's grace period); revoked keys are left alone
EXPIRE_KEY = """
UPDATE cf_api_keys SET expires = $2
 WHERE id = $1 AND revoked IS NULL
RETURNING id
"""

REVOKE_KEY = """
UPDATE cf_api_keys SET revoked = now()
 WHERE (id = $1::bigint OR key_hash = $2::text) AND revoked IS NULL
RETURNING id
"""

# --- rate limits ----------------------------------------------------------------------------
# $1 key digest(s), $2 window length (ms), $3 limit. Windows are aligned on the epoch. Counters
# keep counting past the limit (bigint: they cannot overflow), so that the position of every
# request in its window is known, also when several requests are counted by one statement.

HIT = """
WITH t AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms)
INSERT INTO rate_limit_counters AS c (key_hash, window_start, hits, expires_ms)
SELECT $1::text, t.now_ms - t.now_ms % $2::bigint, 1, t.now_ms - t.now_ms % $2::bigint + $2::bigint FROM t
ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = c.hits + 1
RETURNING c.hits, c.window_start, (extract(epoch FROM now()) * 1000)::bigint AS now_ms
"""

# The LLM calls a request will make, counted in the key's call window ($1: the key's digest with
# ':llm' appended, $2 window length, $3 the number of calls). Not retried: it may have counted.
HIT_CALLS = """
WITH t AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms)
INSERT INTO rate_limit_counters AS c (key_hash, window_start, hits, expires_ms)
SELECT $1::text, t.now_ms - t.now_ms % $2::bigint, $3::bigint, t.now_ms - t.now_ms % $2::bigint + $2::bigint FROM t
ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = c.hits + EXCLUDED.hits
RETURNING c.hits, c.window_start, (extract(epoch FROM now()) * 1000)::bigint AS now_ms
"""

# The guards' hot path, for a batch of requests (the digests in $1, repeated once per request):
# look the keys up, resolve each one's plan (the key's, else the plan its tier names, else its
# user's, else the plan its subscription's plan_type names, else its organization's, else
# 'default': data seeded from the reference service keeps its meaning) and, when $3 is true,
# count the requests of the active ones in their plan's window ($2: the window of plans without
# one), in one round trip. One row per known key: n its
# requests in the batch, hits its counter after them (NULL: revoked, expired or not counted), the
# plan's columns. Keys missing from the result are unknown. Counter rows are locked in digest
# order, so concurrent batches (other replicas included) cannot deadlock.
ADMIT_MANY = f"""
WITH req AS (
    SELECT r.key_hash, count(*) AS n FROM unnest($1::text[]) AS r(key_hash) GROUP BY r.key_hash
), k AS (
    SELECT {_KEY_COLUMNS}, req.n, COALESCE(k.plan, tp.name) AS key_plan, COALESCE(u.plan, sp.name) AS user_plan,
           o.plan AS org_plan, COALESCE(o.privacy_mode, false) AS privacy_mode,
           COALESCE(k.plan, tp.name, u.plan, sp.name, o.plan, 'default') AS plan_name
      FROM req
      JOIN cf_api_keys k ON k.key_hash = req.key_hash
      JOIN users u ON u.user_id = k.user_id
      LEFT JOIN organizations o ON o.id = k.organization_id
      LEFT JOIN plans tp ON tp.name = k.tier
      LEFT JOIN subscriptions s ON s.user_id = k.user_id
      LEFT JOIN plans sp ON sp.name = s.plan_type
), kp AS (
    SELECT k.*, p.rate_limit_max, p.rate_limit_window_ms, p.optimizations_limit, p.budget_usd::float8 AS budget_usd,
           COALESCE(p.period, 'month') AS plan_period, p.models, COALESCE(p.rate_limit_window_ms, $2::bigint) AS win
      FROM k LEFT JOIN plans p ON p.name = k.plan_name
), t AS (
    SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms
), h AS (
    INSERT INTO rate_limit_counters AS c (key_hash, window_start, hits, expires_ms)
    SELECT k.key_hash, t.now_ms - t.now_ms % k.win, k.n, t.now_ms - t.now_ms % k.win + k.win
      FROM kp k, t
     WHERE $3::boolean AND {_USABLE}
     ORDER BY k.key_hash
    ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = c.hits + EXCLUDED.hits
    RETURNING c.key_hash, c.hits, c.window_start
)
SELECT k.*, h.hits, h.window_start, t.now_ms FROM kp k CROSS JOIN t LEFT JOIN h ON h.key_hash = k.key_hash
"""

# Requests counted so far in the current window of key $1 ($2: window length), without counting one.
PEEK_HITS = """
WITH t AS (SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms)
SELECT COALESCE((SELECT c.hits FROM rate_limit_counters c
                  WHERE c.key_hash = $1 AND c.window_start = t.now_ms - t.now_ms % $2::bigint), 0) AS hits,
       t.now_ms - t.now_ms % $2::bigint AS window_start, t.now_ms
  FROM t
"""

# --- plans and organizations ------------------------------------------------------------------

_PLAN_COLUMNS = (
    "name, rate_limit_max, rate_limit_window_ms, optimizations_limit, budget_usd::float8 AS budget_usd, period, models"
)

SET_PLAN = f"""
INSERT INTO plans AS p (name, rate_limit_max, rate_limit_window_ms, optimizations_limit, budget_usd, period, models)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (name) DO UPDATE
   SET rate_limit_max = EXCLUDED.rate_limit_max,
       rate_limit_window_ms = EXCLUDED.rate_limit_window_ms,
       optimizations_limit = EXCLUDED.optimizations_limit,
       budget_usd = EXCLUDED.budget_usd,
       period = EXCLUDED.period,
       models = EXCLUDED.models,
       updated = now()
RETURNING {_PLAN_COLUMNS}
"""

GET_PLAN = f"SELECT {_PLAN_COLUMNS} FROM plans WHERE name = $1"
LIST_PLANS = f"SELECT {_PLAN_COLUMNS} FROM plans ORDER BY name"

_ORG_COLUMNS = "id, name, plan, privacy_mode, github_org_id, created"

CREATE_ORGANIZATION = f"""
INSERT INTO organizations (name, plan, privacy_mode, github_org_id) VALUES ($1, $2, $3, $4)
RETURNING {_ORG_COLUMNS}
"""

# $2 NULL: plan unchanged; $3 true: plan cleared; $4 NULL: privacy unchanged
UPDATE_ORGANIZATION = f"""
UPDATE organizations
   SET plan = CASE WHEN $3::boolean THEN NULL ELSE COALESCE($2::text, plan) END,
       privacy_mode = COALESCE($4::boolean, privacy_mode)
 WHERE id = $1
RETURNING {_ORG_COLUMNS}
"""

LIST_ORGANIZATIONS = f"SELECT {_ORG_COLUMNS} FROM organizations ORDER BY id"
GET_ORGANIZATION = f"SELECT {_ORG_COLUMNS} FROM organizations WHERE id = $1"

SET_USER_PLAN = "UPDATE users SET plan = $2 WHERE user_id = $1 RETURNING user_id"

# (A plan's quota is counted in cfe_admit_trace, migration 0009.)
# The count of tenant $1 in the current period $2 (0 when it belongs to a finished one).
PLAN_QUOTA_USED = """
SELECT COALESCE((SELECT q.used FROM plan_quota_usage q
                  WHERE q.tenant = $1 AND q.period_start >= date_trunc($2::text, now(), 'UTC')), 0) AS used,
       date_trunc($2::text, now(), 'UTC') AS start
"""

RELEASE_PLAN_QUOTA = """
UPDATE plan_quota_usage SET used = GREATEST(used - 1, 0)
 WHERE tenant = $1 AND period_start >= date_trunc($2::text, now(), 'UTC')
"""

# Spend (USD) since $2 of user $1 / of organization $1 (each on its own index).
SPEND_OF_USER = "SELECT COALESCE(sum(cost_usd), 0)::float8 FROM llm_calls WHERE user_id = $1 AND created >= $2"
SPEND_OF_ORGANIZATION = (
    "SELECT COALESCE(sum(cost_usd), 0)::float8 FROM llm_calls WHERE organization_id = $1 AND created >= $2"
)

PRUNE_RATE_LIMITS = """
DELETE FROM rate_limit_counters WHERE expires_ms <= (extract(epoch FROM now()) * 1000)::bigint
"""

# Traces admitted more than a week ago: a CLI's trace lasts minutes, so a request of such a trace
# is a new optimization anyway (the in-memory store keeps the last MAX_TRACES instead).
PRUNE_QUOTA_TRACES = "DELETE FROM quota_traces WHERE created < now() - interval '7 days'"

# --- subscriptions and quota ----------------------------------------------------------------

_SUBSCRIPTION_COLUMNS = "user_id, plan_type, optimizations_used, optimizations_limit, period, period_start"

SET_SUBSCRIPTION = f"""
INSERT INTO subscriptions AS s
       (user_id, plan_type, optimizations_limit, period, optimizations_used, period_start)
VALUES ($1, $2, $3, $4::text, COALESCE($5::integer, 0), COALESCE($6::timestamptz, date_trunc($4::text, now(), 'UTC')))
ON CONFLICT (user_id) DO UPDATE
   SET plan_type = EXCLUDED.plan_type,
       optimizations_limit = EXCLUDED.optimizations_limit,
       period = EXCLUDED.period,
       optimizations_used = COALESCE($5::integer, s.optimizations_used),
       period_start = COALESCE($6::timestamptz, s.period_start),
       updated = now()
RETURNING {_SUBSCRIPTION_COLUMNS}
"""

GET_SUBSCRIPTION = f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE user_id = $1"

# Count one optimization if the limit allows; a count from a finished period starts again at 0.
# The UPDATE's WHERE is re-checked on the locked row, so concurrent requests never overshoot.
# No row: no subscription. new_used NULL: quota exhausted.
CONSUME_OPTIMIZATION = """
WITH cur AS (
    SELECT s.plan_type, s.optimizations_limit, s.period,
           date_trunc(s.period, now(), 'UTC') AS start,
           CASE WHEN s.period_start < date_trunc(s.period, now(), 'UTC') THEN 0
                ELSE s.optimizations_used END AS used
      FROM subscriptions s
     WHERE s.user_id = $1
), upd AS (
    UPDATE subscriptions s
       SET optimizations_used = CASE WHEN s.period_start < date_trunc(s.period, now(), 'UTC') THEN 0
                                     ELSE s.optimizations_used END + 1,
           period_start = GREATEST(s.period_start, date_trunc(s.period, now(), 'UTC')),
           updated = now()
     WHERE s.user_id = $1
       AND (s.optimizations_limit IS NULL
            OR CASE WHEN s.period_start < date_trunc(s.period, now(), 'UTC') THEN 0
                    ELSE s.optimizations_used END < s.optimizations_limit)
    RETURNING s.optimizations_used
)
SELECT cur.plan_type, cur.optimizations_limit, cur.period, cur.start, cur.used, upd.optimizations_used AS new_used
  FROM cur LEFT JOIN upd ON true
"""

RELEASE_OPTIMIZATION = """
UPDATE subscriptions
   SET optimizations_used = GREATEST(optimizations_used - 1, 0), updated = now()
 WHERE user_id = $1 AND period_start >= date_trunc(period, now(), 'UTC')
"""

# The first LLM-backed request of a trace leaves a row; true only for that first one. Run in the
# same transaction as CONSUME_OPTIMIZATION, so a refused trace leaves no row (see quota_traces).
# A trace's admission in one round trip: user $1, trace $2 (NULL: no trace id), and the plan's
# counter when the plan has a quota and the user no subscription: tenant $3, limit $4, period $5.
ADMIT_TRACE = "SELECT * FROM cfe_admit_trace($1, $2, $3, $4, $5)"

# An LLM-backed request's charge (migration 0012): $1 the key's digest with ':llm' appended, $2 the
# call window, $3 the planned calls, $4 the call limit, then cfe_admit_trace's five arguments.
CHARGE = "SELECT * FROM cfe_charge($1, $2, $3, $4, $5, $6, $7, $8, $9)"

FORGET_TRACE = "DELETE FROM quota_traces WHERE user_id = $1 AND trace_id = $2 RETURNING true"

# --- records and features -------------------------------------------------------------------
# The columns of a record, as the recorder writes them and the readers read them back.

LLM_CALL_COLUMNS = (
    "trace_id",
    "user_id",
    "organization_id",
    "call_type",
    "model_name",
    "provider",
    "tokens_in",
    "tokens_out",
    "tokens_cached",
    "tokens_cache_write",
    "cost_usd",
    "latency_ms",
    "outcome",
    "error_class",
    "created",
    "attempts",
    "request_id",
)
#: PostgreSQL types of LLM_CALL_COLUMNS, in order (WRITE_RECORDS' arrays)
LLM_CALL_TYPES = (
    "text", "text", "bigint", "text", "text", "text", "integer", "integer", "integer", "integer",
    "numeric", "float8", "text", "text", "timestamptz", "integer", "text",
)  # fmt: skip
ERROR_COLUMNS = ("trace_id", "error_type", "severity", "message", "stack_trace", "created")
#: PostgreSQL types of ERROR_COLUMNS, in order
ERROR_TYPES = ("text", "text", "text", "text", "text", "timestamptz")

CALLS_FOR_TRACE = f"SELECT {', '.join(LLM_CALL_COLUMNS)} FROM llm_calls WHERE trace_id = $1 ORDER BY created, id"
ERRORS_FOR_TRACE = (
    f"SELECT {', '.join(ERROR_COLUMNS)} FROM optimization_errors WHERE trace_id = $1 ORDER BY created, id"
)

#: cfe_upsert_features' arguments (migration 0013), one array per column of optimization_features
FEATURE_TYPES = ("text", "text", "text", "text", "bigint", "text", "text", "text", "text", "text", "text", "text")


def _arrays(first: int, types: tuple[str, ...]) -> str:
    return ", ".join(f"${first + i}::{t}[]" for i, t in enumerate(types))


_CALLS_AT = 1
_ERRORS_AT = _CALLS_AT + len(LLM_CALL_TYPES)
_FEATURES_AT = _ERRORS_AT + len(ERROR_TYPES)

# A batch of records in one statement (one transaction): the calls and the errors from one array
# per column (in LLM_CALL_COLUMNS then ERROR_COLUMNS order), then the features upserted one by one
# in the order recorded (cfe_upsert_features' twelve arrays).
WRITE_RECORDS = f"""
WITH calls AS (
    INSERT INTO llm_calls ({", ".join(LLM_CALL_COLUMNS)})
    SELECT * FROM unnest({_arrays(_CALLS_AT, LLM_CALL_TYPES)})
), errors AS (
    INSERT INTO optimization_errors ({", ".join(ERROR_COLUMNS)})
    SELECT * FROM unnest({_arrays(_ERRORS_AT, ERROR_TYPES)})
)
SELECT cfe_upsert_features({_arrays(_FEATURES_AT, FEATURE_TYPES)}) AS written
"""

# One /ai/log_features upsert (see migration 0013 for the rules); $1..$12 as cfe_upsert_features'
# arrays, one element each. Returns how many rows were written (0: a trace of another user).
UPSERT_FEATURES = (
    "SELECT cfe_upsert_features("
    + ", ".join(f"ARRAY[${i + 1}::{t}]" for i, t in enumerate(FEATURE_TYPES))
    + ") AS written"
)

GET_FEATURES = """
SELECT trace_id, user_id, original_code, speedup_ratio, original_runtime, optimized_runtime, is_correct,
       optimized_line_profiler_results, metadata, optimizations_post, codeflash_version, extra, created, updated
  FROM optimization_features
 WHERE trace_id = $1
"""

PING = "SELECT 1"


# --- usage reports -----------------------------------------------------------------------------

#: what a usage report can group LLM calls by, and the SQL expression of each group
USAGE_GROUPS = {
    "user": "COALESCE(user_id, '-')",
    "model": "provider || ':' || model_name",
    "day": "to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    "call-type": "call_type",
    "org": "COALESCE((SELECT o.name FROM organizations o WHERE o.id = organization_id), '-')",
    # one row: every call of the period; its requests are counted once each (a request's calls may
    # go to several models, call types or days, so the rows of the other groups do not add up to it)
    "total": "'TOTAL'::text",
}


def usage_report(group: str) -> str:
    """LLM calls between $1 and $2 (optionally of user $3) summed per ``group`` (a key of USAGE_GROUPS)."""
    expression = USAGE_GROUPS[group]
    return f"""
SELECT {expression} AS grp,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome <> 'ok') AS failed,
       COALESCE(sum(tokens_in), 0) AS tokens_in,
       COALESCE(sum(tokens_out), 0) AS tokens_out,
       COALESCE(sum(tokens_cached), 0) AS tokens_cached,
       COALESCE(sum(cost_usd), 0) AS cost_usd,
       count(DISTINCT request_id) + count(*) FILTER (WHERE request_id IS NULL) AS requests
  FROM llm_calls
 WHERE created >= $1 AND created < $2 AND ($3::text IS NULL OR user_id = $3)
 GROUP BY grp
 ORDER BY grp
"""


# Traces with LLM calls since $1, newest first: trace ids starting with $2 (NULL: any), of user $3
# (NULL: any user), at most $4.
TRACE_SUMMARIES = """
SELECT trace_id, min(user_id) AS user_id, count(*) AS calls, count(*) FILTER (WHERE outcome <> 'ok') AS failed,
       COALESCE(sum(cost_usd), 0)::float8 AS cost_usd, min(created) AS first, max(created) AS last
  FROM llm_calls
 WHERE trace_id IS NOT NULL AND created >= $1
   AND ($2::text IS NULL OR starts_with(trace_id, $2::text))
   AND ($3::text IS NULL OR user_id = $3::text)
 GROUP BY trace_id
 ORDER BY max(created) DESC, trace_id
 LIMIT $4
"""


# --- verified wins (issue 22) -------------------------------------------------------------------

# One win per trace and tenant: a later report for the trace replaces it.
ADD_VERIFIED_WIN = """
INSERT INTO verified_wins AS w (tenant, trace_id, optimization_id, original, optimized, speedup, explanation, terms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (tenant, trace_id) DO UPDATE
   SET optimization_id = EXCLUDED.optimization_id, original = EXCLUDED.original, optimized = EXCLUDED.optimized,
       speedup = EXCLUDED.speedup, explanation = EXCLUDED.explanation, terms = EXCLUDED.terms
"""

# Whether tenant $1 has any verified win (the store trusts a "no" for a few seconds).
ANY_VERIFIED_WIN = "SELECT EXISTS (SELECT 1 FROM verified_wins WHERE tenant = $1)"

# $2: the query words joined with ' | ' (words are [a-z0-9_] only: nothing to escape)
SIMILAR_VERIFIED_WINS = """
SELECT tenant, trace_id, optimization_id, original, optimized, speedup, explanation, terms
  FROM verified_wins
 WHERE tenant = $1 AND search @@ to_tsquery('simple', $2)
 ORDER BY ts_rank(search, to_tsquery('simple', $2)) DESC, speedup DESC, id
 LIMIT $3
"""
