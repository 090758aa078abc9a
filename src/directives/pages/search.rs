//! The list of directives: accent-insensitive search with filters, each result with a snippet.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::directives::display;
use crate::directives::number::{DirectiveKind, Issuer};
use crate::directives::store::{self, Directive, DirectiveStatus};
use crate::error::{AppError, AppResult};
use crate::web::{AppState, Layout, render};

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    status: String,
}

pub struct ResultRow {
    pub directive: Directive,
    pub snippet: display::Snippet,
}

/// The longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// How many results a search shows.
pub const MAX_RESULTS: i64 = 200;
/// Characters of context on each side of the match in a snippet.
const SNIPPET_WIDTH: usize = 90;

#[derive(Template)]
#[template(path = "directives/index.html")]
struct IndexPage {
    layout: Layout,
    query: SearchQuery,
    can_create: bool,
    kinds: [(&'static str, &'static str); 10],
    issuers: [(&'static str, &'static str); 4],
    statuses: [(&'static str, &'static str); 3],
    year_error: Option<String>,
    query_error: Option<String>,
    results: Vec<ResultRow>,
}

pub(super) async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> AppResult<Response> {
    let (year, year_error) = match query.year.trim() {
        "" => (None, None),
        text => match text.parse::<i32>().ok().filter(|y| (1930..=2100).contains(y)) {
            Some(year) => (Some(year), None),
            None => (None, Some("Năm không hợp lệ: nhập 4 chữ số, ví dụ 2021.".to_owned())),
        },
    };
    let text = query.q.trim();
    let query_error = (text.chars().count() > MAX_QUERY_CHARS)
        .then(|| format!("Từ khóa dài quá {MAX_QUERY_CHARS} ký tự: hãy rút gọn còn vài từ đặc trưng rồi tìm lại."));
    let filter = store::SearchFilter {
        query: text,
        kind: query.kind.parse().ok(),
        issuer: query.issuer.parse().ok(),
        year,
        status: query.status.parse().ok(),
    };
    let results = if query_error.is_some() {
        Vec::new()
    } else {
        let found = store::search(&state.pool, &filter, MAX_RESULTS).await?;
        let needle = text.to_owned();
        // Bounded (a window per result), but still CPU: off the async threads.
        tokio::task::spawn_blocking(move || {
            found
                .into_iter()
                .map(|f| ResultRow {
                    snippet: display::result_snippet(&f, &needle, SNIPPET_WIDTH),
                    directive: f.directive,
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    };
    let invalid = year_error.is_some() || query_error.is_some();
    // Only data entry and administrators can ever be an issuing office's editors.
    let can_create = user.has(crate::auth::Role::DataEntry) || user.is_admin();
    let page = IndexPage {
        layout,
        query,
        can_create,
        kinds: DirectiveKind::CHOICES,
        issuers: Issuer::CHOICES,
        statuses: DirectiveStatus::CHOICES,
        year_error,
        query_error,
        results,
    };
    crate::error::page_or_invalid(render(&page), invalid)
}
