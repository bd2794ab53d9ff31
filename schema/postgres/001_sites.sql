-- Sites whose pages send events. Domains are stored lower-case in their ASCII (punycode) form.
CREATE TABLE sites (
    id serial PRIMARY KEY,
    domain text NOT NULL UNIQUE CHECK (domain = lower(domain)),
    -- Extra hostnames whose pages count for this site (besides the domain and its subdomains).
    aliases text[] NOT NULL DEFAULT '{}',
    timezone text NOT NULL DEFAULT 'UTC',
    retention_days integer NOT NULL DEFAULT 730 CHECK (retention_days BETWEEN 1 AND 36500),
    created_at timestamptz NOT NULL DEFAULT now()
);
