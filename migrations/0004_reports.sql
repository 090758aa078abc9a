-- Quarterly reports: figures, narrative, progress on directive tasks, the review workflow and
-- its history, and personal API tokens.

CREATE TABLE reports (
    id            serial PRIMARY KEY,
    unit_id       integer NOT NULL REFERENCES units (id),
    year          integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    quarter       smallint NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    status        text NOT NULL DEFAULT 'nhap' CHECK (status IN ('nhap', 'da_gui', 'tra_lai', 'da_duyet')),
    -- Optimistic locking: every save must name the version it was made from.
    version       integer NOT NULL DEFAULT 1,
    ket_qua       text NOT NULL DEFAULT '',
    han_che       text NOT NULL DEFAULT '',
    nguyen_nhan   text NOT NULL DEFAULT '',
    phuong_huong  text NOT NULL DEFAULT '',
    kien_nghi     text NOT NULL DEFAULT '',
    -- What was typed in each figure field, as typed, so nothing typed is lost on an error.
    raw_inputs    jsonb NOT NULL DEFAULT '{}',
    rule_notes    jsonb NOT NULL DEFAULT '{}',
    submitted_at  timestamptz,
    submitted_by  integer REFERENCES users (id),
    reviewed_at   timestamptz,
    reviewed_by   integer REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    integer REFERENCES users (id),
    UNIQUE (unit_id, year, quarter)
);

CREATE INDEX reports_period ON reports (year, quarter, status);

-- One row per element (organisation '' for the element without breakdown).
CREATE TABLE report_values (
    report_id         integer NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    element_code      text NOT NULL REFERENCES data_elements (code),
    organisation_code text NOT NULL DEFAULT '',
    value             double precision NOT NULL,
    PRIMARY KEY (report_id, element_code, organisation_code)
);

CREATE INDEX report_values_element ON report_values (element_code);

CREATE TABLE report_task_progress (
    report_id integer NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    task_id   integer NOT NULL REFERENCES directive_tasks (id),
    status    text NOT NULL CHECK (status IN ('chua_trien_khai', 'dang_thuc_hien', 'hoan_thanh')),
    note      text NOT NULL DEFAULT '',
    PRIMARY KEY (report_id, task_id)
);

CREATE TABLE report_events (
    id            bigserial PRIMARY KEY,
    report_id     integer NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_id      integer REFERENCES users (id),
    actor_name    text NOT NULL DEFAULT '',
    from_status   text,
    to_status     text NOT NULL,
    remarks       text NOT NULL DEFAULT '',
    -- The reviewer's remarks on single fields: {"DVHV_HIEN_CO": "…"}.
    field_remarks jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX report_events_report ON report_events (report_id, at);

CREATE TABLE api_tokens (
    id           serial PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Every saved version of a report, so that a refused stale save can show what changed since
-- the person opened it.
CREATE TABLE report_snapshots (
    report_id integer NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    version   integer NOT NULL,
    data      jsonb NOT NULL,
    saved_by  text NOT NULL DEFAULT '',
    saved_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, version)
);
