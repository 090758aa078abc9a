//! Demo quarterly reports: Kiên Giang (pre-reform tree) for 2019–2021, consistent with seed
//! 002's 2020 province figures, and the new An Giang (two-tier tree) since 1 July 2025. The
//! figures are spread over units and quarters deterministically, with exact totals.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sqlx::PgConnection;

use super::Calendar;
use crate::units::Unit;

/// Seed 002's 2020 figures for the whole province (and the years around them).
struct YearTotals {
    members_end: i64,
    eligible_end: i64,
    new_members: i64,
    complaints_received: i64,
    complaints_resolved: i64,
    receptions_regular_district: i64,
    receptions_regular_commune: i64,
    receptions_adhoc_province: i64,
    receptions_adhoc_district: i64,
    receptions_adhoc_commune: i64,
    dialogues_district: i64,
    dialogues_commune: i64,
    supervision_province: i64,
    supervision_district: i64,
    supervision_commune: i64,
    supervision_people_inspection: i64,
    supervision_community_investment: i64,
    contributions: i64,
    new_rural_communes: i64,
    tet_gifts: i64,
    tet_gift_value: i64,
    houses_new: i64,
    models: i64,
}

fn totals_for(year: i32) -> YearTotals {
    // 2020 is seed 002; 2019 and 2021 are plausible neighbours (members +6,69% over 2019).
    let scale = match year {
        2019 => 0.93,
        2021 => 1.04,
        _ => 1.0,
    };
    let s = |value: i64| ((value as f64) * scale).round() as i64;
    YearTotals {
        members_end: match year {
            2019 => 548_468,
            2021 => 601_250,
            _ => 585_160,
        },
        eligible_end: match year {
            2019 => 1_108_930,
            2021 => 1_139_870,
            _ => 1_126_391,
        },
        new_members: s(60_948),
        complaints_received: s(436),
        complaints_resolved: s(340),
        receptions_regular_district: s(67),
        receptions_regular_commune: s(1_291),
        receptions_adhoc_province: 2,
        receptions_adhoc_district: s(9),
        receptions_adhoc_commune: s(186),
        dialogues_district: s(13),
        dialogues_commune: s(151),
        supervision_province: s(11),
        supervision_district: s(36),
        supervision_commune: s(32),
        supervision_people_inspection: s(17),
        supervision_community_investment: s(33),
        contributions: s(46),
        new_rural_communes: match year {
            2019 => 74,
            2021 => 86,
            _ => 81,
        },
        tet_gifts: s(101_325),
        tet_gift_value: s(39_480_000_000),
        houses_new: s(2_070),
        models: s(310),
    }
}

/// A stable pseudo-random weight in [0.5, 1.5) for a unit and a salt.
fn weight(id: i32, salt: u64) -> f64 {
    let mut x = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    0.5 + (x % 10_000) as f64 / 10_000.0
}

/// Splits `total` into integers proportional to `weights` that add up exactly (largest
/// remainder).
fn allocate(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let missing = total - parts.iter().sum::<i64>();
    for &i in order.iter().cycle().take(missing.max(0) as usize) {
        parts[i] += 1;
    }
    parts
}

const QUARTER_SHARES: [f64; 4] = [0.22, 0.26, 0.24, 0.28];
const ORGANISATION_SHARES: [(&str, f64); 6] =
    [("MTTQ", 0.04), ("HND", 0.31), ("HLHPN", 0.30), ("DTN", 0.15), ("HCCB", 0.08), ("CD", 0.12)];

/// Values by (unit id, quarter) → field key → value. Every demo figure is a count; the
/// weights above only decide how totals are spread.
type Figures = BTreeMap<(i32, i32, u8), BTreeMap<String, i64>>;

fn put(figures: &mut Figures, unit: i32, year: i32, quarter: u8, key: &str, value: i64) {
    figures.entry((unit, year, quarter)).or_default().insert(key.to_owned(), value);
}

