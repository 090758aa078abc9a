//! `danvan synth`: national-scale synthetic data for the benchmark — every pre-reform commune,
//! about 40 figures, quarterly for ten years (some 16 million values), then every commune of
//! the two-tier tree from 2025-Q3 to 2026-Q3, so that dashboards are measured across the reform;
//! generated inside PostgreSQL so that it takes well under a minute. A bulk load, not a
//! workflow: it writes `reports` and `report_values` itself (dropping and rebuilding their
//! constraints around the insert), then rebuilds the roll-ups from them once.

use std::time::Instant;

use anyhow::{Context, bail};
use sqlx::PgPool;

use crate::catalogue::Catalogue;
use crate::reports::{Quarter, entry};

/// The ten years before the reform: 2015-Q3 … 2025-Q2 (40 quarters).
pub const FIRST: Quarter = Quarter::fixed(2015, 3);
pub const LAST: Quarter = Quarter::fixed(2025, 2);
/// The two-tier tree since 1 July 2025: 2025-Q3 … 2026-Q3 (5 quarters).
pub const NEW_FIRST: Quarter = Quarter::fixed(2025, 3);
pub const NEW_LAST: Quarter = Quarter::fixed(2026, 3);

/// Runs one fixed statement of the bulk load, named in the error when it fails.
macro_rules! run {
    ($tx:ident, $sql:literal) => {
        sqlx::query!($sql).execute(&mut *$tx).await.with_context(|| $sql)?
    };
}

pub async fn run(pool: &PgPool, elements: usize) -> anyhow::Result<()> {
    run_within(pool, elements, None).await
}

