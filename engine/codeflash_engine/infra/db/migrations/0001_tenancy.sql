-- 0001: tenancy (users, organizations, API keys, subscriptions) and the shared rate-limit counters.
-- Applied once, in a transaction, by codeflash_engine.infra.db.migrate under an advisory lock.

CREATE TABLE organizations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    github_org_id bigint UNIQUE,
    privacy_mode  boolean NOT NULL DEFAULT false,
    created       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    user_id         text PRIMARY KEY,
    github_username text,
    email           text,
    created         timestamptz NOT NULL DEFAULT now()
);

-- Keys are stored only as the SHA-384 hex digest of the key, plus a few trailing characters
-- for display. The digest is the lookup path of every authenticated request (unique index).
CREATE TABLE cf_api_keys (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash        text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{96}$'),
    suffix          text NOT NULL,
    user_id         text NOT NULL REFERENCES users (user_id),
    tier            text NOT NULL DEFAULT 'free',
    organization_id bigint REFERENCES organizations (id),
    created         timestamptz NOT NULL DEFAULT now(),
    revoked         timestamptz
);
CREATE INDEX cf_api_keys_user_id_idx ON cf_api_keys (user_id);
CREATE INDEX cf_api_keys_organization_id_idx ON cf_api_keys (organization_id) WHERE organization_id IS NOT NULL;

-- One subscription per user. optimizations_limit NULL means unmetered. The counter belongs to
-- the calendar period (UTC) that starts at period_start; the first optimization of a later
-- period starts the count again.
CREATE TABLE subscriptions (
    user_id             text PRIMARY KEY REFERENCES users (user_id),
    plan_type           text NOT NULL DEFAULT 'free',
    optimizations_used  integer NOT NULL DEFAULT 0 CHECK (optimizations_used >= 0),
    optimizations_limit integer CHECK (optimizations_limit >= 0),
    period              text NOT NULL DEFAULT 'month' CHECK (period IN ('day', 'week', 'month')),
    period_start        timestamptz NOT NULL DEFAULT date_trunc('month', now(), 'UTC'),
    created             timestamptz NOT NULL DEFAULT now(),
    updated             timestamptz NOT NULL DEFAULT now()
);

-- Fixed-window request counters shared by every replica: one row per (key, window), bumped by a
-- single INSERT ... ON CONFLICT DO UPDATE ... RETURNING (which also takes several keys at once).
-- UNLOGGED: the counters are worthless after a crash and skipping the WAL keeps the hot path
-- cheap. expires_ms lets a periodic DELETE drop finished windows.
CREATE UNLOGGED TABLE rate_limit_counters (
    key_hash     text NOT NULL,
    window_start bigint NOT NULL,
    hits         bigint NOT NULL,
    expires_ms   bigint NOT NULL,
    PRIMARY KEY (key_hash, window_start)
);
CREATE INDEX rate_limit_counters_expires_idx ON rate_limit_counters (expires_ms);
