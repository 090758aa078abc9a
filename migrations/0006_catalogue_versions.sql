-- Optimistic locking for the catalogue pages: organisations and report sections get the
-- `version` column the other catalogue tables already have.

ALTER TABLE organisations ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE report_sections ADD COLUMN version integer NOT NULL DEFAULT 1;
