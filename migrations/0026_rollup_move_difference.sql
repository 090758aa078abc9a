-- A report's move now computes its difference to the roll-ups from the move itself (the
-- report's own values in or out of a basis; for stocks, whether it is the latest value up to
-- each later quarter): see after_move in src/dashboards/rollup.rs. Computing the unit-year's
-- figures before and after the move is no longer done, so the function that did it goes.
-- rollup verify and rebuild keep reading the rollup_expected view, the plain computation.
DROP FUNCTION rollup_unit_figures_from(integer, integer, smallint);
