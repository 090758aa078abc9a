-- Moves of reports are announced to the other servers through this table instead of a NOTIFY in
-- the moving transaction (src/dashboards/cache.rs, "Hearing other servers' moves"). PostgreSQL
-- takes one lock for the whole cluster at the commit of every transaction that sent a NOTIFY,
-- so every acceptance, return, submission and reopening in the country committed one at a time
-- behind it; measured on the churn benchmark, commits waited up to 170 ms for it.
-- A reader keeps the oldest transaction still running when it last read (its snapshot's xmin) and
-- reads the rows from there on: every row of a transaction below that horizon was already seen,
-- whatever order the transactions committed in, which an increasing id could not promise.
CREATE TABLE rollup_changes (
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- Change::payload(): `ID PATH YEAR BASES [SUCCESSOR,…]`.
    payload text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollup_changes_xid ON rollup_changes (xid);
-- A row per move, deleted an hour later by the compactor: vacuum it often.
ALTER TABLE rollup_changes SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 1000);
