-- The privacy policy and the terms, versioned (policy promise 3). Versions are numbered per kind;
-- a version may carry texts in several languages, each with its own publication time. A published
-- row never changes: the trigger below refuses UPDATE, DELETE and TRUNCATE, whoever asks.
CREATE TABLE documents (
    kind text NOT NULL CHECK (kind IN ('privacy', 'terms')),
    version integer NOT NULL CHECK (version >= 1),
    language text NOT NULL CHECK (language IN ('en', 'ru')),
    -- Markdown; at most 200 KB (the service refuses larger texts with a clear message first).
    text text NOT NULL CHECK (length(btrim(text)) > 0 AND octet_length(text) <= 204800),
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version, language)
);

-- The migration runner splits statements at semicolons that end a line, so the one inside the
-- function body stays mid-line.
CREATE FUNCTION documents_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published documents never change: % on documents refused; publish a new version instead', TG_OP; END
$$;

CREATE TRIGGER documents_immutable_rows BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();

CREATE TRIGGER documents_immutable_table BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION documents_refuse_change();
