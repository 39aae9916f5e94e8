"""The SQL behind the cfapi store methods (migration 0005), with bound parameters only."""

from __future__ import annotations

UPSERT_OPTIMIZATION_EVENT = """
INSERT INTO optimization_events (trace_id, user_id, optimization_found) VALUES ($1, $2, $3)
ON CONFLICT (trace_id) DO UPDATE
   SET optimization_found = EXCLUDED.optimization_found, updated = now()
 WHERE optimization_events.user_id = EXCLUDED.user_id
RETURNING trace_id
"""

GET_OPTIMIZATION_EVENT = """
SELECT trace_id, user_id, optimization_found, created, updated FROM optimization_events WHERE trace_id = $1
"""

UPSERT_STAGING = """
INSERT INTO staging_reviews (trace_id, user_id, payload) VALUES ($1, $2, $3::jsonb)
ON CONFLICT (trace_id) DO UPDATE SET payload = EXCLUDED.payload, updated = now()
 WHERE staging_reviews.user_id = EXCLUDED.user_id
RETURNING trace_id
"""

GET_STAGING = "SELECT payload::text AS payload FROM staging_reviews WHERE trace_id = $1"

INSERT_PULL_REQUEST = """
INSERT INTO pull_requests (user_id, trace_id, kind, owner, repo, target_number, number, url, function_name, file_path)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

OPTIMIZED_FUNCTIONS = """
SELECT DISTINCT file_path, function_name FROM pull_requests
 WHERE lower(owner) = lower($1) AND lower(repo) = lower($2) AND target_number = $3
   AND file_path IS NOT NULL AND function_name IS NOT NULL
 ORDER BY file_path, function_name
"""

INSERT_CODE_HASH = """
INSERT INTO pr_code_hashes (owner, repo, pr_number, code_hash, user_id) VALUES (lower($1), lower($2), $3, $4, $5)
ON CONFLICT DO NOTHING
"""

KNOWN_CODE_HASHES = """
SELECT code_hash FROM pr_code_hashes
 WHERE owner = lower($1) AND repo = lower($2) AND pr_number = $3 AND code_hash = ANY($4::text[])
"""

INSERT_COMPLETION_EMAIL = "INSERT INTO completion_emails (user_id, owner, repo, sent) VALUES ($1, $2, $3, $4)"

USER_EMAIL = "SELECT email FROM users WHERE user_id = $1"
