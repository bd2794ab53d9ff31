-- Login sessions. The cookie holds a random id; only its SHA-256 is kept. Each session has its own
-- CSRF token, sent back in a header with every state-changing request.
CREATE TABLE user_sessions (
    id_hash text PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    -- Browser and OS names only (never the user-agent string or an address), to tell sessions apart.
    device text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
