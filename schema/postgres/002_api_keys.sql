-- Stats API keys. Only a SHA-256 of the key is kept; the prefix helps people tell keys apart.
CREATE TABLE api_keys (
    id serial PRIMARY KEY,
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    key_hash text NOT NULL UNIQUE,
    key_prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_site_id ON api_keys (site_id);