/// Spreads a yearly flow over units and quarters.
fn flow(figures: &mut Figures, units: &[&Unit], year: i32, key: &str, total: i64, salt: u64) {
    let weights: Vec<f64> = units.iter().map(|u| weight(u.id, salt)).collect();
    for (unit, unit_total) in units.iter().zip(allocate(total, &weights)) {
        for (q, part) in allocate(unit_total, &QUARTER_SHARES).into_iter().enumerate() {
            put(figures, unit.id, year, q as u8 + 1, key, part);
        }
    }
}

/// Spreads a flow broken down by organisation.
fn flow_by_organisation(figures: &mut Figures, units: &[&Unit], year: i32, code: &str, total: i64, salt: u64) {
    let shares: Vec<f64> = ORGANISATION_SHARES.iter().map(|(_, s)| *s).collect();
    for ((org, _), org_total) in ORGANISATION_SHARES.iter().zip(allocate(total, &shares)) {
        flow(figures, units, year, &format!("{code}.{org}"), org_total, salt);
    }
}

/// A stock read at each quarter's end: grows from `start` (end of previous year) to `end`.
fn stock_by_organisation(
    figures: &mut Figures,
    units: &[&Unit],
    year: i32,
    code: &str,
    start: i64,
    end: i64,
    salt: u64,
) {
    let weights: Vec<f64> = units.iter().map(|u| weight(u.id, salt)).collect();
    let shares: Vec<f64> = ORGANISATION_SHARES.iter().map(|(_, s)| *s).collect();
    for q in 1..=4u8 {
        let total = start + (end - start) * i64::from(q) / 4;
        for ((org, _), org_total) in ORGANISATION_SHARES.iter().zip(allocate(total, &shares)) {
            for (unit, value) in units.iter().zip(allocate(org_total, &weights)) {
                put(figures, unit.id, year, q, &format!("{code}.{org}"), value);
            }
        }
    }
}

fn stock(figures: &mut Figures, units: &[&Unit], year: i32, key: &str, total: i64, salt: u64) {
    let weights: Vec<f64> = units.iter().map(|u| weight(u.id, salt)).collect();
    for (unit, value) in units.iter().zip(allocate(total, &weights)) {
        for q in 1..=4u8 {
            put(figures, unit.id, year, q, key, value);
        }
    }
}

