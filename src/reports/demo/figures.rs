//! The demo figures: yearly totals spread over units and quarters deterministically (stable
//! pseudo-random weights, largest remainders), so that every total stays exact.

use std::collections::BTreeMap;

use super::seed002::seed_002;
use super::totals::YearTotals;
use crate::reports::Quarter;
use crate::units::Unit;
use crate::units::UnitId;

/// A stable pseudo-random weight in [0.5, 1.5) for a unit and a salt.
pub(super) fn weight(id: UnitId, salt: u64) -> f64 {
    let mut x = (id.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    0.5 + (x % 10_000) as f64 / 10_000.0
}

/// Splits `total` into integers proportional to `weights` that add up exactly (largest
/// remainder).
pub(super) fn allocate(total: i64, weights: &[f64]) -> Vec<i64> {
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

pub(super) const QUARTER_SHARES: [f64; 4] = [0.22, 0.26, 0.24, 0.28];
pub(super) const ORGANISATION_SHARES: [(&str, f64); 6] =
    [("MTTQ", 0.04), ("HND", 0.31), ("HLHPN", 0.30), ("DTN", 0.15), ("HCCB", 0.08), ("CD", 0.12)];

/// Values by (unit id, quarter) → field key → value. Every demo figure is a count; the
/// weights above only decide how totals are spread.
pub(super) type Figures = BTreeMap<(UnitId, Quarter), BTreeMap<String, i64>>;

pub(super) fn put(figures: &mut Figures, unit: UnitId, quarter: Quarter, key: &str, value: i64) {
    figures.entry((unit, quarter)).or_default().insert(key.to_owned(), value);
}

/// Spreads a yearly flow over units and quarters.
/// With `varied`, each unit has its own busy quarters (otherwise a unit's one or two sessions a
/// year all fall in the quarters with the largest shares).
pub(super) fn flow(figures: &mut Figures, units: &[&Unit], year: i32, key: &str, total: i64, salt: u64, varied: bool) {
    let weights: Vec<f64> = units.iter().map(|u| weight(u.id, salt)).collect();
    for (unit, unit_total) in units.iter().zip(allocate(total, &weights)) {
        let shares: Vec<f64> = QUARTER_SHARES
            .iter()
            .enumerate()
            .map(|(q, share)| if varied { share * weight(unit.id, 100 + salt * 4 + q as u64) } else { *share })
            .collect();
        for (quarter, part) in Quarter::of_year(year).zip(allocate(unit_total, &shares)) {
            put(figures, unit.id, quarter, key, part);
        }
    }
}

/// Spreads a flow broken down by organisation.
pub(super) fn flow_by_organisation(
    figures: &mut Figures,
    units: &[&Unit],
    year: i32,
    code: &str,
    total: i64,
    salt: u64,
    varied: bool,
) {
    let shares: Vec<f64> = ORGANISATION_SHARES.iter().map(|(_, s)| *s).collect();
    for ((org, _), org_total) in ORGANISATION_SHARES.iter().zip(allocate(total, &shares)) {
        flow(figures, units, year, &format!("{code}.{org}"), org_total, salt, varied);
    }
}

/// A stock read at each quarter's end: grows from `start` (end of previous year) to `end`.
pub(super) fn stock_by_organisation(
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
    for q in Quarter::of_year(year) {
        let total = start + (end - start) * i64::from(q.number()) / 4;
        for ((org, _), org_total) in ORGANISATION_SHARES.iter().zip(allocate(total, &shares)) {
            for (unit, value) in units.iter().zip(allocate(org_total, &weights)) {
                put(figures, unit.id, q, &format!("{code}.{org}"), value);
            }
        }
    }
}

pub(super) fn stock(figures: &mut Figures, units: &[&Unit], year: i32, key: &str, total: i64, salt: u64) {
    let weights: Vec<f64> = units.iter().map(|u| weight(u.id, salt)).collect();
    for (unit, value) in units.iter().zip(allocate(total, &weights)) {
        for q in Quarter::of_year(year) {
            put(figures, unit.id, q, key, value);
        }
    }
}

/// How far a commune's membership rate stands from its province's: a stable factor in
/// [0,75; 1,35), so that communes differ by more than twenty points.
pub(super) fn reach(id: UnitId) -> f64 {
    0.75 + 0.6 * (weight(id, 31) - 0.5)
}

/// Membership stocks that differ from commune to commune: each commune's eligible population is
/// its share of the province's, its members that share times its [`reach`] (the totals stay
/// exact), and 85–97 % of its members take part in their organisation's meetings.
pub(super) fn varied_membership(
    f: &mut Figures,
    communes: &[&Unit],
    year: i32,
    members: (i64, i64),
    eligible: (i64, i64),
    participation: bool,
) {
    let shares: Vec<f64> = ORGANISATION_SHARES.iter().map(|(_, s)| *s).collect();
    let size: Vec<f64> = communes.iter().map(|u| weight(u.id, 1)).collect();
    let reached: Vec<f64> = communes.iter().zip(&size).map(|(u, w)| w * reach(u.id)).collect();
    let active: Vec<f64> = communes.iter().map(|u| 0.85 + 0.12 * (weight(u.id, 32) - 0.5)).collect();
    for q in Quarter::of_year(year) {
        let members_total = members.0 + (members.1 - members.0) * i64::from(q.number()) / 4;
        let eligible_total = eligible.0 + (eligible.1 - eligible.0) * i64::from(q.number()) / 4;
        let by_org = allocate(members_total, &shares).into_iter().zip(allocate(eligible_total, &shares));
        for ((org, _), (org_members, org_eligible)) in ORGANISATION_SHARES.iter().zip(by_org) {
            let eligible = allocate(org_eligible, &size);
            let members = allocate(org_members, &reached);
            for (i, unit) in communes.iter().enumerate() {
                // Never more members than people who could join (the rates keep well below).
                let m = members[i].min(eligible[i]);
                put(f, unit.id, q, &format!("DVHV_DOI_TUONG.{org}"), eligible[i]);
                put(f, unit.id, q, &format!("DVHV_HIEN_CO.{org}"), m);
                if participation {
                    let active = (m as f64 * active[i]).floor() as i64;
                    put(f, unit.id, q, &format!("DVHV_SINH_HOAT.{org}"), active);
                }
            }
        }
    }
}

/// A commune's organisations and residential areas: six organisations, about nine in ten
/// "hoàn thành tốt nhiệm vụ"; 11–20 khu dân cư, 45–85 % of them "tiêu biểu" (five points more
/// each year from 2024), two in five of those "kiểu mẫu".
pub(super) fn commune_organisations(f: &mut Figures, communes: &[&Unit], year: i32) {
    for unit in communes {
        let areas = 11 + (weight(unit.id, 33) * 7.0) as i64;
        let share = (0.35 + 0.4 * (weight(unit.id, 34) - 0.5) + 0.05 * f64::from(year - 2024)).clamp(0.2, 0.95);
        let exemplary = (areas as f64 * share).round() as i64;
        for q in Quarter::of_year(year) {
            for (i, (org, _)) in ORGANISATION_SHARES.iter().enumerate() {
                let good = weight(unit.id, 40 + i as u64 + 10 * year as u64) < 1.4;
                put(f, unit.id, q, &format!("TC_TONG.{org}"), 1);
                put(f, unit.id, q, &format!("TC_HTTNV.{org}"), i64::from(good));
            }
            put(f, unit.id, q, "KDC_TONG", areas);
            put(f, unit.id, q, "KDC_TIEU_BIEU", exemplary);
            put(f, unit.id, q, "KDC_KIEU_MAU", exemplary * 2 / 5);
        }
    }
}

/// Which figures a demo province reports: its yearly totals, whether its communes differ (seed
/// 002's Kiên Giang of 2019–2021 keeps the even spread its figures were checked with), and
/// whether they also report participation, organisations and residential areas (today's
/// communes, whose targets read them; the history leaves them out to keep the load short).
pub(super) struct Shape {
    pub(super) totals: fn(i32) -> YearTotals,
    pub(super) varied: bool,
    pub(super) detailed: bool,
    /// Seed 002's Kiên Giang: also the figures only its report of 2020 (and of 2019, where it
    /// compares) carries (see [`super::seed002`]).
    pub(super) seed002: bool,
}

/// Splits `total` in proportion to `caps`, never giving a unit more than its cap (the excess
/// goes to units with room). `total` must not exceed the caps' sum.
pub(super) fn capped(total: i64, caps: &[i64]) -> Vec<i64> {
    let weights: Vec<f64> = caps.iter().map(|c| *c as f64 + 1e-9).collect();
    let mut parts = allocate(total, &weights);
    let mut excess = 0;
    for (part, cap) in parts.iter_mut().zip(caps) {
        if *part > *cap {
            excess += *part - *cap;
            *part = *cap;
        }
    }
    for (part, cap) in parts.iter_mut().zip(caps) {
        let room = (*cap - *part).min(excess);
        *part += room;
        excess -= room;
    }
    parts
}

/// Puts a stock (the same value each quarter) per unit.
pub(super) fn stock_values(f: &mut Figures, units: &[&Unit], year: i32, key: &str, values: &[i64]) {
    for (unit, value) in units.iter().zip(values) {
        for q in Quarter::of_year(year) {
            put(f, unit.id, q, key, *value);
        }
    }
}

/// Elements whose demo values are tenths (46,1 km is stored as 461 here).
pub(super) const TENTHS: [&str; 1] = ["DUONG_GTNT_KM"];

pub(super) fn province_figures(
    province: &Unit,
    districts: &[&Unit],
    communes: &[&Unit],
    years: &[i32],
    shape: &Shape,
) -> Figures {
    let totals_for = shape.totals;
    let v = shape.varied;
    let mut f = Figures::new();
    let everyone: Vec<&Unit> =
        std::iter::once(province).chain(districts.iter().copied()).chain(communes.iter().copied()).collect();
    for &year in years {
        let t = totals_for(year);
        let previous_members = totals_for(year - 1).members_end.min(t.members_end);
        let previous_eligible = totals_for(year - 1).eligible_end.min(t.eligible_end);
        if shape.varied {
            let members = (previous_members, t.members_end);
            let eligible = (previous_eligible, t.eligible_end);
            varied_membership(&mut f, communes, year, members, eligible, shape.detailed);
            if shape.detailed {
                commune_organisations(&mut f, communes, year);
            }
        } else {
            stock_by_organisation(&mut f, communes, year, "DVHV_HIEN_CO", previous_members, t.members_end, 1);
            stock_by_organisation(&mut f, communes, year, "DVHV_DOI_TUONG", previous_eligible, t.eligible_end, 1);
        }
        flow_by_organisation(&mut f, communes, year, "DVHV_MOI", t.new_members, 2, v);
        // Complaints: resolved never above received, unit by unit and quarter by quarter.
        flow(&mut f, &everyone, year, "DON_TIEP_NHAN", t.complaints_received, 3, v);
        let mut slots: Vec<((UnitId, Quarter), i64)> = f
            .iter()
            .filter(|((_, q), _)| q.year() == year)
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
            put(&mut f, key.0, key.1, "DON_GIAI_QUYET", value);
        }
        flow(&mut f, &[province], year, "TD_DOT_XUAT", t.receptions_adhoc_province, 4, v);
        flow(&mut f, &[province], year, "TD_NGUOI_DAI_DIEN", 10, 4, v);
        flow(&mut f, &[province], year, "TD_LUOT_NGUOI_DAN", 325, 4, v);
        flow(&mut f, districts, year, "TD_DINH_KY", t.receptions_regular_district, 5, v);
        flow(&mut f, districts, year, "TD_DOT_XUAT", t.receptions_adhoc_district, 6, v);
        flow(&mut f, districts, year, "DOI_THOAI", t.dialogues_district, 7, v);
        flow(&mut f, communes, year, "TD_DINH_KY", t.receptions_regular_commune, 8, v);
        flow(&mut f, communes, year, "TD_DOT_XUAT", t.receptions_adhoc_commune, 9, v);
        flow(&mut f, communes, year, "DOI_THOAI", t.dialogues_commune, 10, v);
        // Supervision: each level records its own sessions; the total is the sum of its parts.
        flow(&mut f, &[province], year, "GS_MTTQ", t.supervision_province, 11, v);
        flow(&mut f, districts, year, "GS_MTTQ", t.supervision_district, 12, v);
        flow(&mut f, communes, year, "GS_MTTQ", t.supervision_commune, 13, v);
        flow(&mut f, communes, year, "GS_BAN_TTND", t.supervision_people_inspection, 14, v);
        flow(&mut f, communes, year, "GS_BAN_GSDTCD", t.supervision_community_investment, 15, v);
        // Contributions to Party building: each level records its own (seed 002: 29 by the
        // province, 6 by the districts, 11 by the communes); without districts, theirs go to the
        // communes.
        let by_level = allocate(t.contributions, &[29.0, 6.0, 11.0]);
        flow(&mut f, &[province], year, "GY_XDD_XDCQ", by_level[0], 16, v);
        if districts.is_empty() {
            flow(&mut f, communes, year, "GY_XDD_XDCQ", by_level[1] + by_level[2], 16, v);
        } else {
            flow(&mut f, districts, year, "GY_XDD_XDCQ", by_level[1], 16, v);
            flow(&mut f, communes, year, "GY_XDD_XDCQ", by_level[2], 16, v);
        }
        flow(&mut f, &everyone, year, "QUA_TET_SUAT", t.tet_gifts, 17, v);
        flow(&mut f, &everyone, year, "QUA_TET_TRI_GIA", t.tet_gift_value, 17, v);
        flow(&mut f, &everyone, year, "NHA_XAY_MOI", t.houses_new, 18, v);
        flow_by_organisation(&mut f, &everyone, year, "MO_HINH_DVK", t.models, 19, v);
        // New-rural communes are counted by the districts (in Kiên Giang 117 communes, excluding
        // wards; the two-tier tree has no districts).
        stock(&mut f, districts, year, "XA_TONG", t.rural_communes, 20);
        let totals: Vec<f64> = districts.iter().map(|d| weight(d.id, 20)).collect();
        let per_district_total = allocate(t.rural_communes, &totals);
        let caps: Vec<f64> = per_district_total.iter().map(|t| *t as f64 + 1e-9).collect();
        let per_district_ntm = allocate(t.new_rural_communes, &caps);
        for ((district, _), ntm) in districts.iter().zip(per_district_total.iter()).zip(per_district_ntm) {
            for q in Quarter::of_year(year) {
                put(&mut f, district.id, q, "XA_NTM", ntm);
            }
        }
    }
    if shape.seed002 {
        for &year in years {
            seed_002(&mut f, province, districts, communes, &everyone, year);
        }
    }
    // Every unit's supervision total is the sum of what it recorded.
    for values in f.values_mut() {
        let parts: i64 = ["GS_MTTQ", "GS_BAN_TTND", "GS_BAN_GSDTCD"].iter().filter_map(|k| values.get(*k)).sum();
        values.insert("GS_TONG".to_owned(), parts);
    }
    f
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
