-- A report's move changes only its own quarter's figures (kind 1) and the stocks' latest values
-- from its quarter on (kind 2). Computing the unit-year's figures for just those keys, before and
-- after the move, gives the same difference as the whole year with a quarter of the rows to read,
-- sort and compare (a move's roll-up statement was the costliest of a save under load; see
-- src/dashboards/rollup.rs). Same columns and meaning as rollup_unit_figures, restricted to
-- kind 1 at `p_quarter` and kind 2 at `p_quarter` … 4.
CREATE FUNCTION rollup_unit_figures_from(p_unit integer, p_year integer, p_quarter smallint)
RETURNS TABLE (f_basis smallint, f_kind smallint, f_quarter smallint, f_element text, f_organisation text, f_value numeric)
LANGUAGE sql STABLE AS $$
    SELECT b.basis, 1::smallint, r.quarter, v.element_code, v.organisation_code, v.value
    FROM reports r
    JOIN report_values v ON v.report_id = r.id
    CROSS JOIN (VALUES (1::smallint), (2::smallint)) AS b(basis)
    WHERE r.unit_id = p_unit AND r.year = p_year AND r.quarter = p_quarter
      AND (r.status = 'da_duyet' OR (b.basis = 2 AND r.status = 'da_gui'))
    UNION ALL
    SELECT * FROM (
        SELECT DISTINCT ON (b.basis, q.upto, v.element_code, v.organisation_code)
               b.basis, 2::smallint, q.upto::smallint, v.element_code, v.organisation_code, v.value
        FROM reports r
        JOIN report_values v ON v.report_id = r.id
        JOIN data_elements e ON e.code = v.element_code
        CROSS JOIN (VALUES (1::smallint), (2::smallint)) AS b(basis)
        CROSS JOIN generate_series(p_quarter, 4) AS q(upto)
        WHERE r.unit_id = p_unit AND r.year = p_year AND r.quarter <= q.upto
          AND e.aggregation = 'last'
          AND (r.status = 'da_duyet' OR (b.basis = 2 AND r.status = 'da_gui'))
        ORDER BY b.basis, q.upto, v.element_code, v.organisation_code, r.quarter DESC
    ) latest
$$;

-- The whole year's version is no longer called: moves use the function above, rebuild and verify
-- the rollup_expected view.
DROP FUNCTION rollup_unit_figures(integer, integer);
