-- 0009: a trace's admission in one round trip (issue 19: the guards cost one statement each).
-- What the store used to do in a transaction of four round trips (BEGIN, the trace's row, the
-- count, COMMIT) runs here as one function call, with the same rules:
--   * the first request of a trace leaves a row in quota_traces; a later one finds it and is
--     admitted without counting (a concurrent first request waits on the row's unique index);
--   * the first request counts one optimization on the user's subscription when there is one,
--     else on the plan's counter of the tenant (p_tenant, when the plan has a quota: p_limit);
--   * a refused request leaves no row behind (deleted in the same transaction, so a concurrent
--     request of the same trace, waiting on the index, becomes first and is decided in turn).
-- Columns: first, allowed, used, lim, plan_type, period, start (of the period), counted, on_plan.
CREATE FUNCTION cfe_admit_trace(p_user text, p_trace text, p_tenant text, p_limit integer, p_period text)
RETURNS TABLE (first boolean, allowed boolean, used integer, lim integer, plan_type text,
               period text, start timestamptz, counted boolean, on_plan boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    sub record;
    new_used integer;
    plan_row record;
BEGIN
    IF p_trace IS NOT NULL THEN
        INSERT INTO quota_traces (user_id, trace_id) VALUES (p_user, p_trace)
        ON CONFLICT (user_id, trace_id) DO NOTHING;
        IF NOT FOUND THEN
            RETURN QUERY SELECT false, true, NULL::integer, NULL::integer, NULL::text, NULL::text,
                                NULL::timestamptz, false, false;
            RETURN;
        END IF;
    END IF;

    SELECT s.plan_type, s.optimizations_limit, s.period,
           date_trunc(s.period, now(), 'UTC') AS period_start,
           CASE WHEN s.period_start < date_trunc(s.period, now(), 'UTC') THEN 0
                ELSE s.optimizations_used END AS used_now
      INTO sub
      FROM subscriptions s
     WHERE s.user_id = p_user
       FOR UPDATE;

    IF FOUND THEN
        IF sub.optimizations_limit IS NULL OR sub.used_now < sub.optimizations_limit THEN
            UPDATE subscriptions s
               SET optimizations_used = sub.used_now + 1,
                   period_start = GREATEST(s.period_start, sub.period_start),
                   updated = now()
             WHERE s.user_id = p_user
            RETURNING s.optimizations_used INTO new_used;
            RETURN QUERY SELECT true, true, new_used, sub.optimizations_limit, sub.plan_type::text,
                                sub.period::text, sub.period_start, true, false;
            RETURN;
        END IF;
        IF p_trace IS NOT NULL THEN
            DELETE FROM quota_traces WHERE user_id = p_user AND trace_id = p_trace;
        END IF;
        RETURN QUERY SELECT true, false, sub.used_now, sub.optimizations_limit, sub.plan_type::text,
                            sub.period::text, sub.period_start, false, false;
        RETURN;
    END IF;

    IF p_limit IS NULL OR p_tenant IS NULL THEN  -- no subscription, no plan quota: unmetered
        RETURN QUERY SELECT true, true, NULL::integer, NULL::integer, NULL::text, NULL::text,
                            NULL::timestamptz, false, false;
        RETURN;
    END IF;

    INSERT INTO plan_quota_usage AS q (tenant, used, period_start)
    SELECT p_tenant, 1, date_trunc(p_period, now(), 'UTC') WHERE p_limit > 0
    ON CONFLICT (tenant) DO UPDATE
       SET used = CASE WHEN q.period_start < EXCLUDED.period_start THEN 0 ELSE q.used END + 1,
           period_start = GREATEST(q.period_start, EXCLUDED.period_start)
     WHERE CASE WHEN q.period_start < EXCLUDED.period_start THEN 0 ELSE q.used END < p_limit
    RETURNING q.used, q.period_start INTO plan_row;
    IF FOUND THEN
        RETURN QUERY SELECT true, true, plan_row.used, p_limit, NULL::text, p_period,
                            plan_row.period_start, true, true;
        RETURN;
    END IF;
    IF p_trace IS NOT NULL THEN
        DELETE FROM quota_traces WHERE user_id = p_user AND trace_id = p_trace;
    END IF;
    RETURN QUERY
        SELECT true, false,
               COALESCE((SELECT q.used FROM plan_quota_usage q
                          WHERE q.tenant = p_tenant
                            AND q.period_start >= date_trunc(p_period, now(), 'UTC')), 0)::integer,
               p_limit, NULL::text, p_period, date_trunc(p_period, now(), 'UTC'), false, true;
END
$fn$;
