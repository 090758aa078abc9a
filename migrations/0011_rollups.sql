-- Roll-ups: subtree totals of provinces, districts and the country, kept exact in the same
-- transaction that moves a report into or out of what dashboards count (see src/dashboards/rollup.rs).
--
-- Rows are insert-only contributions (+ when a report's figures enter a basis, − when they
-- leave): two acceptances in different communes never wait for each other, even though both add
-- to the same province and country. A background task compacts each unit-year's rows into one
-- row per key. `n` counts contributing values, so a figure nobody reported (sum of n = 0) is told
-- apart from a reported 0.
CREATE TABLE rollup_delta (
    -- 0: the whole country; otherwise a unit at level 1 or 2.
    unit_id           integer NOT NULL,
    -- 1: accepted reports; 2: accepted and submitted ones.
    basis             smallint NOT NULL CHECK (basis IN (1, 2)),
    year              integer NOT NULL,
    -- 1: the quarter's own values (every element); 2: stocks only, each unit's latest value
    -- within the year up to `quarter` (the basis of H1, 9M and year figures).
    kind              smallint NOT NULL CHECK (kind IN (1, 2)),
    quarter           smallint NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    element_code      text NOT NULL,
    organisation_code text NOT NULL,
    value             numeric NOT NULL,
    n                 integer NOT NULL
);

CREATE INDEX rollup_delta_key ON rollup_delta (unit_id, year, basis, kind, quarter);

-- One unit-year's own figures, as they count for each basis and kind: what a report's move adds
-- to (or takes from) every roll-up above the unit.
CREATE FUNCTION rollup_unit_figures(p_unit integer, p_year integer)
RETURNS TABLE (f_basis smallint, f_kind smallint, f_quarter smallint, f_element text, f_organisation text, f_value numeric)
LANGUAGE sql STABLE AS $$
    WITH vals AS (
        SELECT b.basis, r.quarter, v.element_code, v.organisation_code, v.value::numeric AS value, e.aggregation
        FROM reports r
        JOIN report_values v ON v.report_id = r.id
        JOIN data_elements e ON e.code = v.element_code
        CROSS JOIN (VALUES (1::smallint), (2::smallint)) AS b(basis)
        WHERE r.unit_id = p_unit AND r.year = p_year
          AND (r.status = 'da_duyet' OR (b.basis = 2 AND r.status = 'da_gui'))
    )
    SELECT basis, 1::smallint, quarter, element_code, organisation_code, value FROM vals
    UNION ALL
    SELECT * FROM (
        SELECT DISTINCT ON (v.basis, q.upto, v.element_code, v.organisation_code)
               v.basis, 2::smallint, q.upto::smallint, v.element_code, v.organisation_code, v.value
        FROM vals v CROSS JOIN generate_series(1, 4) AS q(upto)
        WHERE v.aggregation = 'last' AND v.quarter <= q.upto
        ORDER BY v.basis, q.upto, v.element_code, v.organisation_code, v.quarter DESC
    ) latest
$$;

-- What the roll-ups should hold, computed from the reports alone in one set-based pass
-- (`danvan rollup rebuild` and `verify`): the same figures as rollup_unit_figures, for every
-- unit-year, added up into each ancestor at level 1 or 2 and into the country.
CREATE VIEW rollup_expected AS
    WITH vals AS (
        SELECT r.unit_id, r.year, b.basis, r.quarter, v.element_code, v.organisation_code,
               v.value::numeric AS value, e.aggregation
        FROM reports r
        JOIN report_values v ON v.report_id = r.id
        JOIN data_elements e ON e.code = v.element_code
        CROSS JOIN (VALUES (1::smallint), (2::smallint)) AS b(basis)
        WHERE r.status = 'da_duyet' OR (b.basis = 2 AND r.status = 'da_gui')
    ),
    figures AS (
        SELECT unit_id, year, basis, 1::smallint AS kind, quarter, element_code, organisation_code, value FROM vals
        UNION ALL
        SELECT * FROM (
            SELECT DISTINCT ON (v.unit_id, v.year, v.basis, q.upto, v.element_code, v.organisation_code)
                   v.unit_id, v.year, v.basis, 2::smallint, q.upto::smallint, v.element_code, v.organisation_code, v.value
            FROM vals v CROSS JOIN generate_series(1, 4) AS q(upto)
            WHERE v.aggregation = 'last' AND v.quarter <= q.upto
            ORDER BY v.unit_id, v.year, v.basis, q.upto, v.element_code, v.organisation_code, v.quarter DESC
        ) latest
    ),
    targets AS (
        SELECT u.id AS unit_id, a.id AS target
        FROM units u JOIN units a ON a.path @> u.path AND a.level <= 2
        UNION ALL
        SELECT u.id, 0 FROM units u
    )
    SELECT t.target AS unit_id, f.basis, f.year, f.kind, f.quarter, f.element_code, f.organisation_code,
           sum(f.value) AS value, count(*)::integer AS n
    FROM figures f JOIN targets t ON t.unit_id = f.unit_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- An element that changes between flow and stock changes what its roll-ups mean: they are
-- recomputed for that element alone, in the same transaction as the catalogue change.
CREATE FUNCTION rollup_element_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.aggregation IS DISTINCT FROM OLD.aggregation THEN
        DELETE FROM rollup_delta WHERE element_code = NEW.code;
        INSERT INTO rollup_delta (unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n)
        SELECT unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n
        FROM rollup_expected WHERE element_code = NEW.code;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER data_elements_rollup AFTER UPDATE OF aggregation ON data_elements
    FOR EACH ROW EXECUTE FUNCTION rollup_element_changed();
