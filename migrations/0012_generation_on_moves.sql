-- Draft saves and autosaves change nothing a dashboard shows: they no longer start a new data
-- generation (each one used to drop every cached dashboard in the country and lock the one
-- generation row until commit). Moves of a report (its status), new or removed reports, and a
-- rebuild of the roll-ups still do.
DROP TRIGGER reports_bump_generation ON reports;
DROP TRIGGER report_values_bump_generation ON report_values;

CREATE TRIGGER reports_bump_generation AFTER INSERT OR UPDATE OF status OR DELETE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER reports_truncate_bump_generation AFTER TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER rollup_delta_truncate_bump_generation AFTER TRUNCATE ON rollup_delta
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