fn province_figures(province: &Unit, districts: &[&Unit], communes: &[&Unit], years: &[i32]) -> Figures {
    let mut f = Figures::new();
    let everyone: Vec<&Unit> =
        std::iter::once(province).chain(districts.iter().copied()).chain(communes.iter().copied()).collect();
    for &year in years {
        let t = totals_for(year);
        let previous_members = totals_for(year - 1).members_end.min(t.members_end);
        let previous_eligible = totals_for(year - 1).eligible_end.min(t.eligible_end);
        stock_by_organisation(&mut f, communes, year, "DVHV_HIEN_CO", previous_members, t.members_end, 1);
        stock_by_organisation(&mut f, communes, year, "DVHV_DOI_TUONG", previous_eligible, t.eligible_end, 1);
        flow_by_organisation(&mut f, communes, year, "DVHV_MOI", t.new_members, 2);
        // Complaints: resolved never above received, unit by unit and quarter by quarter.
        flow(&mut f, &everyone, year, "DON_TIEP_NHAN", t.complaints_received, 3);
        let mut slots: Vec<((i32, i32, u8), i64)> = f
            .iter()
            .filter(|((_, y, _), _)| *y == year)
            .filter_map(|(k, v)| v.get("DON_TIEP_NHAN").map(|r| (*k, *r)))
            .collect();
        slots.sort();
        let received: Vec<f64> = slots.iter().map(|(_, r)| *r as f64 + 1e-9).collect();
        let mut resolved = allocate(t.complaints_resolved, &received);
        for i in 0..resolved.len() {
            let excess = resolved[i] - slots[i].1;
            if excess > 0 {
                resolved[i] -= excess;
                if let Some(j) = (0..resolved.len()).find(|&j| resolved[j] + excess <= slots[j].1) {
                    resolved[j] += excess;
                }
            }
        }
        for ((key, _), value) in slots.iter().zip(resolved) {
            put(&mut f, key.0, key.1, key.2, "DON_GIAI_QUYET", value);
        }
        flow(&mut f, &[province], year, "TD_DOT_XUAT", t.receptions_adhoc_province, 4);
        flow(&mut f, &[province], year, "TD_NGUOI_DAI_DIEN", 10, 4);
        flow(&mut f, &[province], year, "TD_LUOT_NGUOI_DAN", 325, 4);
        flow(&mut f, districts, year, "TD_DINH_KY", t.receptions_regular_district, 5);
        flow(&mut f, districts, year, "TD_DOT_XUAT", t.receptions_adhoc_district, 6);
        flow(&mut f, districts, year, "DOI_THOAI", t.dialogues_district, 7);
        flow(&mut f, communes, year, "TD_DINH_KY", t.receptions_regular_commune, 8);
        flow(&mut f, communes, year, "TD_DOT_XUAT", t.receptions_adhoc_commune, 9);
        flow(&mut f, communes, year, "DOI_THOAI", t.dialogues_commune, 10);
        // Supervision: each level records its own sessions; the total is the sum of its parts.
        flow(&mut f, &[province], year, "GS_MTTQ", t.supervision_province, 11);
        flow(&mut f, districts, year, "GS_MTTQ", t.supervision_district, 12);
        flow(&mut f, communes, year, "GS_MTTQ", t.supervision_commune, 13);
        flow(&mut f, communes, year, "GS_BAN_TTND", t.supervision_people_inspection, 14);
        flow(&mut f, communes, year, "GS_BAN_GSDTCD", t.supervision_community_investment, 15);
        flow(&mut f, &everyone, year, "GY_XDD_XDCQ", t.contributions, 16);
        flow(&mut f, &everyone, year, "QUA_TET_SUAT", t.tet_gifts, 17);
        flow(&mut f, &everyone, year, "QUA_TET_TRI_GIA", t.tet_gift_value, 17);
        flow(&mut f, &everyone, year, "NHA_XAY_MOI", t.houses_new, 18);
        flow_by_organisation(&mut f, &everyone, year, "MO_HINH_DVK", t.models, 19);
        // New-rural communes are counted by the districts (117 communes, excluding wards).
        stock(&mut f, districts, year, "XA_TONG", 117, 20);
        let totals: Vec<f64> = districts.iter().map(|d| weight(d.id, 20)).collect();
        let per_district_total = allocate(117, &totals);
        let caps: Vec<f64> = per_district_total.iter().map(|t| *t as f64 + 1e-9).collect();
        let per_district_ntm = allocate(t.new_rural_communes, &caps);
        for ((district, _), ntm) in districts.iter().zip(per_district_total.iter()).zip(per_district_ntm) {
            for q in 1..=4u8 {
                put(&mut f, district.id, year, q, "XA_NTM", ntm);
            }
        }
    }
    // Every unit's supervision total is the sum of what it recorded.
    for values in f.values_mut() {
        let parts: i64 = ["GS_MTTQ", "GS_BAN_TTND", "GS_BAN_GSDTCD"].iter().filter_map(|k| values.get(*k)).sum();
        values.insert("GS_TONG".to_owned(), parts);
    }
    f
}

struct Plan {
    status: &'static str,
    /// Days after the due date the report was first sent (negative: before).
    sent_after_due: i64,
    returned_once: bool,
}

