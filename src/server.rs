//! Start-up shared by the CLI and the tests: open the database, migrate, load the reference
//! data, and serve until a shutdown signal.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::{AppConfig, GlobalOptions};
use crate::db::{self, Database};
use crate::web::AppState;

/// The office name shown when neither the settings table nor the configuration names one.
const DEFAULT_OFFICE_NAME: &str = "Ban Dân vận";

/// Opens (and if needed creates and starts) the database, applies migrations and loads the
/// official unit lists.
pub async fn open(global: &GlobalOptions, max_connections: u32) -> anyhow::Result<(Database, PgPool)> {
    let database = Database::open(global.database_url.as_deref(), &global.data_dir).await?;
    let pool = match db::pool(database.connect_options(), max_connections).await {
        Ok(pool) => pool,
        Err(error) => {
            database.shutdown();
            return Err(error);
        }
    };
    let prepared = async {
        db::migrate(&pool).await?;
        crate::units::reference::ensure_loaded(&pool).await.context("nạp danh mục đơn vị hành chính")?;
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = prepared {
        pool.close().await;
        database.shutdown();
        return Err(error);
    }
    Ok((database, pool))
}

pub async fn app_config(pool: &PgPool, global: &GlobalOptions, secure_cookies: bool) -> anyhow::Result<AppConfig> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'office_name'").fetch_optional(pool).await?;
    let office_name = global
        .office_name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .or(stored)
        .unwrap_or_else(|| DEFAULT_OFFICE_NAME.to_owned());
    Ok(AppConfig { office_name, secure_cookies })
}

pub fn state(pool: PgPool, config: AppConfig) -> AppState {
    AppState { pool, config: Arc::new(config), aggregates: Arc::default() }
}

/// Serves until SIGINT or SIGTERM; requests in flight are allowed to finish.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    axum::serve(listener, crate::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("máy chủ HTTP dừng bất thường")
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("nhận tín hiệu dừng: hoàn tất các yêu cầu đang xử lý rồi tắt");
}
