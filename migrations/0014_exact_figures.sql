-- Figures become exact: report values, targets and indicator factors are `numeric`, like the
-- roll-ups already are, so that 0,1 + 0,2 is 0,3 wherever figures are added up.
--
-- PostgreSQL turns a double into numeric through its 15 significant digits, which is what the
-- entry form accepts (and what `v.value::numeric` gave the roll-ups): every stored figure
-- becomes the number that was typed, and `rollup_delta` already holds the sums of exactly these
-- values, so it needs no rebuild.

-- The view reads report_values.value, which cannot change type under it; it is recreated below
-- without the cast that is no longer needed.
DROP VIEW rollup_expected;

ALTER TABLE report_values ALTER COLUMN value TYPE numeric USING value::numeric;

ALTER TABLE targets
    ALTER COLUMN value TYPE numeric USING value::numeric,
    ALTER COLUMN value_max TYPE numeric USING value_max::numeric;

ALTER TABLE indicators ALTER COLUMN factor TYPE numeric USING factor::numeric;

-- As in 0011, without the casts to numeric.
CREATE OR REPLACE FUNCTION rollup_unit_figures(p_unit integer, p_year integer)
RETURNS TABLE (f_basis smallint, f_kind smallint, f_quarter smallint, f_element text, f_organisation text, f_value numeric)
LANGUAGE sql STABLE AS $$
    WITH vals AS (
        SELECT b.basis, r.quarter, v.element_code, v.organisation_code, v.value, e.aggregation
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

-- As in 0011, without the cast to numeric (rollup_element_changed reads it by name).
CREATE VIEW rollup_expected AS
    WITH vals AS (
        SELECT r.unit_id, r.year, b.basis, r.quarter, v.element_code, v.organisation_code,
               v.value, e.aggregation
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
