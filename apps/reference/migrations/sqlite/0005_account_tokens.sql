-- Account flows (issue 13): single-use mailed-link tokens (bulwark::account::schema) and the
-- time an address was verified (NULL: not verified).
CREATE TABLE account_tokens (
    token_hash BLOB PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL,
    binding TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
