-- 0006: how many attempts an LLM call made on its model (retries included), and the outcome
-- 'cancelled' beside 'ok' and 'error' (outcome is free text: no constraint to change). A call the
-- fan-out cut as a straggler (issue 19) is 'cancelled' with error_class 'straggler'. Rows written
-- before this migration count one attempt.
ALTER TABLE llm_calls ADD COLUMN attempts integer NOT NULL DEFAULT 1;
