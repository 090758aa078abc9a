-- The office that speaks for a unit (cơ quan ban hành văn bản), with validity dates: the
-- heading lines of its documents, the symbol in their numbers, the signature block and the
-- default recipients. A unit without a row for a date gets a default derived from the unit and
-- the date (src/offices/default.rs); a row overrides it. Rows are edited by administrators.

CREATE TABLE offices (
    id               serial PRIMARY KEY,
    unit_id          integer NOT NULL REFERENCES units (id),
    -- NULL valid_from: since before anything we hold; NULL valid_to: still in force.
    valid_from       date,
    valid_to         date,
    -- First heading line, the superior body: "TỈNH ỦY AN GIANG", "ĐẢNG BỘ TỈNH AN GIANG".
    superior         text NOT NULL CHECK (btrim(superior) <> ''),
    -- Second heading line, the office itself: "BAN TUYÊN GIÁO VÀ DÂN VẬN", "ĐẢNG ỦY XÃ MỸ HÒA HƯNG".
    name             text NOT NULL CHECK (btrim(name) <> ''),
    -- After the slash in document numbers: "BTGDVTU" in "Số 12-BC/BTGDVTU".
    symbol           text NOT NULL CHECK (btrim(symbol) <> ''),
    -- How pages name it: "Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang".
    display_name     text NOT NULL CHECK (btrim(display_name) <> ''),
    -- Signature block: "T/M BAN THƯỜNG VỤ" and the signer's position.
    on_behalf        text NOT NULL DEFAULT '',
    signer_position  text NOT NULL DEFAULT '',
    -- "Nơi nhận", one recipient a line, the last "Lưu …".
    recipients       text NOT NULL DEFAULT '',
    note             text NOT NULL DEFAULT '',
    version          integer NOT NULL DEFAULT 1,
    updated_by       integer REFERENCES users (id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to),
    -- One office per unit at a time.
    CONSTRAINT offices_once_at_a_time EXCLUDE USING gist (
        unit_id WITH =, daterange(valid_from, valid_to, '[]') WITH &&)
);

CREATE INDEX offices_unit ON offices (unit_id, valid_from);
