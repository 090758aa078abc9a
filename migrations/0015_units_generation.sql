-- Dashboards keep units resolved from their codes per metadata generation
-- (src/dashboards/cache.rs): a change to the unit tree starts a new one.
CREATE TRIGGER units_bump_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
