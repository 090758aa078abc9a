-- Foundation: administrative units with validity periods, their lineage across the 2025
-- reform, deployment settings, and a record of which reference data has been loaded.

CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Vietnamese collation: An < Ân < Bà Rịa < Ba Tri, Đ after D.
CREATE COLLATION IF NOT EXISTS vietnamese (provider = icu, locale = 'vi-VN');

CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE reference_data (
    name      text PRIMARY KEY,
    checksum  text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- A unit is a code within a validity period: codes are reused across the 2025 reform.
CREATE TABLE units (
    id          integer PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    short_name  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('tỉnh', 'thành phố', 'huyện', 'quận', 'thị xã',
                                              'xã', 'phường', 'thị trấn', 'đặc khu',
                                              'thôn', 'ấp', 'khu phố', 'tổ dân phố')),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
    parent_id   integer REFERENCES units (id),
    path        ltree NOT NULL,
    -- NULL valid_from: in force before the first official list we hold.
    valid_from  date,
    valid_to    date,
    search_key  text NOT NULL,
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to),
    CHECK ((level = 1) = (parent_id IS NULL)),
    CONSTRAINT units_code_once_at_a_time EXCLUDE USING gist (
        code WITH =, daterange(valid_from, valid_to, '[]') WITH &&)
);

CREATE INDEX units_path ON units USING gist (path);
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_level_validity ON units (level, valid_from, valid_to);
CREATE INDEX units_search ON units USING gin (search_key gin_trgm_ops);

CREATE TABLE unit_lineage (
    predecessor_id integer NOT NULL REFERENCES units (id),
    successor_id   integer NOT NULL REFERENCES units (id),
    effective_on   date NOT NULL,
    merge_kind     text NOT NULL,
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (predecessor_id, successor_id)
);

CREATE INDEX unit_lineage_successor ON unit_lineage (successor_id);
