-- Saved funnels: 2 to 8 steps, each an event name or a page path (`*` wildcards), reached in
-- order within one visit. steps is [{kind, value}], validated by the API.
CREATE TABLE funnels (
    id serial PRIMARY KEY,
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    steps jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX funnels_site_name ON funnels (site_id, name);
