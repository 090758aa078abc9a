-- Accounts, sessions, login throttling and the append-only audit log.

CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      text NOT NULL,
    full_name     text NOT NULL,
    -- NULL: the whole country (national users); otherwise the unit the account belongs to.
    unit_id       integer REFERENCES units (id),
    roles         text[] NOT NULL CHECK (cardinality(roles) > 0
                    AND roles <@ ARRAY['nhap_lieu', 'duyet', 'lanh_dao', 'quan_tri']::text[]),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       integer NOT NULL DEFAULT 1,
    CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$')
);

CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_unit ON users (unit_id);

-- Only a digest of the session token is stored: a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    client       text NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE login_failures (
    id         bigserial PRIMARY KEY,
    username   text NOT NULL,
    client     text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_failures_username ON login_failures (username, failed_at);
CREATE INDEX login_failures_client ON login_failures (client, failed_at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    integer REFERENCES users (id),
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL DEFAULT '',
    unit_id     integer REFERENCES units (id),
    before      jsonb,
    after       jsonb,
    client      text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_unit ON audit_log (unit_id, at);

-- Append-only: no role, not even the owner, may change or remove history.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
