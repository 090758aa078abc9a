//! Roll-ups: the subtree totals of the country, provinces and districts, kept exact in the
//! transaction that moves a report into or out of what dashboards count.
//!
//! # Why
//! Summing a province's or the country's reports at every view took seconds on national data
//! (16 million values), so the first view after any change stalled. Batch tables that are
//! hours old (DHIS2's analytics) would break the promise that a figure counts the moment its
//! report is accepted. So the totals are maintained with the change itself.
//!
//! # Design
//! - `rollup_delta` (migration 0011) holds, per unit at level 1–2 and the country (unit 0),
//!   basis (1 accepted, 2 accepted + submitted), year, kind and quarter, signed contributions
//!   `value` (PostgreSQL `numeric`, exact) and `n` (how many values contribute, so a reported 0
//!   is told apart from no report).
//! - Kind 1 is a quarter's own values (every element): a quarter's figures, and flows over
//!   several quarters as the sum of their quarters. Kind 2 is for stocks only: each unit's latest
//!   value within the year up to that quarter, then summed over units — exactly today's meaning
//!   of a stock over H1, 9M or the year, which a sum of quarterly totals cannot give when units
//!   skip quarters.
//! - A move of a report ([`before_move`] … [`after_move`], called by the reports workflow around
//!   its status update, in the same transaction) inserts the difference it makes into every
//!   roll-up above the unit, computed from the move itself (the report's values in or out of a
//!   basis, and for stocks whether it is the latest value up to each later quarter — see
//!   [`after_move`]) rather than from the unit-year's figures before and after, which cost two
//!   computations of the year's stocks and a round trip of its rows (migrations 0025, 0026).
//!   Rows are only ever inserted by writers, so acceptances in different communes never wait
//!   for each other although they add to the same province and country; moves of reports of the
//!   same unit and year are serialised by an advisory lock, since each computes its difference
//!   from what the other may be changing. Draft saves and autosaves touch nothing here.
//! - A compactor (a background task of the server, [`spawn_compactor`], every
//!   [`COMPACT_EVERY`], and once more when the server stops, [`compact_pending`]) folds the keys
//!   of each unit-year that was written, from the earliest quarter written on, into one row per
//!   key, in one statement, so readers stay fast; readers sum whatever rows there are, before or
//!   after compaction alike.
//! - Units at level 3 and below (communes, wards, hamlets) have no roll-up rows: their subtrees
//!   are small and are read live from their reports (`aggregate::parts`).
//! - Writers that bypass the workflow (`danvan synth`, the demo loader, tests writing SQL) call
//!   [`rebuild`]; `danvan rollup verify` ([`verify`]) recomputes everything from the reports with
//!   plain SQL (`rollup_expected`) and lists each difference.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::Datelike;
use sqlx::{FromRow, PgConnection, PgPool};

use super::aggregate::{Basis, Totals};
use super::cache::{Bases, Change};
use crate::reports::Period;
use crate::reports::store::ReportId;
use crate::reports::workflow::Status;
use crate::units::UnitId;

/// Roll-up rows exist for units up to this level (and the country).
pub const MAX_LEVEL: i16 = 2;

/// The key of the country's roll-ups (no unit has id 0).
pub const COUNTRY: UnitId = UnitId(0);

fn basis_number(basis: Basis) -> i16 {
    match basis {
        Basis::Accepted => 1,
        Basis::Submitted => 2,
    }
}

/// `+1` where a move from `from` to `to` brings the report into `basis`, `-1` where it takes
/// it out, 0 where it changes nothing there.
fn entering(basis: Basis, from: Status, to: Status) -> i16 {
    i16::from(basis.counts(to)) - i16::from(basis.counts(from))
}

/// A report's move as the roll-ups see it.
#[derive(Debug, Clone, Copy)]
pub struct ReportMove {
    pub report_id: ReportId,
    pub unit_id: UnitId,
    pub year: i32,
    /// 1–4.
    pub quarter: i16,
    pub from: Status,
    pub to: Status,
}

/// A move under way, between [`before_move`] and [`after_move`].
#[must_use = "pass it to after_move in the same transaction"]
pub struct Pending {
    moved: ReportMove,
    /// The unit's path, for the cache's [`Change`].
    path: String,
}

/// Call before changing the status of a report, in the same transaction: locks the unit-year
/// against other moves (each computes its difference from the statuses of the unit-year's
/// other reports, which a concurrent move could be changing).
pub async fn before_move(tx: &mut PgConnection, moved: ReportMove) -> sqlx::Result<Pending> {
    let path = sqlx::query_scalar!(
        "SELECT (SELECT path::text FROM units WHERE id = $1) AS path FROM pg_advisory_xact_lock($1, $2)",
        moved.unit_id as UnitId,
        moved.year,
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Pending { moved, path: path.unwrap_or_default() })
}

