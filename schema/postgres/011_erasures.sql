-- A record that an account was erased, and by which contexts; it names no one.
CREATE TABLE erasures (
    id serial PRIMARY KEY,
    user_id integer NOT NULL,
    contexts text[] NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now()
);
