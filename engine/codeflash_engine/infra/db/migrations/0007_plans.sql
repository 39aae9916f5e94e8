-- 0007: plans, organizations that hold a plan, budgets and quotas shared by a tenant (issue 17).

-- What an operator sells. NULL rate-limit fields: the environment's RATE_LIMIT_MAX per
-- RATE_LIMIT_WINDOW_MS; NULL optimizations_limit / budget_usd: unlimited. models: a model mix
-- (provider:model=weight,...) used instead of the engine's default mix (NULL: the default).
CREATE TABLE plans (
    name                 text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    rate_limit_max       integer CHECK (rate_limit_max >= 1),
    rate_limit_window_ms bigint CHECK (rate_limit_window_ms >= 1),
    optimizations_limit  integer CHECK (optimizations_limit >= 0),
    budget_usd           numeric(20, 10) CHECK (budget_usd >= 0),
    period               text NOT NULL DEFAULT 'month' CHECK (period IN ('day', 'week', 'month')),
    models               text,
    created              timestamptz NOT NULL DEFAULT now(),
    updated              timestamptz NOT NULL DEFAULT now()
);
-- always there: the environment's rate limit, unlimited otherwise
INSERT INTO plans (name) VALUES ('default');

-- A request's plan: its key's, else its user's, else its organization's, else 'default'.
ALTER TABLE cf_api_keys ADD COLUMN plan text REFERENCES plans (name);
ALTER TABLE users ADD COLUMN plan text REFERENCES plans (name);
ALTER TABLE organizations ADD COLUMN plan text REFERENCES plans (name);

-- The optimizations counted against a plan's quota, per tenant ('user:<id>', or 'org:<id>' when the
-- plan comes from the organization: its users share one count). A count from a finished period
-- starts again at 0. Users with a subscription row keep counting there instead.
CREATE TABLE plan_quota_usage (
    tenant       text PRIMARY KEY,
    used         integer NOT NULL CHECK (used >= 0),
    period_start timestamptz NOT NULL
);

-- An organization's spend is the spend of the requests made with its keys.
ALTER TABLE llm_calls ADD COLUMN organization_id bigint;
CREATE INDEX llm_calls_org_created_idx ON llm_calls (organization_id, created) WHERE organization_id IS NOT NULL;
