-- A public dashboard may ask for a password (argon2id hash; null: open to anyone with the link).
-- Unlocking it gives a random cookie whose SHA-256 is kept here; changing the password ends them all.
ALTER TABLE sites ADD COLUMN public_password_hash text;

CREATE TABLE share_sessions (
    id_hash text PRIMARY KEY,
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX share_sessions_site ON share_sessions (site_id);
