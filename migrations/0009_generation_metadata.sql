-- Cached dashboards also read the catalogue, directives, targets, milestones, tasks and the
-- reporting calendar: a change to any of them starts a new data generation too.

CREATE TRIGGER data_elements_bump_generation AFTER INSERT OR UPDATE OR DELETE ON data_elements
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER indicators_bump_generation AFTER INSERT OR UPDATE OR DELETE ON indicators
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER organisations_bump_generation AFTER INSERT OR UPDATE OR DELETE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER directives_bump_generation AFTER INSERT OR UPDATE OR DELETE ON directives
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER targets_bump_generation AFTER INSERT OR UPDATE OR DELETE ON targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER milestones_bump_generation AFTER INSERT OR UPDATE OR DELETE ON milestones
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER directive_tasks_bump_generation AFTER INSERT OR UPDATE OR DELETE ON directive_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER report_events_bump_generation AFTER INSERT ON report_events
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
CREATE TRIGGER settings_bump_generation AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
