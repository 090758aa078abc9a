-- A counter bumped in the same transaction as every change to reports or their values, so
-- that cached aggregates are recomputed the moment a report is saved, submitted or accepted.

CREATE TABLE data_generation (
    id    integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    value bigint NOT NULL DEFAULT 0
);

INSERT INTO data_generation (id, value) VALUES (1, 0);

CREATE FUNCTION bump_data_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_generation SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reports_bump_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER report_values_bump_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON report_values
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
