-- Moves of reports no longer start a new data generation: each names the unit and year it
-- changed, and caches drop only what that touches (src/dashboards/cache.rs; other servers hear
-- it through NOTIFY). The generation row is left to metadata (catalogue, directives, targets,
-- calendar, settings), which changes rarely, so no report save, submission or acceptance in the
-- country waits on it.
DROP TRIGGER reports_bump_generation ON reports;
DROP TRIGGER report_events_bump_generation ON report_events;

-- The catalogue a dashboard caches includes sections and validation rules.
CREATE TRIGGER report_sections_bump_generation AFTER INSERT OR UPDATE OR DELETE ON report_sections
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER validation_rules_bump_generation AFTER INSERT OR UPDATE OR DELETE ON validation_rules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
