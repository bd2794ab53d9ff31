-- A site's consent banner configuration, one row per version. A change writes a new version and
-- no version changes once written: a consent record names the version whose texts were shown, and
-- texts_sha256 (per language, of the exact texts served) proves what the visitor read.
CREATE TABLE consent_configs (
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version >= 1),
    -- The site's policy version: a stored decision for another version is asked again.
    policy_version integer NOT NULL CHECK (policy_version >= 1),
    policy_url text,
    -- How long a decision lasts on the visitor's device.
    expiry_days integer NOT NULL CHECK (expiry_days BETWEEN 1 AND 395),
    -- How long consent records are kept (proof, GDPR Art. 7(1)).
    retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
    -- BannerCategory[] in the order shown, "necessary" first.
    categories jsonb NOT NULL,
    -- The site's own texts, by language, as the manager wrote them (merged over the built-in ones).
    overrides jsonb NOT NULL DEFAULT '{}',
    -- The texts served, by language: built-in ones merged with the overrides, kept whole so that a
    -- later release changing the built-in texts cannot change what an old version showed.
    texts jsonb NOT NULL,
    texts_sha256 jsonb NOT NULL,
    created_by integer REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, version)
);
