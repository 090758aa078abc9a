//! Seed 002's own figures for Kiên Giang (2019–2020) beyond the yearly totals, each at the level
//! that reports it.

use super::figures::{Figures, allocate, capped, flow, put, stock, stock_values, weight};
use crate::reports::Quarter;
use crate::units::Unit;

/// The figures of seed 002 beyond [`YearTotals`], so that Kiên Giang's 2020 report reads like the
/// seed: each at the level that reports it (the province's own Hội đồng nhân dân, its districts'
/// communes, …), the province's totals exactly the seed's; 2019 where the seed compares
/// ("tăng 01 cuộc", "giảm 1,3 điểm phần trăm"). The masks sewn are left out: the seed printed
/// "245.00", a slip that entry refuses, so the report says the figure is missing.
pub(super) fn seed_002(
    f: &mut Figures,
    province: &Unit,
    districts: &[&Unit],
    communes: &[&Unit],
    everyone: &[&Unit],
    year: i32,
) {
    let p = &[province];
    match year {
        2019 => {
            flow(f, p, year, "HDND_GS_CHUYEN_DE", 11, 50, false);
            // 4,7 % of the ethnic-minority households poor.
            stock(f, communes, year, "HO_DTTS", 46_000, 70);
            stock(f, communes, year, "HO_NGHEO_DTTS", 2_162, 70);
        }
        2020 => {
            // The province's own: training, the Hội đồng nhân dân, the People's Committee and
            // the armed forces.
            for (key, total) in [
                ("BD_DV_LOP", 2),
                ("BD_DV_HOC_VIEN", 162),
                ("BD_QCDC_LOP", 2),
                ("BD_QCDC_HOC_VIEN", 297),
                ("DU_AN_LUAT_GOP_Y", 17),
                ("HDND_KY_HOP", 9),
                ("HDND_NGHI_QUYET", 84),
                ("HDND_PHIEN_TT_THUONG_KY", 12),
                ("HDND_PHIEN_TT_DOT_XUAT", 6),
                ("HDND_NOI_DUNG_TT", 37),
                ("TXCT_CUOC", 91),
                ("TXCT_LUOT_CU_TRI", 5_714),
                ("HDND_GS_CHUYEN_DE", 12),
                ("UBND_LAM_VIEC_DTC", 17),
                ("LLVT_QUA", 100),
            ] {
                flow(f, p, year, key, total, 50, false);
            }
            // The districts worked with, so far in the year: never more than the meetings.
            let mut meetings = 0;
            for q in Quarter::of_year(year) {
                meetings += f.get(&(province.id, q)).and_then(|v| v.get("UBND_LAM_VIEC_DTC")).copied().unwrap_or(0);
                put(f, province.id, q, "UBND_LAM_VIEC_DTC_DON_VI", meetings.min(15));
            }
            for (key, value) in [
                ("LLVT_MO_HINH_XA", 4),
                ("DV_HUYEN_TONG", 15),
                ("DV_HUYEN_BTV_TRUONG_BDV_CT_MTTQ", 12),
                ("DV_HUYEN_BDV_MTTQ_LA_BTV", 3),
                ("DV_HUYEN_BDV_KIEM_CT_MTTQ", 11),
            ] {
                stock(f, p, year, key, value, 51);
            }
            // Who heads the communes' mass-mobilisation, as each district counts its communes
            // (145 in the seed; the arrangements add up to each district's count).
            let weights: Vec<f64> = districts.iter().map(|d| weight(d.id, 52)).collect();
            let all = allocate(145, &weights);
            stock_values(f, districts, year, "DV_XA_TONG", &all);
            let mut room = all.clone();
            for (key, total) in [
                ("DV_XA_BTV_TRUONG_KV_CT_MTTQ", 125),
                ("DV_XA_PBT_TRUONG_KV_BTV_CT_MTTQ", 15),
                ("DV_XA_BCH_PHU_TRACH_KV", 5),
            ] {
                let parts = capped(total, &room);
                for (r, part) in room.iter_mut().zip(&parts) {
                    *r -= part;
                }
                stock_values(f, districts, year, key, &parts);
            }
            stock_values(f, districts, year, "DV_XA_TRUONG_KV_KIEM_CT_MTTQ", &capped(113, &all));
            stock_values(f, districts, year, "DV_XA_PBT_KIEM_TRUONG_KV", &capped(32, &all));
            // Communes of ethnic-minority areas (70, 48 of them new-rural), within each
            // district's communes and new-rural communes.
            let at = |f: &Figures, unit: &Unit, key: &str| {
                f.get(&(unit.id, Quarter::last_of(year))).and_then(|v| v.get(key)).copied().unwrap_or(0)
            };
            let rural: Vec<i64> = districts.iter().map(|d| at(f, d, "XA_TONG")).collect();
            let dtts = capped(70, &rural);
            let room: Vec<i64> = districts.iter().zip(&dtts).map(|(d, n)| (*n).min(at(f, d, "XA_NTM"))).collect();
            stock_values(f, districts, year, "XA_DTTS_TONG", &dtts);
            stock_values(f, districts, year, "XA_DTTS_NTM", &capped(48, &room));
            flow(f, districts, year, "THE_BHYT_CAP", 83_245, 53, false);
            // Across the province: campaigns, houses, roads, bridges, masks groups.
            for (key, total, salt) in [
                ("VAN_DONG_AN_SINH", 430_000_000_000, 54),
                ("NHA_SUA_CHUA", 127, 55),
                ("DUONG_GTNT_KM", 461, 56),
                ("CAU_XAY_MOI", 118, 57),
                ("CAU_SUA_CHUA", 114, 58),
                ("VAN_DONG_PHONG_CHONG_DICH", 57_000_000_000, 59),
                ("TO_MAY_KHAU_TRANG", 373, 60),
                ("TO_MAY_THANH_VIEN", 2_233, 60),
            ] {
                flow(f, everyone, year, key, total, salt, false);
            }
            // Ethnic minorities: 3,4 % of households poor, over 96 % of children at school,
            // 277 members of Party committees (each level its own).
            stock(f, communes, year, "HO_DTTS", 46_500, 70);
            stock(f, communes, year, "HO_NGHEO_DTTS", 1_581, 70);
            stock(f, communes, year, "HS_DTTS_6_14", 30_000, 71);
            stock(f, communes, year, "HS_DTTS_DEN_TRUONG", 28_890, 71);
            stock(f, p, year, "CB_DTTS_CAP_UY", 9, 72);
            stock(f, districts, year, "CB_DTTS_CAP_UY", 48, 72);
            stock(f, communes, year, "CB_DTTS_CAP_UY", 220, 72);
        }
        _ => {}
    }
}
