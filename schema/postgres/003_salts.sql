-- One random salt per calendar date, shared by every ingest node. A salt is deleted once its date
-- has ended in every time zone plus one day, so no visitor hash can link two days.
CREATE TABLE salts (
    day date PRIMARY KEY,
    salt bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
