//! The drill-down, `GET /dashboards/{unit}/drill?indicator=…` (or `key=ELEMENT[.ORG]`): what a
//! figure is made of — the unit's own report and each unit's subtree directly below, which add
//! up to the whole, the units below with nothing counted (not reported, or being corrected),
//! and at the unit itself the reports and fields the figure came from. For a stock over several
//! quarters each part says which quarter its figure is from.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rust_decimal::Decimal;

use super::aggregate::{self, Basis, Totals};
use super::body::{CORRECTING, NOT_REPORTED};
use super::history;
use super::scope::{DashboardQuery, Scope, basis_query, scope, unit_date_query};
use crate::auth::CurrentUser;
use crate::catalogue::Catalogue;
use crate::error::{AppError, AppResult};
use crate::format;
use crate::replica::routing::ReadPool;
use crate::reports::Period;
use crate::units::UnitId;
use crate::units::address::UnitAddress;
use crate::units::{Level, Unit, tree};
use crate::web::{AppState, Layout, render};

/// One line of the drill-down: a part of the figure, or the total.
pub struct DrillRow {
    pub name: String,
    pub href: Option<String>,
    /// `None`: nobody reported it (shown empty, never 0).
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub text: String,
}

impl DrillRow {
    pub fn numerator_text(&self) -> String {
        self.numerator.map(|n| format::format_number(n, 2)).unwrap_or_default()
    }

    pub fn denominator_text(&self) -> String {
        self.denominator.map(|d| format::format_number(d, 2)).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "dashboards/drill.html")]
struct DrillPage {
    layout: Layout,
    scope_name: String,
    period: Period,
    title: String,
    unit_of_measure: String,
    has_denominator: bool,
    rows: Vec<DrillRow>,
    total: DrillRow,
    sources: Vec<(String, String, String)>,
    back: String,
}

/// For a stock over several quarters, the latest quarter within `(from, to)` (year × 10 +
/// quarter) in which each part's units reported one of `codes`: the quarter a part's figure is
/// from (its units' latest values; the latest of them when they differ).
async fn latest_quarters(
    pool: &sqlx::PgPool,
    scope: &Scope,
    parts: &BTreeMap<String, Totals>,
    codes: &[String],
    (from, to): (i32, i32),
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Period>> {
    let own = scope.path().map(str::to_owned);
    let paths: Vec<String> = parts.keys().filter(|p| Some(p.as_str()) != own.as_deref()).cloned().collect();
    // The ltree path is bound as text (`as _`: the macros' check expects PgLTree).
    let rows = sqlx::query!(
        r#"SELECT c.path::text AS "path!", max(r.year * 10 + r.quarter) AS "latest!"
         FROM (SELECT p::ltree AS path, false AS own FROM UNNEST($1::text[]) AS p
               UNION ALL SELECT $2::ltree, true WHERE $2 IS NOT NULL) AS c
         JOIN units u ON (c.own AND u.path = c.path) OR (NOT c.own AND u.path <@ c.path)
         JOIN reports r ON r.unit_id = u.id AND r.year * 10 + r.quarter BETWEEN $3 AND $4 AND r.status = ANY($5)
         WHERE EXISTS (SELECT 1 FROM report_values v WHERE v.report_id = r.id AND v.element_code = ANY($6))
         GROUP BY c.path"#,
        &paths,
        own as _,
        from,
        to,
        &basis.statuses(),
        codes,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let quarter = u8::try_from(row.latest % 10).ok()?;
            Some((row.path, Period::Quarter { year: row.latest / 10, quarter }))
        })
        .collect())
}

