-- API tokens have a name (what uses them), an expiry, and can be revoked
-- one by one; `last_used_at` is kept as they are used.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT 'API';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
