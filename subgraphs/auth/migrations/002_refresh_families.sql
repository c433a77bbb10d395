-- One row per refresh-token family: the single place a family's revocation is decided. A refresh locks
-- it (FOR UPDATE) before spending a token and issuing the next; a revocation updates it first. Without
-- it, a revocation's UPDATE of the tokens could miss the next token of a refresh committing meanwhile.
CREATE TABLE refresh_families (
  id         text PRIMARY KEY,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Families are only ever revoked as a whole, so one revoked token means the family was revoked.
INSERT INTO refresh_families (id, revoked_at, created_at)
SELECT family_id, max(revoked_at), min(created_at) FROM refresh_tokens GROUP BY family_id;

-- Tokens that outlived their family's revocation (through the race above) are revoked now.
UPDATE refresh_tokens t SET revoked_at = f.revoked_at
FROM refresh_families f
WHERE t.family_id = f.id AND f.revoked_at IS NOT NULL AND t.revoked_at IS NULL;

ALTER TABLE refresh_tokens
  ADD CONSTRAINT refresh_tokens_family_fk FOREIGN KEY (family_id) REFERENCES refresh_families (id);