fn plan_for(unit: &Unit, year: i32, quarter: u8, latest: (i32, u8)) -> Plan {
    let w = weight(unit.id, (year as u64) * 10 + u64::from(quarter));
    let sent_after_due = if w > 1.35 { (w * 10.0) as i64 - 10 } else { -((w * 4.0) as i64) };
    if (year, quarter) == latest {
        // The latest quarter is still under way: a mix of states.
        let status = match (w * 10.0) as i64 % 5 {
            0 => "nhap",
            1 => "tra_lai",
            2 | 3 => "da_gui",
            _ => "da_duyet",
        };
        return Plan { status, sent_after_due, returned_once: status == "tra_lai" };
    }
    Plan { status: "da_duyet", sent_after_due, returned_once: w > 1.45 }
}

async fn insert_reports(
    tx: &mut PgConnection,
    figures: &Figures,
    units: &[&Unit],
    quarters: &[(i32, u8)],
    reviewers: &BTreeMap<i32, String>,
) -> anyhow::Result<()> {
    let calendar = Calendar::default();
    let latest = quarters.last().copied().unwrap_or((2021, 4));
    let (mut report_ids, mut codes, mut orgs, mut values) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for unit in units {
        for &(year, quarter) in quarters {
            let plan = plan_for(unit, year, quarter, latest);
            let due = calendar.due(year, quarter);
            let sent = Utc.from_utc_datetime(
                &(due + Duration::days(plan.sent_after_due)).and_hms_opt(2, 30, 0).unwrap_or_default(),
            );
            let report_id: i32 = sqlx::query_scalar(
                "INSERT INTO reports (unit_id, year, quarter, status, version, ket_qua, han_che, phuong_huong,
                                      submitted_at, reviewed_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $7,
                         CASE WHEN $4 = 'nhap' THEN NULL ELSE $8 END,
                         CASE WHEN $4 IN ('da_duyet', 'tra_lai') THEN $8 + interval '2 days' ELSE NULL END,
                         $8 - interval '3 days', $8)
                 RETURNING id",
            )
            .bind(unit.id)
            .bind(year)
            .bind(i16::from(quarter))
            .bind(plan.status)
            .bind(format!(
                "Trong {}, {} tiếp tục triển khai công tác dân vận theo chương trình năm; Mặt trận và các đoàn thể \
                 phát triển đoàn viên, hội viên, tổ chức tiếp dân, đối thoại và giám sát theo kế hoạch.",
                super::Period::Quarter { year, quarter }.label(),
                unit.name
            ))
            .bind("Chất lượng sinh hoạt chi hội ở một số địa bàn dân cư còn hạn chế.")
            .bind("Tiếp tục phát triển đoàn viên, hội viên; nâng chất lượng đối thoại với Nhân dân.")
            .bind(sent)
            .fetch_one(&mut *tx)
            .await?;
            let reviewer = unit.parent_id.and_then(|p| reviewers.get(&p)).cloned().unwrap_or_else(|| "demo".into());
            let mut events: Vec<(&str, &str, &str, i64)> = Vec::new();
            if plan.status != "nhap" {
                events.push(("nhap", "da_gui", "", 0));
                if plan.returned_once {
                    events.push((
                        "da_gui",
                        "tra_lai",
                        "Đề nghị rà soát lại số đơn đã giải quyết và số cuộc giám sát.",
                        1,
                    ));
                    if plan.status != "tra_lai" {
                        events.push(("tra_lai", "da_gui", "", 2));
                    }
                }
                if plan.status == "da_duyet" {
                    events.push(("da_gui", "da_duyet", "", 3));
                }
            }
            for (from, to, remarks, day) in events {
                let actor = if to == "da_gui" { "nhap_lieu" } else { reviewer.as_str() };
                sqlx::query(
                    "INSERT INTO report_events (report_id, actor_name, from_status, to_status, remarks, at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(report_id)
                .bind(actor)
                .bind(from)
                .bind(to)
                .bind(remarks)
                .bind(sent + Duration::days(day))
                .execute(&mut *tx)
                .await?;
            }
            if let Some(entries) = figures.get(&(unit.id, year, quarter)) {
                for (key, value) in entries {
                    let (code, org) = super::entry::split_key(key);
                    report_ids.push(report_id);
                    codes.push(code.to_owned());
                    orgs.push(org.to_owned());
                    values.push(*value);
                }
            }
        }
    }
    sqlx::query(
        "INSERT INTO report_values (report_id, element_code, organisation_code, value)
         SELECT * FROM UNNEST($1::int[], $2::text[], $3::text[], $4::int8[])",
    )
    .bind(&report_ids)
    .bind(&codes)
    .bind(&orgs)
    .bind(&values)
    .execute(&mut *tx)
    .await
    .context("giá trị báo cáo mẫu")?;
    Ok(())
}

