-- Stats API keys belong to a person and reach the sites that person may read (all of them, or one
-- when the key names it). Keys made by the operator from the CLI have no owner and name one site.
ALTER TABLE api_keys ADD COLUMN user_id integer REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE api_keys ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE api_keys ALTER COLUMN site_id DROP NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_owner_or_site CHECK (user_id IS NOT NULL OR site_id IS NOT NULL);
CREATE INDEX api_keys_user ON api_keys (user_id);
