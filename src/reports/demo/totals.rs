//! The demo provinces' yearly totals: seed 002's Kiên Giang of 2020 and the years around it,
//! old An Giang, and the new An Giang since the 2025 reform.

/// Seed 002's 2020 figures for the whole province (and the years around them).
pub(super) struct YearTotals {
    pub(super) members_end: i64,
    pub(super) eligible_end: i64,
    pub(super) new_members: i64,
    pub(super) complaints_received: i64,
    pub(super) complaints_resolved: i64,
    pub(super) receptions_regular_district: i64,
    pub(super) receptions_regular_commune: i64,
    pub(super) receptions_adhoc_province: i64,
    pub(super) receptions_adhoc_district: i64,
    pub(super) receptions_adhoc_commune: i64,
    pub(super) dialogues_district: i64,
    pub(super) dialogues_commune: i64,
    pub(super) supervision_province: i64,
    pub(super) supervision_district: i64,
    pub(super) supervision_commune: i64,
    pub(super) supervision_people_inspection: i64,
    pub(super) supervision_community_investment: i64,
    pub(super) contributions: i64,
    /// Communes of kind xã (the denominator of the new-rural rate), counted by the districts.
    pub(super) rural_communes: i64,
    pub(super) new_rural_communes: i64,
    pub(super) tet_gifts: i64,
    pub(super) tet_gift_value: i64,
    pub(super) houses_new: i64,
    pub(super) models: i64,
}

pub(super) fn totals_for(year: i32) -> YearTotals {
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
        rural_communes: 117,
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

/// A year of a demo province shaped like seed 002's 2020, its flows scaled by `scale`, with the
/// membership stocks at the year's end and the new-rural communes given.
pub(super) fn shaped(
    scale: f64,
    members_end: i64,
    eligible_end: i64,
    rural_communes: i64,
    new_rural_communes: i64,
) -> YearTotals {
    let base = totals_for(2020);
    let s = |value: i64| ((value as f64) * scale).round() as i64;
    YearTotals {
        members_end,
        eligible_end,
        new_members: s(base.new_members),
        complaints_received: s(base.complaints_received),
        complaints_resolved: s(base.complaints_resolved),
        receptions_regular_district: s(base.receptions_regular_district),
        receptions_regular_commune: s(base.receptions_regular_commune),
        receptions_adhoc_province: base.receptions_adhoc_province,
        receptions_adhoc_district: s(base.receptions_adhoc_district),
        receptions_adhoc_commune: s(base.receptions_adhoc_commune),
        dialogues_district: s(base.dialogues_district),
        dialogues_commune: s(base.dialogues_commune),
        supervision_province: s(base.supervision_province),
        supervision_district: s(base.supervision_district),
        supervision_commune: s(base.supervision_commune),
        supervision_people_inspection: s(base.supervision_people_inspection),
        supervision_community_investment: s(base.supervision_community_investment),
        contributions: s(base.contributions),
        rural_communes,
        new_rural_communes,
        tet_gifts: s(base.tet_gifts),
        tet_gift_value: s(base.tet_gift_value),
        houses_new: s(base.houses_new),
        models: s(base.models),
    }
}

/// Kiên Giang (91 until 30 June 2025): seed 002's years as above; 2022 to 2025 continue them
/// (116 xã in the tree of 4 January 2025).
pub(super) fn kien_giang(year: i32) -> YearTotals {
    match year {
        ..=2021 => totals_for(year),
        2022 => shaped(1.05, 609_800, 1_146_000, 116, 91),
        2023 => shaped(1.06, 615_900, 1_150_200, 116, 95),
        2024 => shaped(1.08, 629_000, 1_158_000, 116, 99),
        _ => shaped(1.10, 640_000, 1_165_000, 116, 102),
    }
}

/// Old An Giang (89 until 30 June 2025, 110 xã): a little larger than Kiên Giang, a membership
/// rate a little above it.
pub(super) fn old_an_giang(year: i32) -> YearTotals {
    let (scale, members, eligible, new_rural) = match year {
        ..=2018 => (1.04, 590_300, 1_168_500, 62),
        2019 => (1.07, 608_700, 1_179_400, 68),
        2020 => (1.12, 626_900, 1_188_300, 76),
        2021 => (1.15, 640_200, 1_196_800, 83),
        2022 => (1.16, 646_500, 1_204_000, 89),
        2023 => (1.17, 652_400, 1_211_000, 95),
        2024 => (1.18, 662_000, 1_219_000, 101),
        _ => (1.20, 676_000, 1_227_000, 104),
    };
    shaped(scale, members, eligible, 110, new_rural)
}

/// The new An Giang (91 since 1 July 2025, communes directly under the province). Its stocks
/// start from the predecessors' at 30 June 2025 (Kiên Giang's and old An Giang's 2025-Q2 add up
/// to 1.303.500 members of 2.384.500) and grow about 2 points a year; the flows are the two
/// provinces' together.
pub(super) fn new_an_giang(year: i32) -> YearTotals {
    match year {
        ..=2024 => shaped(2.10, 1_303_500, 2_384_500, 0, 0),
        2025 => shaped(2.24, 1_340_000, 2_390_000, 0, 0),
        _ => {
            let n = i64::from(year - 2025);
            shaped(2.26 + 0.04 * n as f64, 1_340_000 + 52_000 * n, 2_390_000 + 12_000 * n, 0, 0)
        }
    }
}
