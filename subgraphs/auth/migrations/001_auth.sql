CREATE TABLE users (
  id            text PRIMARY KEY,
  -- As the user typed it; uniqueness is on the lower-cased copy so Ann@x.io and ann@x.io are one account.
  email         text NOT NULL,
  email_lower   text NOT NULL UNIQUE,
  name          text NOT NULL,
  -- Self-describing: scrypt$N$r$p$salt$hash, so cost parameters can change without a migration.
  password_hash text NOT NULL,
  roles         text[] NOT NULL DEFAULT ARRAY['CUSTOMER']::text[],
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_tokens (
  id          text PRIMARY KEY,
  -- Every token rotated from one log-in shares a family; reuse of a spent one revokes the family.
  family_id   text NOT NULL,
  user_id     text NOT NULL REFERENCES users (id),
  -- sha256 of the token: a database leak yields no usable refresh token.
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Set when a newer key replaces this one; published until its last token has expired.
  retired_at  timestamptz
);
