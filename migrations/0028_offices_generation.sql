-- The office a page header names (and an export's heading) is metadata too: a change to an
-- office row starts a new generation, whose announcement makes every server forget the office
-- names it keeps for page headers, not only the server where the office was edited.
CREATE TRIGGER offices_bump_generation AFTER INSERT OR UPDATE OR DELETE ON offices
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();
