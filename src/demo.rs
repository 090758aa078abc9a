//! `serve --demo`: loads the demo dataset (files under `reference/`) into an empty database.

use serde::Deserialize;
use sqlx::PgPool;

const DEMO_SETTINGS: &str = include_str!("../reference/demo-settings.csv");

#[derive(Deserialize)]
struct Setting {
    key: String,
    value: String,
}

/// Loads the demo data once; a database that already holds it (or real data) is left alone.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(7294002)")
        .execute(&mut *tx)
        .await?;
    let loaded: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM reference_data WHERE name = 'demo')")
            .fetch_one(&mut *tx)
            .await?;
    if loaded {
        return Ok(());
    }
    let mut reader = csv::Reader::from_reader(DEMO_SETTINGS.as_bytes());
    for setting in reader.deserialize::<Setting>() {
        let setting = setting?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&setting.key)
        .bind(&setting.value)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO reference_data (name, checksum) VALUES ('demo', '1')")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!("đã nạp dữ liệu mẫu");
    Ok(())
}
