-- 0004: quotas count function optimizations, one per trace id (issue 16).
-- The first LLM-backed request of a trace counts one optimization and leaves a row here; later
-- requests of the same trace (any endpoint) find the row and are not counted again. A request
-- that counted and then failed gives the optimization back and deletes its row.
CREATE TABLE quota_traces (
    user_id  text NOT NULL,
    trace_id text NOT NULL,
    created  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, trace_id)
);
CREATE INDEX quota_traces_created_idx ON quota_traces (created);