async fn subtree(tx: &mut PgConnection, code: &str, on: NaiveDate) -> anyhow::Result<(Unit, Vec<Unit>)> {
    let root = crate::units::queries::resolve_in(&mut *tx, code, on)
        .await?
        .with_context(|| format!("không có đơn vị {code} ngày {on}"))?;
    let all: Vec<Unit> = sqlx::query_as(
        "SELECT id, code, name, short_name, kind, level, parent_id, path::text AS path, valid_from, valid_to
         FROM units WHERE path <@ $1::ltree AND id <> $2 ORDER BY path",
    )
    .bind(&root.path)
    .bind(root.id)
    .fetch_all(&mut *tx)
    .await?;
    Ok((root, all))
}

pub async fn load(tx: &mut PgConnection) -> anyhow::Result<()> {
    let reviewers: BTreeMap<i32, String> = BTreeMap::new();
    // Kiên Giang before the reform, 2019–2021.
    let on = NaiveDate::from_ymd_opt(2020, 12, 31).context("date")?;
    let (province, below) = subtree(tx, "91", on).await?;
    let districts: Vec<&Unit> = below.iter().filter(|u| u.level == 2).collect();
    let communes: Vec<&Unit> = below.iter().filter(|u| u.level == 3).collect();
    let years = [2019, 2020, 2021];
    let figures = province_figures(&province, &districts, &communes, &years);
    let units: Vec<&Unit> =
        std::iter::once(&province).chain(districts.iter().copied()).chain(communes.iter().copied()).collect();
    let quarters: Vec<(i32, u8)> = years.iter().flat_map(|&y| (1..=4).map(move |q| (y, q))).collect();
    insert_reports(tx, &figures, &units, &quarters, &reviewers).await?;

    // The new An Giang (two-tier) since 1 July 2025, up to the last finished quarter.
    let on = NaiveDate::from_ymd_opt(2025, 7, 1).context("date")?;
    let (province, below) = subtree(tx, "91", on).await?;
    let communes: Vec<&Unit> = below.iter().filter(|u| u.level == 3).collect();
    let mut quarters = vec![(2025, 3), (2025, 4)];
    let current = super::Period::containing(crate::units::today()).previous();
    let (cy, cq) = current.last_quarter();
    for year in 2026..=cy {
        for quarter in 1..=4u8 {
            if (year, quarter) <= (cy, cq) {
                quarters.push((year, quarter));
            }
        }
    }
    let mut figures = province_figures(&province, &[], &communes, &[2025, 2026]);
    figures.retain(|(_, y, q), _| quarters.contains(&(*y, *q)));
    let units: Vec<&Unit> = std::iter::once(&province).chain(communes.iter().copied()).collect();
    insert_reports(tx, &figures, &units, &quarters, &reviewers).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact() {
        let parts = allocate(585_160, &[1.0, 2.0, 0.7, 1.3]);
        assert_eq!(parts.iter().sum::<i64>(), 585_160);
        assert_eq!(allocate(3, &[1.0, 1.0, 1.0, 1.0, 1.0]).iter().sum::<i64>(), 3);
        assert_eq!(allocate(0, &[1.0]), vec![0]);
    }
}