/// Call after the status change: adds the difference the move makes to every roll-up above the
/// unit (its ancestors at level 1–2, itself if it is one, and the country), and writes the
/// change into the log the other servers read ([`super::changes`]). Returns the change for this
/// server's cache, to apply once the transaction has committed.
///
/// The difference comes from the move itself, not from the unit-year's figures computed before
/// and after: a report of quarter q entering a basis adds its values to kind 1 at q; for each
/// stock and each quarter u from q to 4, unless a counted report of the unit from after q up to
/// u has the figure, the report's value replaces the latest one before q (or none) as kind 2
/// at u. Leaving a basis is the same with the opposite sign. Checked against `rollup_expected`
/// (the plain computation) by `dashboards::a_stock_moved_under_a_later_report_counts_only_up_to_it`
/// (moves out of quarter order, which the later-report rule is for) and the random
/// `dashboards::rollups_equal_the_plain_computation_after_every_step`.
pub async fn after_move(tx: &mut PgConnection, pending: Pending) -> sqlx::Result<Change> {
    let Pending { moved, path } = pending;
    let ReportMove { report_id, unit_id, year, quarter, from, to } = moved;
    let accepted = entering(Basis::Accepted, from, to);
    let submitted = entering(Basis::Submitted, from, to);
    let written = if accepted == 0 && submitted == 0 {
        Vec::new()
    } else {
        sqlx::query!(
            "INSERT INTO rollup_delta (unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n)
             WITH moved AS (
                 -- +1 where the report enters the basis, -1 where it leaves it.
                 SELECT basis, d FROM (VALUES (1::smallint, $5::smallint), (2::smallint, $6::smallint)) AS b(basis, d)
                 WHERE d <> 0
             ),
             own AS (
                 SELECT v.element_code, v.organisation_code, v.value, e.aggregation
                 FROM report_values v JOIN data_elements e ON e.code = v.element_code
                 WHERE v.report_id = $1
             ),
             -- The stocks of the unit-year's other reports, in each basis the move changes.
             others AS (
                 SELECT m.basis, r.quarter, v.element_code, v.organisation_code, v.value
                 FROM moved m
                 JOIN reports r ON r.unit_id = $2 AND r.year = $3 AND r.id <> $1
                               AND (r.status = 'da_duyet' OR (m.basis = 2 AND r.status = 'da_gui'))
                 JOIN report_values v ON v.report_id = r.id
                 JOIN data_elements e ON e.code = v.element_code AND e.aggregation = 'last'
             ),
             diff AS (
                 SELECT m.basis, 1::smallint AS kind, $4::smallint AS quarter, o.element_code, o.organisation_code,
                        m.d * o.value AS value, m.d::integer AS n
                 FROM moved m CROSS JOIN own o
                 UNION ALL
                 SELECT m.basis, 2::smallint, u.upto::smallint, o.element_code, o.organisation_code,
                        m.d * (o.value - coalesce(p.value, 0)), m.d * (1 - (p.value IS NOT NULL)::integer)
                 FROM moved m CROSS JOIN own o CROSS JOIN generate_series($4::integer, 4) AS u(upto)
                 LEFT JOIN LATERAL (
                     SELECT x.value FROM others x
                     WHERE x.basis = m.basis AND x.element_code = o.element_code
                       AND x.organisation_code = o.organisation_code AND x.quarter < $4
                     ORDER BY x.quarter DESC LIMIT 1
                 ) p ON true
                 WHERE o.aggregation = 'last'
                   AND NOT EXISTS (
                       SELECT 1 FROM others x
                       WHERE x.basis = m.basis AND x.element_code = o.element_code
                         AND x.organisation_code = o.organisation_code AND x.quarter > $4 AND x.quarter <= u.upto
                   )
             ),
             targets AS (
                 SELECT a.id FROM units u JOIN units a ON a.path @> u.path AND a.level <= $7 WHERE u.id = $2
                 UNION ALL SELECT 0
             )
             SELECT t.id, d.basis, $3, d.kind, d.quarter, d.element_code, d.organisation_code, d.value, d.n
             FROM diff d CROSS JOIN targets t
             WHERE d.value <> 0 OR d.n <> 0
             RETURNING unit_id, basis",
            report_id.0,
            unit_id as UnitId,
            year,
            quarter,
            accepted,
            submitted,
            MAX_LEVEL,
        )
        .fetch_all(&mut *tx)
        .await?
    };
    // Every move changes the report's state, which dashboards of either basis show (who sent,
    // how late, being corrected, the unit's own report): logged whether or not figures moved, so
    // that every server forgets those pages, a move of a report without figures included.
    let bases = Bases::from_numbers(written.iter().map(|row| row.basis)).with(Bases::STATE);
    let mut change = Change::new(path, year, bases);
    // A report from before the reform is also history of the units of today.
    if year <= crate::units::reference::reform_date().year() {
        let successors = crate::units::queries::successor_paths(&mut *tx, &change.path).await?;
        change = change.with_successors(successors);
    }
    super::changes::record(&mut *tx, &change).await?;
    let units: HashSet<UnitId> = written.into_iter().map(|row| UnitId(row.unit_id)).collect();
    // Everything this move wrote lies at `quarter` or later (kind 1 at it, kind 2 from it).
    for unit in units {
        mark_dirty(unit, year, quarter);
    }
    Ok(change)
}

