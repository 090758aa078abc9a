//! Reporting completeness: of the units directly below that report (hamlets' figures are their
//! commune's), which sent the report of the period's last quarter, which late and which not at
//! all, and whose accepted report was reopened; a unit with none below says its own report's
//! state instead of "0/0".

use crate::dashboards::cache::View;
use crate::dashboards::history::Composite;
use crate::dashboards::scope::Scope;
use crate::reports::Period;
use crate::reports::store::Status;
use crate::reports::store::days_late;
use crate::units::UnitId;
use crate::units::{Level, Unit};

/// Who sent the report of the period's last quarter.
pub struct Completeness {
    /// How many of the units directly below sent it.
    pub submitted: usize,
    /// How many units directly below report.
    pub expected: usize,
    /// "Xã A (muộn 3 ngày)".
    pub late: Vec<String>,
    pub missing: Vec<String>,
    /// Units whose accepted report was reopened and is being corrected (out of the totals).
    pub correcting: Vec<String>,
    /// A unit without reporting units below: its own report's state, instead of "0/0".
    pub own_report: Option<String>,
}

pub async fn completeness(view: &View<'_>, scope: &Scope, composite: &Composite) -> sqlx::Result<Completeness> {
    let pool = view.pool();
    let period = scope.period;
    let unit = scope.unit.as_ref();
    let quarter = period.final_quarter();
    let reporting: Vec<&Unit> = composite.children.iter().filter(|u| u.level <= Level::Commune).collect();
    let ids: Vec<UnitId> = reporting.iter().map(|u| u.id).chain(unit.map(|u| u.id)).collect();
    let rows = view.reporting(scope.path(), &ids, period).await?;
    let due = view.metadata("calendar", String::new(), || crate::reports::calendar(pool)).await?.due(quarter);
    let mut submitted = 0;
    let mut late = Vec::new();
    let mut missing = Vec::new();
    let mut correcting = Vec::new();
    for child in &reporting {
        let row = rows.iter().find(|r| r.unit_id == child.id);
        if row.is_some_and(|r| r.is_being_corrected()) {
            correcting.push(child.name.clone());
        }
        match row.and_then(|r| r.first_submitted_at) {
            Some(at) => {
                submitted += 1;
                let days = days_late(at, due);
                if days > 0 {
                    late.push(format!("{} (muộn {days} ngày)", child.name));
                }
            }
            None => missing.push(child.name.clone()),
        }
    }
    let own_report = match unit.filter(|_| reporting.is_empty()) {
        Some(own) => {
            let row = rows.iter().find(|r| r.unit_id == own.id);
            // A draft is not a report yet: it reads as none, as it does in the counts above.
            // (Saving a draft logs no change for the cache, so a page that showed "nháp" would
            // depend on whether it was cached before the first save.)
            let state = match row {
                Some(r) if r.is_being_corrected() => "đang sửa (đã mở lại sau khi duyệt)".to_owned(),
                _ => row
                    .and_then(|r| r.status)
                    .filter(|status| *status != Status::Draft)
                    .map_or_else(|| "chưa báo cáo".to_owned(), |status| status.label().to_lowercase()),
            };
            Some(format!("Báo cáo {} của đơn vị: {state}", Period::from(quarter).label()))
        }
        None => None,
    };
    Ok(Completeness { submitted, expected: reporting.len(), late, missing, correcting, own_report })
}
