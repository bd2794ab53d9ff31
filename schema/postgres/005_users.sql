-- People with an account. Email and login are unique whatever their case; the email is kept in
-- lower case, the login as the person typed it. Only an argon2id hash of the password is kept.
CREATE TABLE users (
    id serial PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text NOT NULL CHECK (email = lower(email)),
    login text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'customer' CHECK (role IN ('admin', 'customer')),
    language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ru')),
    email_verified_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_login ON users (lower(login));
