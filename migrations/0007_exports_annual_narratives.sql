-- The narrative of a unit's annual summary report (báo cáo tổng kết năm), edited on the
-- preview page of the export and printed into the DOCX, with the signature block and the
-- recipients the office may change. Optimistic locking: every save names the version it was
-- made from.

CREATE TABLE annual_narratives (
    unit_id          integer NOT NULL REFERENCES units (id),
    year             integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    ket_qua          text NOT NULL DEFAULT '',
    han_che          text NOT NULL DEFAULT '',
    nguyen_nhan      text NOT NULL DEFAULT '',
    phuong_huong     text NOT NULL DEFAULT '',
    kien_nghi        text NOT NULL DEFAULT '',
    -- Empty: the layout template's defaults.
    signer_position  text NOT NULL DEFAULT '',
    signer_name      text NOT NULL DEFAULT '',
    recipients       text NOT NULL DEFAULT '',
    version          integer NOT NULL DEFAULT 1,
    updated_by       integer REFERENCES users (id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, year)
);
