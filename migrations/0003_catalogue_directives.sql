-- The indicator catalogue (organisations, report sections, data elements, indicators,
-- validation rules) and the directives with their tasks, targets, milestones and attachments.

CREATE TABLE organisations (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,31}$'),
    name       text NOT NULL,
    short_name text NOT NULL,
    sort_order integer NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT true
);

CREATE TABLE report_sections (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,31}$'),
    name       text NOT NULL,
    sort_order integer NOT NULL DEFAULT 0
);

CREATE TABLE data_elements (
    code            text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,47}$'),
    name            text NOT NULL,
    section_code    text NOT NULL REFERENCES report_sections (code),
    unit_of_measure text NOT NULL,
    value_type      text NOT NULL CHECK (value_type IN ('integer', 'decimal', 'boolean', 'text')),
    -- sum: a flow (sessions held in the quarter); last: a stock (members at the period's end).
    aggregation     text NOT NULL CHECK (aggregation IN ('sum', 'last')),
    by_organisation boolean NOT NULL DEFAULT false,
    levels          smallint[] NOT NULL CHECK (cardinality(levels) > 0),
    description     text NOT NULL DEFAULT '',
    sort_order      integer NOT NULL DEFAULT 0,
    active          boolean NOT NULL DEFAULT true,
    version         integer NOT NULL DEFAULT 1
);

-- Expressions are sums and differences of data element codes ("A + B - C"), parsed and checked
-- against the catalogue by the application.
CREATE TABLE indicators (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,47}$'),
    name        text NOT NULL,
    numerator   text NOT NULL,
    denominator text NOT NULL DEFAULT '',
    factor      double precision NOT NULL DEFAULT 1,
    decimals    smallint NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 6),
    display     text NOT NULL CHECK (display IN ('value', 'ratio')),
    unit        text NOT NULL DEFAULT '',
    sort_order  integer NOT NULL DEFAULT 0,
    version     integer NOT NULL DEFAULT 1
);

CREATE TABLE validation_rules (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    left_expr  text NOT NULL,
    operator   text NOT NULL CHECK (operator IN ('<=', '<', '=', '>=', '>')),
    right_expr text NOT NULL,
    severity   text NOT NULL CHECK (severity IN ('error', 'warning')),
    message    text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    version    integer NOT NULL DEFAULT 1
);

CREATE TABLE directives (
    id                serial PRIMARY KEY,
    number            text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('NQ', 'CT', 'KL', 'TB', 'QĐ', 'QĐi', 'CTr', 'KH', 'CV', 'HD')),
    issuer            text NOT NULL CHECK (issuer IN ('TW', 'TU', 'HU', 'ĐU')),
    issuing_body      text NOT NULL,
    -- The unit whose Party committee issued it; NULL for the centre.
    issuing_unit_id   integer REFERENCES units (id),
    issued_on         date NOT NULL,
    title             text NOT NULL,
    body              text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'hieu_luc'
                      CHECK (status IN ('hieu_luc', 'het_hieu_luc', 'duoc_thay_the')),
    replaced_by_id    integer REFERENCES directives (id),
    number_is_assumed boolean NOT NULL DEFAULT false,
    search_key        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           integer NOT NULL DEFAULT 1,
    UNIQUE (number, issued_on)
);

CREATE INDEX directives_search ON directives USING gin (search_key gin_trgm_ops);
CREATE INDEX directives_issued ON directives (issued_on);

-- "implements": the child concretises the parent.
CREATE TABLE directive_links (
    child_id  integer NOT NULL REFERENCES directives (id) ON DELETE CASCADE,
    parent_id integer NOT NULL REFERENCES directives (id) ON DELETE CASCADE,
    PRIMARY KEY (child_id, parent_id),
    CHECK (child_id <> parent_id)
);

CREATE INDEX directive_links_parent ON directive_links (parent_id);

CREATE TABLE directive_tasks (
    id              serial PRIMARY KEY,
    directive_id    integer NOT NULL REFERENCES directives (id) ON DELETE CASCADE,
    number          text NOT NULL,
    body            text NOT NULL,
    -- Assigned to every unit of these levels under the issuing unit, and/or to listed units.
    assigned_levels smallint[] NOT NULL DEFAULT '{}',
    deadline        date,
    sort_order      integer NOT NULL DEFAULT 0
);

CREATE INDEX directive_tasks_directive ON directive_tasks (directive_id);

CREATE TABLE directive_task_units (
    task_id integer NOT NULL REFERENCES directive_tasks (id) ON DELETE CASCADE,
    unit_id integer NOT NULL REFERENCES units (id),
    PRIMARY KEY (task_id, unit_id)
);

CREATE TABLE targets (
    id             serial PRIMARY KEY,
    directive_id   integer NOT NULL REFERENCES directives (id) ON DELETE CASCADE,
    indicator_code text NOT NULL REFERENCES indicators (code),
    comparator     text NOT NULL CHECK (comparator IN ('>=', '>', '=', '<=', '<', 'between')),
    value          double precision NOT NULL,
    value_max      double precision,
    -- A given year; NULL with no deadline: every year.
    year           integer,
    deadline       date,
    -- Which units it applies to: units of this level (2, 3, 4) under the issuing unit, or the
    -- subtree of scope_unit_id, or (both NULL) the issuing unit as a whole.
    scope_level    smallint,
    scope_unit_id  integer REFERENCES units (id),
    -- Per unit ("each unit builds 1–2 models a year") rather than for the whole.
    per_unit       boolean NOT NULL DEFAULT false,
    description    text NOT NULL DEFAULT '',
    CHECK ((comparator = 'between') = (value_max IS NOT NULL))
);

CREATE INDEX targets_directive ON targets (directive_id);
CREATE INDEX targets_indicator ON targets (indicator_code);

CREATE TABLE milestones (
    id           serial PRIMARY KEY,
    directive_id integer NOT NULL REFERENCES directives (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('so_ket', 'tong_ket')),
    due_on       date NOT NULL,
    description  text NOT NULL DEFAULT ''
);

CREATE INDEX milestones_due ON milestones (due_on);

CREATE TABLE attachments (
    id            serial PRIMARY KEY,
    directive_id  integer NOT NULL REFERENCES directives (id) ON DELETE CASCADE,
    file_name     text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf',
                      'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
    size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL,
    -- Kept in the database: transactional with the directive, in every backup, and the app
    -- servers stay stateless. Never served from a path the user chose.
    content       bytea NOT NULL,
    uploaded_by   integer REFERENCES users (id),
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
