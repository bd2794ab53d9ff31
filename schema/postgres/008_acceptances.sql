-- A person's acceptance of a version of the privacy policy or the terms (policy promise 9).
CREATE TABLE acceptances (
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('privacy', 'terms')),
    version integer NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, version)
);