/// Unit-years written by this process and not compacted yet, each with the earliest quarter
/// written (1–4): the rows to fold all lie at that quarter or later.
fn dirty() -> &'static Mutex<HashMap<(UnitId, i32), i16>> {
    static DIRTY: OnceLock<Mutex<HashMap<(UnitId, i32), i16>>> = OnceLock::new();
    DIRTY.get_or_init(Mutex::default)
}

/// Marks a unit-year's rows from quarter `from` on as written and not folded yet (keeping an
/// earlier quarter already marked).
fn mark_dirty(unit: UnitId, year: i32, from: i16) {
    if let Ok(mut dirty) = dirty().lock() {
        let earliest = dirty.entry((unit, year)).or_insert(from);
        *earliest = (*earliest).min(from);
    }
}

/// Unit-years this process has written roll-up rows for and not compacted yet (the compactor
/// runs every [`COMPACT_EVERY`]): readers sum the extra rows meanwhile, so a growing number means slower
/// dashboards, never wrong ones.
pub fn pending_compactions() -> usize {
    dirty().lock().map(|dirty| dirty.len()).unwrap_or(0)
}

/// Folds one unit-year's rows of quarters `from` (1–4) to 4 into one row per key, in one
/// statement: readers see the rows before or after, which add up to the same; writers only
/// insert, so they never wait on it. Only keys holding more than one row are rewritten: the
/// country's year has some 4.000 keys, of which a correction moves a few dozen, and rewriting
/// all of them every few seconds made the write-ahead log (which every commit waits on) carry
/// thousands of rows per correction. Only the quarters written since the last fold are read
/// (`from`; 1 folds the whole year): at quarter-end every move is of Q4, and reading the whole
/// year's keys to find the few written was most of a fold's cost.
pub async fn compact(pool: &PgPool, unit_id: UnitId, year: i32, from: i16) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    // Folding changes no sum, so its commit need not wait for the disk: lost in a crash, the
    // whole fold is undone (the rows it replaced come back) and the next pass folds them again.
    // Every save's commit waits for the flushes in progress, of which this was one a second.
    sqlx::query!("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
    // The rows to fold are named by their `ctid`, read in the same statement: deleting them by
    // key instead scanned, for each key, every row of its unit, year, basis, kind and quarter
    // (the index's prefix; element and organisation are not in it), 11 ms for 150 keys where
    // this takes 2 ms, and up to half a second at quarter-end. Rows are only ever inserted and
    // deleted, so a row another server's fold deletes first is skipped, and the sums are of the
    // rows this statement deleted (`gone`).
    sqlx::query!(
        "WITH keyed AS (
             SELECT ctid AS row_id,
                    count(*) OVER (PARTITION BY basis, kind, quarter, element_code, organisation_code) AS rows
             -- Every basis and kind, so that the index's range starts at `from` in each.
             FROM rollup_delta
             WHERE unit_id = $1 AND year = $2 AND basis = ANY('{1,2}') AND kind = ANY('{1,2}') AND quarter >= $3
         ),
         gone AS (
             DELETE FROM rollup_delta d USING keyed k
             WHERE d.ctid = k.row_id AND k.rows > 1
             RETURNING d.*
         )
         INSERT INTO rollup_delta (unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n)
         SELECT unit_id, basis, year, kind, quarter, element_code, organisation_code, sum(value), sum(n)
         FROM gone GROUP BY 1, 2, 3, 4, 5, 6, 7
         HAVING sum(n) <> 0 OR sum(value) <> 0",
        unit_id as UnitId,
        year,
        from,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// How often the compactor folds what was written. Readers sum every row not folded yet: at
/// quarter-end a province and the country gain some 50 rows per correction in one commune,
/// and five seconds of corrections made their dashboards read thousands of rows more.
pub const COMPACT_EVERY: Duration = Duration::from_secs(1);

/// Compacts what this process wrote and has not compacted yet, now: called every
/// [`COMPACT_EVERY`] and once more when the server stops, so that its last second of roll-up
/// rows is not left for readers to sum until that unit-year is written again. A unit-year that
/// fails is logged and kept for the next call (the rows stay correct, only slower to read).
pub async fn compact_pending(pool: &PgPool) {
    let batch: Vec<((UnitId, i32), i16)> = match dirty().lock() {
        Ok(mut dirty) => dirty.drain().collect(),
        Err(_) => return,
    };
    for ((unit, year), from) in batch {
        if let Err(error) = compact(pool, unit, year, from).await {
            tracing::warn!(%error, %unit, year, "không gộp được số liệu tổng hợp; sẽ thử lại");
            mark_dirty(unit, year, from);
        }
    }
}

/// Compacts, every [`COMPACT_EVERY`], what this process wrote, and once a minute deletes the
/// change log's old rows ([`super::changes::prune`]).
pub fn spawn_compactor(pool: PgPool) {
    tokio::spawn(async move {
        let mut pruned = std::time::Instant::now();
        loop {
            tokio::time::sleep(COMPACT_EVERY).await;
            compact_pending(&pool).await;
            if pruned.elapsed() >= Duration::from_secs(60) {
                pruned = std::time::Instant::now();
                if let Err(error) = super::changes::prune(&pool).await {
                    tracing::debug!(%error, "chưa xóa được nhật ký thay đổi cũ; sẽ thử lại");
                }
            }
        }
    });
}

/// Recomputes every roll-up from the reports (after writers that bypass the workflow: synthetic
/// data, the demo, tests writing SQL). Needs the owner's role (TRUNCATE).
pub async fn rebuild(pool: &PgPool) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let inserted = rebuild_in(&mut tx).await?;
    tx.commit().await?;
    sqlx::query!("ANALYZE rollup_delta").execute(pool).await?;
    Ok(inserted)
}

