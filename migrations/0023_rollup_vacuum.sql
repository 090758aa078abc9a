-- rollup_delta takes a few rows per correction and the compactor deletes them a second later:
-- vacuum it after 1 % of its rows are dead (the default, 20 %, let millions of dead rows
-- accumulate on national data, which every dashboard read stepped over in the index).
ALTER TABLE rollup_delta SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);
