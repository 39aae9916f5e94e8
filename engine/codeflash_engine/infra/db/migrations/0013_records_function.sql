-- 0013: the recorder's batch in one statement (issue 19: every round trip to the database costs
-- the engine a send and a wake-up). A batch used to be a transaction of BEGIN, COPY into
-- llm_calls, COPY into optimization_errors, the features upserts, COMMIT. It is now one
-- statement: the calls and the errors inserted from arrays (unnest), the features upserted by
-- cfe_upsert_features, one by one in the order recorded, so two records of one trace merge as
-- two /ai/log_features requests would. One statement is one transaction: all or nothing.
--
-- cfe_upsert_features is also what /ai/log_features runs (arrays of one): one upsert, one place.
-- Idempotent by trace id: a field sent again replaces the stored one, a field left out keeps it,
-- unknown fields are merged into extra. A trace owned by another user is left alone. Returns how
-- many rows were written (a trace of another user is not).
CREATE FUNCTION cfe_upsert_features(p_trace text[], p_user text[], p_code text[], p_speedup text[],
                                    p_original_runtime bigint[], p_optimized_runtime text[],
                                    p_correct text[], p_profile text[], p_metadata text[],
                                    p_post text[], p_version text[], p_extra text[])
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    written integer := 0;
BEGIN
    FOR i IN 1 .. COALESCE(array_length(p_trace, 1), 0) LOOP
        INSERT INTO optimization_features AS f
               (trace_id, user_id, original_code, speedup_ratio, original_runtime, optimized_runtime,
                is_correct, optimized_line_profiler_results, metadata, optimizations_post,
                codeflash_version, extra)
        VALUES (p_trace[i], p_user[i], p_code[i], p_speedup[i]::jsonb, p_original_runtime[i],
                p_optimized_runtime[i]::jsonb, p_correct[i]::jsonb, p_profile[i]::jsonb,
                p_metadata[i]::jsonb, p_post[i]::jsonb, p_version[i], p_extra[i]::jsonb)
        ON CONFLICT (trace_id) DO UPDATE
           SET user_id = COALESCE(f.user_id, EXCLUDED.user_id),
               original_code = COALESCE(EXCLUDED.original_code, f.original_code),
               speedup_ratio = COALESCE(EXCLUDED.speedup_ratio, f.speedup_ratio),
               original_runtime = COALESCE(EXCLUDED.original_runtime, f.original_runtime),
               optimized_runtime = COALESCE(EXCLUDED.optimized_runtime, f.optimized_runtime),
               is_correct = COALESCE(EXCLUDED.is_correct, f.is_correct),
               optimized_line_profiler_results = COALESCE(EXCLUDED.optimized_line_profiler_results,
                                                          f.optimized_line_profiler_results),
               metadata = COALESCE(EXCLUDED.metadata, f.metadata),
               optimizations_post = COALESCE(EXCLUDED.optimizations_post, f.optimizations_post),
               codeflash_version = COALESCE(EXCLUDED.codeflash_version, f.codeflash_version),
               extra = f.extra || EXCLUDED.extra,
               updated = now()
         WHERE f.user_id IS NULL OR f.user_id = EXCLUDED.user_id;
        IF FOUND THEN
            written := written + 1;
        END IF;
    END LOOP;
    RETURN written;
END
$fn$;
