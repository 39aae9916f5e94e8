-- 0011: what the operator's dashboard (/admin) shows beside the usage figures: the request each
-- LLM call belongs to (requests per day, a trace's calls grouped by request), and when each key
-- last opened a request (refreshed at most once a minute by the guards' admission statement).
ALTER TABLE llm_calls ADD COLUMN request_id text;
ALTER TABLE cf_api_keys ADD COLUMN last_used timestamptz;
