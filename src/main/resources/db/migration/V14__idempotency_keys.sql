-- Issue #12: Idempotency-Key on POST /auth/register (draft-ietf-httpapi-idempotency-key-header). A retry with the
-- same key and the same body gets the account the first request created (201), not 409 for an account the client
-- never saw created. Owned by accounts/IdempotencyKeys; the row is written by the statement that creates the
-- resource (UserStore composes IdempotencyKeys' fragment), so a key never exists without its resource nor the
-- other way round. A row lives 24 hours (expires_at); expired rows are swept by the lookups.
CREATE TABLE idempotency_keys (
  scope        text        NOT NULL,  -- the operation, e.g. 'auth.register'
  key          text        NOT NULL,  -- the client's key (1-255 visible ASCII characters)
  -- HMAC-SHA256 (hex) of the request body under a key derived from SECRETS_KEY: tells a retry from a different request
  -- without storing the body (it holds the password)
  fingerprint  text        NOT NULL,
  resource_id  uuid        NOT NULL,  -- what the first request created (a user's id)
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
