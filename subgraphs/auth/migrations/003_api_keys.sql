-- API keys for devices and integrations: scopes and no user. The secret is shown once at creation and
-- never stored; secret_hash is its SHA-256 (the secret carries 256 random bits, so a fast hash is enough:
-- there is nothing to guess). The id is also written inside the secret, so a lookup is one primary-key read.
CREATE TABLE api_keys (
  id           uuid PRIMARY KEY,
  name         text NOT NULL,
  scopes       text[] NOT NULL,
  secret_hash  bytea NOT NULL,
  created_by   text NOT NULL REFERENCES users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- NULL: never expires.
  expires_at   timestamptz,
  -- Refreshed at most once a minute per key (see ApiKeyRepository.touch), never on every request.
  last_used_at timestamptz,
  revoked_at   timestamptz,
  revoked_by   text REFERENCES users (id)
);
CREATE INDEX api_keys_created_at ON api_keys (created_at DESC);
