-- A site's goals: an event by name, or pageviews of a path (`*` wildcards). Stats queries name a
-- goal by its display name (event:goal), so display names are unique per site, and so is what it
-- counts.
CREATE TABLE goals (
    id serial PRIMARY KEY,
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('event', 'page')),
    event_name text CHECK (char_length(event_name) BETWEEN 1 AND 120),
    page_path text CHECK (char_length(page_path) BETWEEN 1 AND 2000 AND page_path LIKE '/%'),
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 2120),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'event') = (event_name IS NOT NULL) AND (kind = 'page') = (page_path IS NOT NULL))
);
CREATE UNIQUE INDEX goals_site_display_name ON goals (site_id, display_name);
CREATE UNIQUE INDEX goals_site_target ON goals (site_id, kind, coalesce(event_name, page_path));
