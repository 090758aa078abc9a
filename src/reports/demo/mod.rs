//! Demo quarterly reports, a demo that lives in the present: the new An Giang (two-tier tree,
//! code 91 since 1 July 2025) from 2025-Q3 up to the last finished quarter, its communes
//! differing (some meet the targets, some lag, some report late or not at all, one returned with
//! remarks), and the history of its two predecessors before the reform: Kiên Giang (91 until
//! 30 June 2025) 2019–2025-Q2, consistent with seed 002's 2020 province figures, and old An
//! Giang (89) 2019–2025-Q2, except Kiên Giang's own reports and its Huyện Châu Thành (905) with
//! its communes in 2022–2023, left for the guided tour and outside checks to enter by hand; the tests enter
//! theirs in 2017–2018. The figures are spread over units and quarters deterministically, with
//! exact totals.

mod figures;
mod history;
mod narrative;
mod seed002;
mod totals;
mod write;

use anyhow::Context;
use chrono::NaiveDate;
use sqlx::PgConnection;

use crate::reports::Quarter;
use crate::units::{Level, Unit};
use figures::{Shape, province_figures};
use history::Latest;
use totals::{kien_giang, new_an_giang, old_an_giang, totals_for};
use write::{Actors, insert_reports};

async fn subtree(tx: &mut PgConnection, code: &str, on: NaiveDate) -> anyhow::Result<(Unit, Vec<Unit>)> {
    let root = crate::units::queries::resolve_in(&mut *tx, code, on)
        .await?
        .with_context(|| format!("không có đơn vị {code} ngày {on}"))?;
    let all = crate::units::queries::descendants_in(&mut *tx, &root).await?;
    Ok((root, all))
}

fn quarters_of(years: std::ops::RangeInclusive<i32>, first: Quarter, last: Quarter) -> Vec<Quarter> {
    years.flat_map(Quarter::of_year).filter(|q| *q >= first && *q <= last).collect()
}

/// A province of the pre-reform tree (code at 31 December 2020): its own report, its districts'
/// and its communes', for `years` and up to `last`. `silent` names units without reports: a
/// district (with its communes: the province's totals are spread over the others) or the
/// province itself (its own report only: figures only the province reports are missing).
async fn old_province(
    tx: &mut PgConnection,
    code: &str,
    years: &[i32],
    last: Quarter,
    shape: &Shape,
    latest: Latest,
    silent: &[&str],
) -> anyhow::Result<()> {
    let on = NaiveDate::from_ymd_opt(2020, 12, 31).context("date")?;
    let (province, mut below) = subtree(tx, code, on).await?;
    for district in silent.iter().filter(|c| **c != code) {
        let path = below.iter().find(|u| u.code == *district && u.level == Level::District).map(|u| u.path.clone());
        let path = path.with_context(|| format!("không có huyện {district} trong tỉnh {code}"))?;
        below.retain(|u| u.path != path && !u.path.starts_with(&format!("{path}.")));
    }
    let province_reports = !silent.contains(&code);
    let districts: Vec<&Unit> = below.iter().filter(|u| u.level == Level::District).collect();
    let communes: Vec<&Unit> = below.iter().filter(|u| u.level == Level::Commune).collect();
    let mut figures = province_figures(&province, &districts, &communes, years, shape);
    let quarters: Vec<Quarter> = years.iter().copied().flat_map(Quarter::of_year).filter(|q| *q <= last).collect();
    figures.retain(|(unit, q), _| quarters.contains(q) && (province_reports || *unit != province.id));
    let units: Vec<&Unit> = std::iter::once(&province)
        .filter(|_| province_reports)
        .chain(districts.iter().copied())
        .chain(communes.iter().copied())
        .collect();
    let actors = Actors { sender: "nhap_lieu", reviewer: "demo" };
    insert_reports(tx, &figures, &units, &quarters, latest, &actors).await
}

/// The district of Kiên Giang without reports in 2022–2023 (Huyện Châu Thành, the demo accounts'
/// district; the province's own reports are missing too), so that those quarters can be entered
/// by hand.
pub const SILENT_DISTRICT: &str = "905";

/// The commune of the new An Giang whose report of the last finished quarter is returned with
/// remarks (Xã Châu Thành, whose demo accounts see them).
pub const RETURNED_COMMUNE: &str = "30880";

pub async fn load(tx: &mut PgConnection) -> anyhow::Result<()> {
    // Kiên Giang before the reform, 2019–2021: seed 002 (unchanged since it was checked).
    let seed = Shape { totals: totals_for, varied: false, detailed: false, seed002: true };
    let last_seed = Quarter::last_of(2021);
    old_province(tx, "91", &[2019, 2020, 2021], last_seed, &seed, Latest::Mixed(last_seed), &[]).await?;
    // The years before the reform: Kiên Giang 2022–2025-Q2, old An Giang 2019–2025-Q2, every
    // report settled. The province's own reports and Huyện Châu Thành (905) with its communes
    // are missing in 2022–2023: the guided tour and outside checks enter those by hand (the demo
    // accounts' province and district).
    let last_old = Quarter::new(2025, 2).context("quý")?;
    let shape = Shape { totals: kien_giang, varied: true, detailed: false, seed002: false };
    old_province(tx, "91", &[2022, 2023], Quarter::last_of(2023), &shape, Latest::Settled, &["91", SILENT_DISTRICT])
        .await?;
    old_province(tx, "91", &[2024, 2025], last_old, &shape, Latest::Settled, &[]).await?;
    let shape = Shape { totals: old_an_giang, varied: true, detailed: false, seed002: false };
    let years = [2019, 2020, 2021, 2022, 2023, 2024, 2025];
    old_province(tx, "89", &years, last_old, &shape, Latest::Settled, &[]).await?;

    // The new An Giang (two-tier) since 1 July 2025, up to the last finished quarter.
    let on = NaiveDate::from_ymd_opt(2025, 7, 1).context("date")?;
    let (province, below) = subtree(tx, "91", on).await?;
    let communes: Vec<&Unit> = below.iter().filter(|u| u.level == Level::Commune && u.is_valid_on(on)).collect();
    let current = Quarter::containing(crate::units::today()).previous();
    let first = Quarter::new(2025, 3).context("quý")?;
    let quarters = quarters_of(2025..=current.year(), first, current);
    let years: Vec<i32> = (2025..=current.year()).collect();
    let shape = Shape { totals: new_an_giang, varied: true, detailed: true, seed002: false };
    let mut figures = province_figures(&province, &[], &communes, &years, &shape);
    figures.retain(|(_, q), _| quarters.contains(q));
    let units: Vec<&Unit> = std::iter::once(&province).chain(communes.iter().copied()).collect();
    let latest = Latest::Present { quarter: current, returned: RETURNED_COMMUNE };
    let actors = Actors { sender: "nhap_lieu", reviewer: "angiang.duyet" };
    insert_reports(tx, &figures, &units, &quarters, latest, &actors).await?;
    Ok(())
}
