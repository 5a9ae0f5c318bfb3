-- OpenID Connect identities linked to local accounts: (issuer, subject) is the identity
-- (OpenID Connect Core §5.7: sub is unique only within its issuer); the email is never a key.
CREATE TABLE oidc_identities (
    id BIGSERIAL PRIMARY KEY,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);
