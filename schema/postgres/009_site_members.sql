-- Staff of a site: viewers read its analytics, managers also change it and invite staff.
CREATE TABLE site_members (
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('viewer', 'manager')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, user_id)
);
CREATE INDEX site_members_user ON site_members (user_id);

-- Invitations to a site's staff, mailed to an address; accepted by the account with that address.
CREATE TABLE site_invitations (
    token_hash text PRIMARY KEY,
    site_id integer NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email)),
    role text NOT NULL CHECK (role IN ('viewer', 'manager')),
    invited_by integer REFERENCES users (id) ON DELETE SET NULL,
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX site_invitations_site ON site_invitations (site_id);

-- The public dashboard (read-only, no login, optionally behind a password) comes with the dashboard.
ALTER TABLE sites ADD COLUMN public_dashboard boolean NOT NULL DEFAULT false;
ALTER TABLE sites ADD COLUMN public_dashboard_password_hash text;
