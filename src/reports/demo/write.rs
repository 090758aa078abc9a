//! Writes the demo reports, their workflow events and their figures, each kind in one statement.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use sqlx::PgConnection;

use super::figures::{Figures, TENTHS};
use super::history::{Latest, Plan, plan_for};
use super::narrative;
use crate::reports::workflow::Status;
use crate::reports::{Calendar, Quarter};
use crate::units::Unit;
use crate::units::UnitId;

/// Who acts on the reports of a load: the data entry of the unit, and the reviewer above.
pub(super) struct Actors<'a> {
    pub(super) sender: &'a str,
    pub(super) reviewer: &'a str,
}

/// Writes the reports of `units` for `quarters` as their [`Plan`]s say, with their moves and
/// their figures: three statements whatever their number.
pub(super) async fn insert_reports(
    tx: &mut PgConnection,
    figures: &Figures,
    units: &[&Unit],
    quarters: &[Quarter],
    latest: Latest,
    actors: &Actors<'_>,
) -> anyhow::Result<()> {
    let calendar = Calendar::default();
    let mut rows = ReportRows::default();
    let mut plans: BTreeMap<(UnitId, Quarter), Plan> = BTreeMap::new();
    for unit in units {
        for &quarter in quarters {
            let plan = plan_for(unit, quarter, latest);
            let Some(status) = plan.status else { continue };
            let due = calendar.due(quarter);
            let sent = Utc.from_utc_datetime(
                &(due + Duration::days(plan.sent_after_due)).and_hms_opt(2, 30, 0).unwrap_or_default(),
            );
            rows.unit.push(unit.id.0);
            rows.year.push(quarter.year());
            rows.quarter.push(i16::from(quarter.number()));
            rows.status.push(status.as_str());
            rows.ket_qua.push(narrative::results(unit, quarter));
            rows.sent.push(sent);
            plans.insert((unit.id, quarter), plan);
        }
    }
    // One statement for the reports, one for their events, one for their values.
    let inserted = sqlx::query!(
        "INSERT INTO reports (unit_id, year, quarter, status, version, ket_qua, han_che, phuong_huong,
                              submitted_at, reviewed_at, created_at, updated_at)
         SELECT u, y, q, s, 1, k, $6, $7,
                CASE WHEN s = 'nhap' THEN NULL ELSE t END,
                CASE WHEN s IN ('da_duyet', 'tra_lai') THEN t + interval '2 days' ELSE NULL END,
                t - interval '3 days', t
         FROM UNNEST($1::int[], $2::int[], $3::int2[], $4::text[], $5::text[], $8::timestamptz[])
              AS x(u, y, q, s, k, t)
         RETURNING id, unit_id, year, quarter, updated_at",
        &rows.unit,
        &rows.year,
        &rows.quarter,
        &rows.status as &[&str],
        &rows.ket_qua,
        narrative::SHORTCOMINGS,
        narrative::DIRECTIONS,
        &rows.sent,
    )
    .fetch_all(&mut *tx)
    .await
    .context("báo cáo mẫu")?;
    let mut events = EventRows::default();
    let (mut report_ids, mut codes, mut orgs, mut values) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in inserted {
        let (report_id, unit_id, sent) = (row.id, UnitId(row.unit_id), row.updated_at);
        let quarter =
            u8::try_from(row.quarter).ok().and_then(|number| Quarter::new(row.year, number)).context("quý")?;
        let Some(plan) = plans.get(&(unit_id, quarter)) else { continue };
        for (from, to, remarks, day) in plan.steps() {
            events.report.push(report_id);
            events.actor.push(if to == Status::Submitted { actors.sender } else { actors.reviewer }.to_owned());
            events.from.push(from.as_str());
            events.to.push(to.as_str());
            events.remarks.push(remarks.to_owned());
            events.at.push(sent + Duration::days(day));
        }
        if let Some(entries) = figures.get(&(unit_id, quarter)) {
            for (key, value) in entries {
                let (code, org) = crate::reports::entry::split_key(key);
                report_ids.push(report_id);
                codes.push(code.to_owned());
                orgs.push(org.to_owned());
                let scale = if TENTHS.contains(&code) { 1 } else { 0 };
                values.push(crate::figures::Decimal::new(*value, scale));
            }
        }
    }
    sqlx::query!(
        "INSERT INTO report_events (report_id, actor_name, from_status, to_status, remarks, at)
         SELECT * FROM UNNEST($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])",
        &events.report,
        &events.actor,
        &events.from as &[&str],
        &events.to as &[&str],
        &events.remarks,
        &events.at,
    )
    .execute(&mut *tx)
    .await
    .context("diễn biến báo cáo mẫu")?;
    sqlx::query!(
        "INSERT INTO report_values (report_id, element_code, organisation_code, value)
         SELECT * FROM UNNEST($1::int[], $2::text[], $3::text[], $4::numeric[])",
        &report_ids,
        &codes,
        &orgs,
        &values,
    )
    .execute(&mut *tx)
    .await
    .context("giá trị báo cáo mẫu")?;
    Ok(())
}

#[derive(Default)]
struct ReportRows {
    unit: Vec<i32>,
    year: Vec<i32>,
    quarter: Vec<i16>,
    status: Vec<&'static str>,
    ket_qua: Vec<String>,
    sent: Vec<chrono::DateTime<Utc>>,
}

#[derive(Default)]
struct EventRows {
    report: Vec<i32>,
    actor: Vec<String>,
    from: Vec<&'static str>,
    to: Vec<&'static str>,
    remarks: Vec<String>,
    at: Vec<chrono::DateTime<Utc>>,
}
