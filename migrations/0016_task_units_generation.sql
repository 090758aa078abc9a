-- Dashboards keep a unit's overdue tasks per metadata generation (src/dashboards/cache.rs):
-- assigning a task to units starts a new one, as changing the task does.
CREATE TRIGGER directive_task_units_bump_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON directive_task_units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
