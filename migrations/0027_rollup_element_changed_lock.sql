-- An element that changes between flow and stock has its roll-ups recomputed (0011). Without a
-- lock, two writers in flight could make the result wrong: a report's move that wrote the
-- element's rows under the old rule and commits after the recomputation (its stock rows
-- missing), or the compactor folding the element's rows while they are deleted (its sums left
-- beside the recomputed rows, counted twice). The recomputation now first waits for every
-- transaction writing roll-ups to end and holds the others back until it commits; SHARE ROW
-- EXCLUSIVE conflicts with their writes and with itself (two catalogue edits take turns), not
-- with reads, and a move's own statement reads the element's new rule once it may write.
CREATE OR REPLACE FUNCTION rollup_element_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.aggregation IS DISTINCT FROM OLD.aggregation THEN
        LOCK TABLE rollup_delta IN SHARE ROW EXCLUSIVE MODE;
        DELETE FROM rollup_delta WHERE element_code = NEW.code;
        INSERT INTO rollup_delta (unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n)
        SELECT unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n
        FROM rollup_expected WHERE element_code = NEW.code;
    END IF;
    RETURN NULL;
END;
$$;
