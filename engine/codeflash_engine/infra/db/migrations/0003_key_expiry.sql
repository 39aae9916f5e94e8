-- 0003: keys can expire (rotation with a grace period, keys issued for a limited time).
-- NULL: the key does not expire. A key past its expiry is refused like a revoked one.
ALTER TABLE cf_api_keys ADD COLUMN expires timestamptz;
