//! The audit log: who changed what, when, before and after. Append-only (the database refuses
//! UPDATE, DELETE and TRUNCATE on it).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgExecutor;

use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action};
use crate::error::AppResult;
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Layout, render};

/// Who did it, as the log records it.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<crate::auth::UserId>,
    pub name: String,
    pub client: String,
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Actor { user_id: None, name: name.to_owned(), client: String::new() }
    }

    pub fn with_client(mut self, client: &str) -> Self {
        self.client = client.to_owned();
        self
    }
}

pub struct Entry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub unit_id: Option<crate::units::UnitId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record<'e>(executor: impl PgExecutor<'e>, actor: &Actor, entry: Entry<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor_name, action, entity, entity_id, unit_id, before, after, client)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        actor.user_id as Option<crate::auth::UserId>,
        &actor.name,
        entry.action,
        entry.entity,
        &entry.entity_id,
        entry.unit_id as Option<crate::units::UnitId>,
        entry.before,
        entry.after,
        &actor.client,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// [`record`] of many entries by one actor in one statement, in their order (an import of a
/// province's year writes one entry for each of its 2 000 reports).
pub async fn record_many<'e>(executor: impl PgExecutor<'e>, actor: &Actor, entries: &[Entry<'_>]) -> sqlx::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let actions: Vec<&str> = entries.iter().map(|e| e.action).collect();
    let entities: Vec<&str> = entries.iter().map(|e| e.entity).collect();
    let ids: Vec<&str> = entries.iter().map(|e| e.entity_id.as_str()).collect();
    let units: Vec<Option<crate::units::UnitId>> = entries.iter().map(|e| e.unit_id).collect();
    let before: Vec<Option<&serde_json::Value>> = entries.iter().map(|e| e.before.as_ref()).collect();
    let after: Vec<Option<&serde_json::Value>> = entries.iter().map(|e| e.after.as_ref()).collect();
    // The arrays hold borrowed and optional elements, which the macro's type check does not
    // know (`as _`); their SQL types are the casts in the statement.
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor_name, action, entity, entity_id, unit_id, before, after, client)
         SELECT $1, $2, e.action, e.entity, e.entity_id, e.unit_id, e.before, e.after, $3
         FROM UNNEST($4::text[], $5::text[], $6::text[], $7::int[], $8::jsonb[], $9::jsonb[])
              WITH ORDINALITY AS e(action, entity, entity_id, unit_id, before, after, n)
         ORDER BY e.n",
        actor.user_id as Option<crate::auth::UserId>,
        &actor.name,
        &actor.client,
        actions as _,
        entities as _,
        ids as _,
        units as _,
        before as _,
        after as _,
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::new(Method::GET, "/admin/audit", "/admin/audit", Access::Admin, get(index))]
}

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    user: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Debug)]
pub struct Row {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub unit_name: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub client: String,
}

impl Row {
    pub fn when(&self) -> String {
        self.at.with_timezone(&crate::format::VIETNAM).format("%d/%m/%Y %H:%M:%S").to_string()
    }

    pub fn before_text(&self) -> String {
        self.before.as_ref().map(|v| v.to_string()).unwrap_or_default()
    }

    pub fn after_text(&self) -> String {
        self.after.as_ref().map(|v| v.to_string()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "audit/index.html")]
struct IndexPage {
    layout: Layout,
    filters: Filters,
    entities: Vec<String>,
    rows: Vec<Row>,
    date_error: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Query(filters): Query<Filters>,
) -> AppResult<Response> {
    let own = user.unit.as_ref();
    authz::authorize(&user, Action::ViewAudit, own.map(authz::Place::from))?;
    let parse = |text: &str| -> Result<Option<NaiveDate>, ()> {
        if text.trim().is_empty() { Ok(None) } else { crate::units::parse_date(text).map(Some).ok_or(()) }
    };
    let (from, to, date_error) = match (parse(&filters.from), parse(&filters.to)) {
        (Ok(from), Ok(to)) => (from, to, None),
        _ => (None, None, Some("Ngày không hợp lệ: nhập theo dạng 31/12/2025.".to_owned())),
    };
    let unit_pattern = format!("%{}%", crate::text::like_escape(&crate::text::fold(&filters.unit)));
    // Subtree administrators see the entries of their subtree; national ones see everything.
    let rows: Vec<Row> = sqlx::query_as!(
        Row,
        "SELECT a.id, a.at, a.actor_name, a.action, a.entity, a.entity_id, n.name AS \"unit_name?\",
                a.before, a.after, a.client
         FROM audit_log a
         LEFT JOIN units n ON n.id = a.unit_id
         WHERE ($1::ltree IS NULL OR n.path <@ $1::ltree)
           AND ($2 = '%%' OR a.actor_name ILIKE $2)
           AND ($3 = '%%' OR n.search_key LIKE $3)
           AND ($4 = '' OR a.entity = $4)
           AND ($5::date IS NULL OR a.at >= ($5::date - interval '7 hours'))
           AND ($6::date IS NULL OR a.at < ($6::date + interval '17 hours'))
         ORDER BY a.id DESC LIMIT 500",
        own.map(|u| u.path.clone()) as _,
        format!("%{}%", crate::text::like_escape(filters.user.trim())),
        &unit_pattern,
        filters.entity.trim(),
        from,
        to,
    )
    .fetch_all(&state.pool)
    .await?;
    // The distinct entities by skipping through the (entity, entity_id) index, one probe per
    // entity, instead of scanning the whole (ever-growing) log on every view.
    let entities: Vec<String> = sqlx::query_scalar!(
        r#"WITH RECURSIVE e AS (
             SELECT min(entity) AS entity FROM audit_log
             UNION ALL
             SELECT (SELECT min(entity) FROM audit_log WHERE entity > e.entity) FROM e WHERE e.entity IS NOT NULL
         )
         SELECT entity AS "entity!" FROM e WHERE entity IS NOT NULL ORDER BY entity"#,
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(render(&IndexPage { layout, filters, entities, rows, date_error }))
}
