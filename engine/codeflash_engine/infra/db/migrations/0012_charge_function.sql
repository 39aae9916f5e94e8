-- 0012: an LLM-backed request's charge in one round trip (issue 19: the guards' statements).
-- What the store asked in two statements (the planned LLM calls counted in the key's call
-- window, and the trace's admission, cfe_admit_trace) is one function call:
--   * the calls are counted first, whatever the answer (as the request-rate counter does);
--   * past the call limit (p_call_limit), the trace is not admitted: nothing is counted on the
--     quota and no trace row is left, so there is nothing to give back;
--   * within it, the trace is admitted exactly as cfe_admit_trace does.
-- Columns: hits and window_start of the call window, now_ms, then cfe_admit_trace's columns
-- (all NULL when the call limit refused). Column names in the statements are the tables' own
-- (#variable_conflict use_column): hits and window_start are also the output's names.
CREATE FUNCTION cfe_charge(p_calls_key text, p_window bigint, p_calls bigint, p_call_limit bigint,
                           p_user text, p_trace text, p_tenant text, p_limit integer, p_period text)
RETURNS TABLE (hits bigint, window_start bigint, now_ms bigint,
               first boolean, allowed boolean, used integer, lim integer, plan_type text,
               period text, start timestamptz, counted boolean, on_plan boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    t_now bigint := (extract(epoch FROM now()) * 1000)::bigint;
    c record;
BEGIN
    INSERT INTO rate_limit_counters AS rc (key_hash, window_start, hits, expires_ms)
    VALUES (p_calls_key, t_now - t_now % p_window, p_calls, t_now - t_now % p_window + p_window)
    ON CONFLICT (key_hash, window_start) DO UPDATE SET hits = rc.hits + EXCLUDED.hits
    RETURNING rc.hits, rc.window_start INTO c;
    IF c.hits > p_call_limit THEN
        RETURN QUERY SELECT c.hits, c.window_start, t_now, NULL::boolean, NULL::boolean, NULL::integer,
                            NULL::integer, NULL::text, NULL::text, NULL::timestamptz, NULL::boolean,
                            NULL::boolean;
        RETURN;
    END IF;
    RETURN QUERY SELECT c.hits, c.window_start, t_now, a.first, a.allowed, a.used, a.lim, a.plan_type,
                        a.period, a.start, a.counted, a.on_plan
                   FROM cfe_admit_trace(p_user, p_trace, p_tenant, p_limit, p_period) AS a;
END
$fn$;