/// [`run`] for the units under the provinces with the code `province` only (in both trees: a
/// reused code means the old province and the new one), or the whole country with `None`.
pub async fn run_within(pool: &PgPool, elements: usize, province: Option<&str>) -> anyhow::Result<()> {
    let started = Instant::now();
    let existing = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM reports"#).fetch_one(pool).await?;
    if existing > 0 {
        bail!(
            "Cơ sở dữ liệu đã có {existing} báo cáo: dùng synth trên một thư mục dữ liệu (hoặc DATABASE_URL) riêng. \
             / The database already holds reports: run synth on a separate data directory."
        );
    }
    let mut catalogue = Catalogue::load(pool).await?;
    if catalogue.elements.is_empty() {
        let mut tx = pool.begin().await?;
        crate::catalogue::load_demo(&mut tx).await.context("danh mục mẫu")?;
        tx.commit().await?;
        catalogue = Catalogue::load(pool).await?;
    }
    let keys: Vec<String> = entry::fields(&catalogue, crate::units::Level::Commune)
        .into_iter()
        .filter(|f| f.element.value_type != crate::catalogue::ValueType::Boolean)
        .map(|f| f.key)
        .take(elements)
        .collect();
    let (codes, orgs): (Vec<String>, Vec<String>) = keys
        .iter()
        .map(|k| {
            let (c, o) = entry::split_key(k);
            (c.to_owned(), o.to_owned())
        })
        .unzip();
    // The communes of the old tree (in force until the eve of the reform) over the ten years,
    // and those of the two-tier tree (in force from the reform) since.
    let reform = crate::units::reference::reform_date();
    let reports = sqlx::query!(
        "INSERT INTO reports (unit_id, year, quarter, status, version, submitted_at, reviewed_at)
         SELECT u.id, q.yq / 10, q.yq % 10, 'da_duyet', 1,
                make_date(q.yq / 10, (q.yq % 10) * 3, 18), make_date(q.yq / 10, (q.yq % 10) * 3, 25)
         FROM units u
         CROSS JOIN (SELECT y * 10 + qq AS yq FROM generate_series($1 / 10, $4 / 10) y, generate_series(1, 4) qq) q
         WHERE u.level = 3
           AND ((u.valid_to = $5::date - 1 AND q.yq BETWEEN $1 AND $2)
                OR (u.valid_from = $5::date AND q.yq BETWEEN $3 AND $4))
           AND ($6::text IS NULL
                OR u.path <@ ANY (ARRAY(SELECT p.path FROM units p WHERE p.level = 1 AND p.code = $6)))",
        FIRST.sql_key(),
        LAST.sql_key(),
        NEW_FIRST.sql_key(),
        NEW_LAST.sql_key(),
        reform,
        province,
    )
    .execute(pool)
    .await?
    .rows_affected();
    // Bulk load: checking two foreign keys and maintaining two indexes row by row is most of the
    // cost, so they are dropped and rebuilt (and validated) once, in the same transaction.
    let mut tx = pool.begin().await?;
    run!(tx, "SET LOCAL maintenance_work_mem = '512MB'");
    run!(tx, "SET LOCAL synchronous_commit = off");
    run!(tx, "ALTER TABLE report_values DROP CONSTRAINT report_values_report_id_fkey");
    run!(tx, "ALTER TABLE report_values DROP CONSTRAINT report_values_element_code_fkey");
    run!(tx, "ALTER TABLE report_values DROP CONSTRAINT report_values_pkey");
    run!(tx, "DROP INDEX report_values_element");
    // Values: a stable pseudo-random figure per unit, element and quarter; stocks grow slowly.
    let values = sqlx::query!(
        "INSERT INTO report_values (report_id, element_code, organisation_code, value)
         SELECT r.id, k.code, k.org,
                CASE WHEN e.aggregation = 'last'
                     THEN 200 + (hashtext(r.unit_id::text || k.code || k.org) & 1023) + (r.year - 2015) * 7
                     ELSE (hashtext(r.id::text || k.code || k.org) & 31) END
         FROM reports r
         CROSS JOIN UNNEST($1::text[], $2::text[]) AS k(code, org)
         JOIN data_elements e ON e.code = k.code",
        &codes,
        &orgs,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    run!(
        tx,
        "ALTER TABLE report_values ADD CONSTRAINT report_values_pkey
             PRIMARY KEY (report_id, element_code, organisation_code)"
    );
    run!(tx, "CREATE INDEX report_values_element ON report_values (element_code)");
    run!(
        tx,
        "ALTER TABLE report_values ADD CONSTRAINT report_values_report_id_fkey
             FOREIGN KEY (report_id) REFERENCES reports (id) ON DELETE CASCADE NOT VALID"
    );
    run!(
        tx,
        "ALTER TABLE report_values ADD CONSTRAINT report_values_element_code_fkey
             FOREIGN KEY (element_code) REFERENCES data_elements (code) NOT VALID"
    );
    run!(tx, "ALTER TABLE report_values VALIDATE CONSTRAINT report_values_report_id_fkey");
    run!(tx, "ALTER TABLE report_values VALIDATE CONSTRAINT report_values_element_code_fkey");
    tx.commit().await?;
    sqlx::query!("ANALYZE reports").execute(pool).await?;
    sqlx::query!("ANALYZE report_values").execute(pool).await?;
    // Written directly, not through the workflow: the roll-ups are computed once from them.
    let rolled = std::time::Instant::now();
    let rows = super::rollup::rebuild(pool).await?;
    println!(
        "Đã dựng {} dòng số liệu tổng hợp trong {:.1} giây.",
        crate::format::integer(rows as i64),
        rolled.elapsed().as_secs_f64()
    );
    let quarters = |(first, last): (Quarter, Quarter)| {
        (last.year() - first.year()) * 4 + i32::from(last.number()) - i32::from(first.number()) + 1
    };
    println!(
        "Đã sinh {} báo cáo và {} giá trị ({} chỉ tiêu; {} quý trước sắp xếp, {} quý từ 01/7/2025) trong {:.1} giây.",
        crate::format::integer(reports as i64),
        crate::format::integer(values as i64),
        keys.len(),
        quarters((FIRST, LAST)),
        quarters((NEW_FIRST, NEW_LAST)),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
