-- 0010: the engine's own verified wins (issue 22): an optimization the client reported correct and
-- at least 10% faster, kept per tenant ('org:<id>', or 'user:<id>' without an organization) to be
-- shown as an example in that tenant's later optimize prompts. Found by full-text search over the
-- code's identifiers (split into words by the engine) and the explanation.
CREATE TABLE verified_wins (
    id              bigserial PRIMARY KEY,
    tenant          text NOT NULL,
    trace_id        text NOT NULL,
    optimization_id text NOT NULL,
    original        text NOT NULL,
    optimized       text NOT NULL,
    speedup         double precision NOT NULL,
    explanation     text NOT NULL DEFAULT '',
    terms           text NOT NULL DEFAULT '',
    search          tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms || ' ' || explanation)) STORED,
    created         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, trace_id)
);
CREATE INDEX verified_wins_search ON verified_wins USING GIN (search);
CREATE INDEX verified_wins_tenant ON verified_wins (tenant, created DESC);
