-- 0008: input tokens written to the provider's prompt cache (billed apart from plain input, at
-- 1.25x input on Anthropic), beside tokens_cached (read from it), so llm_calls matches the bill.
ALTER TABLE llm_calls ADD COLUMN tokens_cache_write integer NOT NULL DEFAULT 0;