/// What a figure is made of: the unit's own report and each sub-unit's subtree, which add up
/// to the whole; at a unit without sub-units, the reports and fields it came from.
pub async fn drill(
    State(state): State<AppState>,
    read: ReadPool,
    layout: Layout,
    user: CurrentUser,
    UnitAddress(code): UnitAddress,
    Query(query): Query<DashboardQuery>,
) -> AppResult<Response> {
    let view = state.aggregates.view_for(&read).await?;
    // Every read of the page from the view's database: the replica or the primary.
    let pool = view.pool();
    let scope = scope(&view, &user, &code, &query.period, &query.unit_date).await?;
    let basis = Basis::parse(&query.basis);
    let catalogue = Catalogue::load(pool).await?;
    let period = scope.period;
    let q = basis_query(basis);
    // Either an indicator (numerator and denominator) or one element key.
    let indicator = catalogue.indicator(&query.indicator).cloned();
    let key = query.key.clone();
    let (title, unit_of_measure) = match (&indicator, key.split_once('.').map(|(c, _)| c).unwrap_or(&key)) {
        (Some(ind), _) => (ind.name.clone(), ind.unit.clone()),
        (None, code) => {
            let element = catalogue.element(code).ok_or(AppError::NotFound)?;
            (element.name.clone(), element.unit_of_measure.clone())
        }
    };
    // A figure nobody reported is "chưa báo cáo", never 0; a reported 0/0 reads "0/0 (—)".
    let measure = |totals: &Totals| -> (Option<Decimal>, Option<Decimal>, String) {
        match &indicator {
            Some(ind) => match aggregate::reading(ind, totals) {
                Some(r) => (Some(r.numerator), r.denominator, ind.format(r.numerator, r.denominator)),
                None => (None, None, NOT_REPORTED.to_lowercase()),
            },
            None => match totals.get(&key) {
                Some(v) => (Some(*v), None, format::format_number(*v, 2)),
                None => (None, None, NOT_REPORTED.to_lowercase()),
            },
        }
    };
    // The element codes the figure reads, and whether it is a stock (each unit's latest value
    // within the period: the page says which quarter that was).
    let codes: Vec<String> = match &indicator {
        Some(ind) => ind
            .numerator_expression()
            .into_iter()
            .chain(ind.denominator_expression())
            .flat_map(|e| e.terms.into_iter().map(|t| t.code))
            .collect(),
        None => vec![key.split('.').next().unwrap_or(&key).to_owned()],
    };
    let is_stock = codes.iter().any(|c| catalogue.element(c).is_some_and(|e| e.is_stock()));
    let composite = history::composite(&view, scope.unit.as_ref(), period, basis).await?;
    let parts = &composite.parts;
    let names: BTreeMap<String, (String, String)> = {
        let ids: Vec<UnitId> = parts.keys().filter_map(|p| aggregate::root_id(p)).collect();
        tree::names(pool, &ids).await?.into_iter().map(|u| (u.path, (u.name, u.code))).collect()
    };
    let selector = match &indicator {
        Some(ind) => format!("indicator={}", ind.code),
        None => format!("key={key}"),
    };
    let (from, to) = period.sql_bounds();
    let latest = match is_stock && from != to {
        true => latest_quarters(pool, &scope, parts, &codes, (from, to), basis).await?,
        false => BTreeMap::new(),
    };
    let mut rows = Vec::new();
    for (path, totals) in parts.iter() {
        let (numerator, denominator, mut text) = measure(totals);
        if let Some(quarter) = latest.get(path).filter(|_| numerator.is_some()) {
            text = format!("{text} ({})", quarter.label());
        }
        let (name, child_code) = names.get(path).cloned().unwrap_or_else(|| (path.clone(), String::new()));
        let is_own = Some(path.as_str()) == scope.path();
        let unit_date =
            composite.children.iter().find(|c| c.path == *path).map(|c| unit_date_query(c, period)).unwrap_or_default();
        let own_label = if composite.era == history::Era::Own {
            "báo cáo của chính đơn vị"
        } else {
            "báo cáo của chính đơn vị; số liệu trước 01/07/2025 của tỉnh, huyện cũ không thuộc đơn vị nào bên dưới"
        };
        rows.push(DrillRow {
            name: if is_own { format!("{name} ({own_label})") } else { name },
            href: (!is_own)
                .then(|| format!("/dashboards/{child_code}/drill?period={}&{selector}{q}{unit_date}", period.code())),
            numerator,
            denominator,
            text,
        });
    }
    // Units directly below with nothing in the totals: not reported, or being corrected.
    let quarter = period.final_quarter();
    let silent: Vec<&Unit> =
        composite.children.iter().filter(|c| c.level <= Level::Commune && !parts.contains_key(&c.path)).collect();
    let ids: Vec<UnitId> = silent.iter().map(|c| c.id).collect();
    let states = crate::reports::store::overview(pool, &ids, quarter).await?;
    for child in silent {
        let correcting = states.iter().any(|r| r.unit_id == child.id && r.is_being_corrected());
        rows.push(DrillRow {
            name: child.name.clone(),
            href: Some(format!(
                "/dashboards/{}/drill?period={}&{selector}{q}{}",
                child.code,
                period.code(),
                unit_date_query(child, period)
            )),
            numerator: None,
            denominator: None,
            text: if correcting { CORRECTING.to_owned() } else { NOT_REPORTED.to_lowercase() },
        });
    }
    let whole = composite.totals();
    let (numerator, denominator, text) = measure(&whole);
    let total = DrillRow { name: format!("Tổng {}", scope.name()), href: None, numerator, denominator, text };

    // The reports the unit's own figure came from, with the field.
    let mut sources = Vec::new();
    if let Some(unit) = &scope.unit {
        let rows = crate::reports::store::figures_of(pool, unit.id, (from, to), &codes, &basis.statuses()).await?;
        for row in rows {
            let (element, org) = (row.element_code, row.organisation_code);
            let report = Period::Quarter { year: row.year, quarter: row.quarter as u8 };
            let field = if org.is_empty() { element.clone() } else { format!("{element}.{org}") };
            let name = catalogue.element(&element).map(|e| e.name.clone()).unwrap_or(element);
            sources.push((
                format!("/reports/{}/{}#f-{field}", unit.code, report.code()),
                format!(
                    "{} — {}{}",
                    report.label(),
                    name,
                    if org.is_empty() { String::new() } else { format!(" ({org})") }
                ),
                format::format_number(row.value, 2),
            ));
        }
    }
    Ok(render(&DrillPage {
        layout,
        scope_name: scope.name(),
        back: format!("/dashboards/{}?period={}{q}{}", scope.code(), period.code(), scope.unit_date_query()),
        period,
        title,
        unit_of_measure,
        has_denominator: indicator.as_ref().is_some_and(|i| !i.denominator.trim().is_empty()),
        rows,
        total,
        sources,
    }))
}
