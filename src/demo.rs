//! `serve --demo`: loads the demo dataset (files under `reference/`) into an empty database.

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;

const DEMO_SETTINGS: &str = include_str!("../reference/demo/settings.csv");
const DEMO_ACCOUNTS: &str = include_str!("../reference/demo/accounts.csv");

/// The password of every demo account (listed in the README).
pub const DEMO_PASSWORD: &str = "Demo@2026";

#[derive(Deserialize)]
struct Account {
    username: String,
    full_name: String,
    unit_code: String,
    as_of: String,
    roles: String,
}

#[derive(Deserialize)]
struct Setting {
    key: String,
    value: String,
}

/// Loads the demo data once; a database that already holds it (or real data) is left alone.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock(7294002)").execute(&mut *tx).await?;
    let loaded =
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM reference_data WHERE name = 'demo') AS "loaded!""#)
            .fetch_one(&mut *tx)
            .await?;
    if loaded {
        return Ok(());
    }
    // A deployment with accounts of its own is real: the demo (with its published password)
    // is never mixed into it.
    let has_accounts =
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM users) AS "has_accounts!""#).fetch_one(&mut *tx).await?;
    if has_accounts {
        tracing::warn!(
            "--demo bỏ qua: cơ sở dữ liệu đã có tài khoản thật, không nạp dữ liệu mẫu / --demo ignored: the database already has accounts"
        );
        return Ok(());
    }
    let mut reader = csv::Reader::from_reader(DEMO_SETTINGS.as_bytes());
    for setting in reader.deserialize::<Setting>() {
        let setting = setting?;
        sqlx::query!(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            setting.key,
            setting.value,
        )
        .execute(&mut *tx)
        .await?;
    }
    load_accounts(&mut tx).await?;
    crate::catalogue::load_demo(&mut tx).await.context("danh mục chỉ tiêu mẫu")?;
    crate::directives::load_demo(&mut tx).await.context("văn bản chỉ đạo mẫu")?;
    crate::reports::demo::load(&mut tx).await.context("báo cáo quý mẫu")?;
    crate::offices::load_demo(&mut tx).await.context("cơ quan ban hành mẫu")?;
    sqlx::query!("INSERT INTO reference_data (name, checksum) VALUES ('demo', '1')").execute(&mut *tx).await?;
    // The demo reports were written directly, not moved through the workflow.
    crate::dashboards::rollup::rebuild_in(&mut tx).await?;
    tx.commit().await?;
    tracing::info!("đã nạp dữ liệu mẫu");
    Ok(())
}

async fn load_accounts(tx: &mut sqlx::PgConnection) -> anyhow::Result<()> {
    // One hash for all: they share the documented demo password.
    let hash = crate::auth::password::hash(DEMO_PASSWORD.to_owned()).await?;
    let actor = crate::audit::Actor::system("demo");
    let mut reader = csv::Reader::from_reader(DEMO_ACCOUNTS.as_bytes());
    for account in reader.deserialize::<Account>() {
        let account = account?;
        let unit_id = if account.unit_code == crate::units::NATIONAL_CODE {
            None
        } else {
            let date = crate::units::parse_date(&account.as_of)
                .with_context(|| format!("accounts.csv: ngày {} không hợp lệ", account.as_of))?;
            let unit = crate::units::queries::resolve_in(&mut *tx, &account.unit_code, date)
                .await?
                .with_context(|| format!("accounts.csv: không có đơn vị {}", account.unit_code))?;
            Some(unit.id)
        };
        let roles: Vec<String> = account.roles.split(';').map(|r| r.trim().to_owned()).collect();
        let id = sqlx::query_scalar!(
            "INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING RETURNING id",
            account.username,
            account.full_name,
            unit_id as Option<crate::units::UnitId>,
            &roles,
            hash,
        )
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_default();
        let entry = crate::audit::Entry {
            action: "create",
            entity: "user",
            entity_id: id.to_string(),
            unit_id,
            before: None,
            after: Some(serde_json::json!({"username": account.username, "roles": roles})),
        };
        crate::audit::record(&mut *tx, &actor, entry).await?;
    }
    Ok(())
}
