-- 0002: what the engine records about its work: LLM calls, pipeline errors, per-trace features.

CREATE TABLE llm_calls (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trace_id      text,
    user_id       text,
    call_type     text NOT NULL,
    model_name    text NOT NULL,
    provider      text NOT NULL,
    tokens_in     integer NOT NULL DEFAULT 0,
    tokens_out    integer NOT NULL DEFAULT 0,
    tokens_cached integer NOT NULL DEFAULT 0,
    cost_usd      numeric(20, 10) NOT NULL DEFAULT 0,
    latency_ms    double precision NOT NULL DEFAULT 0,
    outcome       text NOT NULL,
    error_class   text,
    created       timestamptz NOT NULL DEFAULT now()
);
-- "every call of this trace", "spend of this user over a period", "spend over a period"
CREATE INDEX llm_calls_trace_id_idx ON llm_calls (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX llm_calls_user_created_idx ON llm_calls (user_id, created) WHERE user_id IS NOT NULL;
CREATE INDEX llm_calls_created_brin ON llm_calls USING brin (created);

CREATE TABLE optimization_errors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trace_id    text,
    error_type  text NOT NULL,
    severity    text NOT NULL DEFAULT 'error',
    message     text NOT NULL,
    stack_trace text,
    created     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX optimization_errors_trace_id_idx ON optimization_errors (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX optimization_errors_created_brin ON optimization_errors USING brin (created);

-- /ai/log_features: one row per trace, upserted (the CLI may send it again).
-- Known fields have their own columns; any other field of the request lands in extra.
CREATE TABLE optimization_features (
    trace_id                        text PRIMARY KEY,
    user_id                         text,
    original_code                   text,
    speedup_ratio                   jsonb,
    original_runtime                bigint,
    optimized_runtime               jsonb,
    is_correct                      jsonb,
    optimized_line_profiler_results jsonb,
    metadata                        jsonb,
    optimizations_post              jsonb,
    codeflash_version               text,
    extra                           jsonb NOT NULL DEFAULT '{}'::jsonb,
    created                         timestamptz NOT NULL DEFAULT now(),
    updated                         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX optimization_features_user_created_idx ON optimization_features (user_id, created)
    WHERE user_id IS NOT NULL;