/// [`rebuild`] inside a transaction of the caller's (the demo loader's, say). One year at a
/// time: the plain computation sorts every value of what it covers, and a year of national data
/// (1,6 million values) keeps that to a few hundred megabytes of temporary files instead of tens
/// of gigabytes.
pub async fn rebuild_in(tx: &mut PgConnection) -> sqlx::Result<u64> {
    // Moves in flight wait for this to finish (the table lock), then add their difference.
    sqlx::query!("TRUNCATE rollup_delta").execute(&mut *tx).await?;
    let mut inserted = 0;
    for year in report_years(&mut *tx).await? {
        inserted += sqlx::query!(
            "INSERT INTO rollup_delta (unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n)
             SELECT unit_id, basis, year, kind, quarter, element_code, organisation_code, value, n
             FROM rollup_expected WHERE year = $1
             -- Stored in the order readers ask for them: one unit-year's rows share a few pages.
             ORDER BY unit_id, year, basis, kind, quarter",
            year,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok(inserted)
}

/// The years that have reports counted by some basis.
async fn report_years(executor: impl sqlx::PgExecutor<'_>) -> sqlx::Result<Vec<i32>> {
    sqlx::query_scalar!("SELECT DISTINCT year FROM reports WHERE status IN ('da_duyet', 'da_gui') ORDER BY year")
        .fetch_all(executor)
        .await
}

/// One roll-up figure that differs from the plain computation.
#[derive(Debug, Clone, FromRow)]
pub struct Difference {
    pub unit_id: UnitId,
    pub basis: i16,
    pub year: i32,
    pub kind: i16,
    pub quarter: i16,
    pub element_code: String,
    pub organisation_code: String,
    /// What the roll-ups hold (`None`: nothing).
    pub stored: Option<String>,
    /// What the reports give.
    pub expected: Option<String>,
}

/// Recomputes every roll-up from the stored values with plain SQL and returns the figures that
/// differ (at most 1 000); empty when the roll-ups are right.
pub async fn verify(pool: &PgPool) -> sqlx::Result<Vec<Difference>> {
    // Every year with either reports or roll-ups, one at a time (see `rebuild_in`).
    let mut years = report_years(pool).await?;
    let stored = sqlx::query_scalar!("SELECT DISTINCT year FROM rollup_delta").fetch_all(pool).await?;
    years.extend(stored);
    years.sort_unstable();
    years.dedup();
    let mut differences = Vec::new();
    for year in years {
        let found = sqlx::query_as!(
            Difference,
            r#"WITH actual AS (
                 SELECT unit_id, basis, year, kind, quarter, element_code, organisation_code,
                        sum(value) AS value, sum(n) AS n
                 FROM rollup_delta WHERE year = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7
                 HAVING sum(n) <> 0 OR sum(value) <> 0
             ),
             expected AS (SELECT * FROM rollup_expected WHERE year = $1)
             SELECT unit_id AS "unit_id!", basis AS "basis!", year AS "year!", kind AS "kind!",
                    quarter AS "quarter!", element_code AS "element_code!",
                    organisation_code AS "organisation_code!",
                    a.value::text || ' (' || a.n || ')' AS "stored?",
                    e.value::text || ' (' || e.n || ')' AS "expected?"
             FROM actual a FULL JOIN expected e USING (unit_id, basis, year, kind, quarter, element_code, organisation_code)
             WHERE a.value IS DISTINCT FROM e.value OR a.n IS DISTINCT FROM e.n
             ORDER BY unit_id, basis, kind, quarter, element_code, organisation_code
             LIMIT 1000"#,
            year,
        )
        .fetch_all(pool)
        .await?;
        differences.extend(found);
        if differences.len() >= 1000 {
            differences.truncate(1000);
            break;
        }
    }
    Ok(differences)
}

struct Row {
    unit_id: UnitId,
    element_code: String,
    organisation_code: String,
    value: rust_decimal::Decimal,
}

/// The subtree totals of `units` (ids of units at level 1–2, or [`COUNTRY`]) for a period and
/// basis: flows summed over the period's quarters, stocks as each unit's latest value within
/// the period, summed. Units without figures are absent from the map.
pub async fn totals(
    pool: &PgPool,
    units: &[UnitId],
    period: Period,
    basis: Basis,
) -> sqlx::Result<HashMap<UnitId, Totals>> {
    // A period lies within one year: its quarters are numbers of that year.
    let last = period.final_quarter();
    let first = period.each_quarter().first().copied().unwrap_or(last);
    let (year, first, last) = (last.year(), first.number(), last.number());
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT d.unit_id, d.element_code, d.organisation_code, sum(d.value) AS "value!"
         FROM rollup_delta d JOIN data_elements e ON e.code = d.element_code
         WHERE d.unit_id = ANY($1) AND d.year = $2 AND d.basis = $3
           AND ((d.kind = 1 AND d.quarter BETWEEN $4 AND $5 AND (e.aggregation = 'sum' OR $4 = $5))
             OR (d.kind = 2 AND d.quarter = $5 AND e.aggregation = 'last' AND $4 < $5))
         GROUP BY 1, 2, 3
         HAVING sum(d.n) <> 0"#,
        units as &[UnitId],
        year,
        basis_number(basis),
        i16::from(first),
        i16::from(last),
    )
    .fetch_all(pool)
    .await?;
    let mut by_unit: HashMap<UnitId, Totals> = HashMap::new();
    for row in rows {
        super::aggregate::add(
            by_unit.entry(row.unit_id).or_default(),
            &row.element_code,
            &row.organisation_code,
            row.value,
        );
    }
    Ok(by_unit)
}

/// Each quarter from `from` to `to` (`year * 10 + quarter`) of one roll-up on its own.
pub async fn quarterly(
    pool: &PgPool,
    unit: UnitId,
    from: i32,
    to: i32,
    basis: Basis,
) -> sqlx::Result<HashMap<i32, Totals>> {
    let rows = sqlx::query!(
        r#"SELECT year * 10 + quarter AS "year_quarter!", element_code, organisation_code, sum(value) AS "value!"
         FROM rollup_delta
         WHERE unit_id = $1 AND basis = $2 AND kind = 1 AND year BETWEEN $3 / 10 AND $4 / 10
           AND year * 10 + quarter BETWEEN $3 AND $4
         GROUP BY 1, 2, 3
         HAVING sum(n) <> 0"#,
        unit as UnitId,
        basis_number(basis),
        from,
        to,
    )
    .fetch_all(pool)
    .await?;
    let mut by_quarter: HashMap<i32, Totals> = HashMap::new();
    for row in rows {
        super::aggregate::add(
            by_quarter.entry(row.year_quarter).or_default(),
            &row.element_code,
            &row.organisation_code,
            row.value,
        );
    }
    Ok(by_quarter)
}
