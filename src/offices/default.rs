//! The office a unit has on a date when no row says otherwise, derived from the unit's kind,
//! level and name and from the date (see the module docs of `offices` for the sources).

use chrono::NaiveDate;

use super::Office;
use crate::units::{Level, Unit};

/// The day the provincial Ban Dân vận and Ban Tuyên giáo became one Ban Tuyên giáo và Dân vận
/// when no office row gives the province's own date. The centre's board was formed in February
/// 2025 and the provinces followed in February–March 2025 (DOMAIN.md); a province whose decision
/// took effect on another day gets an office row with that day.
pub fn board_merger_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or(NaiveDate::MIN)
}

/// The Party committee of a unit: heading capitals, running-text form and the letters used in
/// document symbols ("TỈNH ỦY", "Tỉnh ủy", "TU").
struct Committee {
    upper: &'static str,
    text: &'static str,
    letters: &'static str,
}

fn committee(unit: &Unit) -> Committee {
    let (upper, text, letters) = match (unit.level, unit.kind.as_str()) {
        (Level::Province, "thành phố") => ("THÀNH ỦY", "Thành ủy", "TU"),
        (Level::Province, _) => ("TỈNH ỦY", "Tỉnh ủy", "TU"),
        (Level::District, "quận") => ("QUẬN ỦY", "Quận ủy", "QU"),
        (Level::District, "thị xã") => ("THỊ ỦY", "Thị ủy", "TU"),
        (Level::District, "thành phố") => ("THÀNH ỦY", "Thành ủy", "TU"),
        (Level::District, _) => ("HUYỆN ỦY", "Huyện ủy", "HU"),
        _ => ("ĐẢNG ỦY", "Đảng ủy", "ĐU"),
    };
    Committee { upper, text, letters }
}

/// "Kiên Giang" from "Tỉnh Kiên Giang"; the full name when the short one is empty.
fn proper_name(unit: &Unit) -> &str {
    if unit.short_name.trim().is_empty() { unit.name.trim() } else { unit.short_name.trim() }
}

fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// The kind as written in running text: "xã", "phường", "đặc khu", "thành phố".
fn kind_text(unit: &Unit) -> &str {
    unit.kind.as_str()
}

/// The office of `unit` on `date` when no office row covers it. `province` is the unit's
/// province (the level-1 ancestor; `None` for a province itself), `district` the district above
/// a commune of the old tree. `date` should lie within the unit's validity.
pub fn derive(unit: &Unit, province: Option<&Unit>, district: Option<&Unit>, date: NaiveDate) -> Office {
    let reform = crate::units::reference::reform_date();
    let merged = date >= board_merger_date();
    let name = proper_name(unit);
    let own = committee(unit);
    let province_committee =
        province.map(committee).unwrap_or(Committee { upper: "TỈNH ỦY", text: "Tỉnh ủy", letters: "TU" });
    let upper_board = |c: &Committee| {
        if merged {
            format!("Ban Tuyên giáo và Dân vận {}", c.text)
        } else {
            format!("Ban Dân vận {}", c.text)
        }
    };
    let mut office = match unit.level {
        Level::Province => {
            let (board, board_text, letters) = if merged {
                ("BAN TUYÊN GIÁO VÀ DÂN VẬN", "Ban Tuyên giáo và Dân vận", "BTGDV")
            } else {
                ("BAN DÂN VẬN", "Ban Dân vận", "BDV")
            };
            let scope = if unit.kind == "thành phố" { "thành phố" } else { "tỉnh" };
            let below = if date >= reform {
                "Đảng ủy các xã, phường, đặc khu".to_owned()
            } else if merged {
                "Các huyện, thị, thành ủy".to_owned()
            } else {
                "BDV các huyện, thị, thành ủy".to_owned()
            };
            Office {
                superior: format!("{} {}", own.upper, upper(name)),
                name: board.to_owned(),
                symbol: format!("{letters}{}", own.letters),
                display_name: format!("{board_text} {} {name}", own.text),
                on_behalf: "T/M BAN THƯỜNG VỤ".to_owned(),
                signer_position: "PHÓ BÍ THƯ THƯỜNG TRỰC".to_owned(),
                recipients: vec![
                    if merged { "Ban Tuyên giáo và Dân vận Trung ương" } else { "Ban Dân vận Trung ương" }.to_owned(),
                    "Văn phòng Trung ương Đảng".to_owned(),
                    format!("Thường trực {}", own.text),
                    format!("Các ban, sở, ngành, đoàn thể cấp {scope}"),
                    below,
                    format!("Lưu Văn phòng {}.", own.text),
                ],
                ..Office::empty(unit.id)
            }
        }
        Level::District => Office {
            superior: format!("{} {}", own.upper, upper(name)),
            name: "BAN DÂN VẬN".to_owned(),
            symbol: format!("BDV{}", own.letters),
            display_name: format!("Ban Dân vận {} {name}", own.text),
            on_behalf: "T/M BAN THƯỜNG VỤ".to_owned(),
            signer_position: "PHÓ BÍ THƯ THƯỜNG TRỰC".to_owned(),
            recipients: vec![
                upper_board(&province_committee),
                format!("Thường trực {}", own.text),
                format!("Các ban, ngành, đoàn thể {}", kind_text(unit)),
                "Đảng ủy các xã, phường, thị trấn".to_owned(),
                format!("Lưu Văn phòng {}.", own.text),
            ],
            ..Office::empty(unit.id)
        },
        _ if date >= reform && unit.kind == "đặc khu" => Office {
            // A special zone has a board of its own (Ban Tuyên giáo và Dân vận).
            superior: format!("ĐẢNG ỦY ĐẶC KHU {}", upper(name)),
            name: "BAN TUYÊN GIÁO VÀ DÂN VẬN".to_owned(),
            symbol: "BTGDVĐU".to_owned(),
            display_name: format!("Ban Tuyên giáo và Dân vận Đảng ủy đặc khu {name}"),
            on_behalf: "T/M BAN THƯỜNG VỤ".to_owned(),
            signer_position: "PHÓ BÍ THƯ".to_owned(),
            recipients: vec![
                format!("Ban Tuyên giáo và Dân vận {}", province_committee.text),
                "Thường trực Đảng ủy đặc khu".to_owned(),
                "Ủy ban Mặt trận Tổ quốc Việt Nam đặc khu".to_owned(),
                "Lưu Văn phòng Đảng ủy.".to_owned(),
            ],
            ..Office::empty(unit.id)
        },
        _ if date >= reform => {
            // A commune of the two-tier system: its Party committee speaks for it (its Ban Xây
            // dựng Đảng carries the work), directly under the province.
            let party = match province {
                Some(p) => {
                    let kind = if p.kind == "thành phố" { "THÀNH PHỐ" } else { "TỈNH" };
                    format!("ĐẢNG BỘ {kind} {}", upper(proper_name(p)))
                }
                None => "ĐẢNG BỘ TỈNH".to_owned(),
            };
            Office {
                superior: party,
                name: format!("ĐẢNG ỦY {} {}", upper(kind_text(unit)), upper(name)),
                symbol: "ĐU".to_owned(),
                display_name: format!("Đảng ủy {} {name}", kind_text(unit)),
                on_behalf: "T/M BAN THƯỜNG VỤ".to_owned(),
                signer_position: "PHÓ BÍ THƯ".to_owned(),
                recipients: vec![
                    format!("Ban Tuyên giáo và Dân vận {}", province_committee.text),
                    "Thường trực Đảng ủy".to_owned(),
                    format!("Ủy ban Mặt trận Tổ quốc Việt Nam {}", kind_text(unit)),
                    "Lưu Văn phòng Đảng ủy.".to_owned(),
                ],
                ..Office::empty(unit.id)
            }
        }
        _ => {
            // A commune before the reform: its Khối dân vận, under the district.
            let district_board = match district {
                Some(d) => format!("Ban Dân vận {}", committee(d).text),
                None => "Ban Dân vận Huyện ủy".to_owned(),
            };
            Office {
                superior: format!("ĐẢNG ỦY {} {}", upper(kind_text(unit)), upper(name)),
                name: "KHỐI DÂN VẬN".to_owned(),
                symbol: "KDVĐU".to_owned(),
                display_name: format!("Khối dân vận Đảng ủy {} {name}", kind_text(unit)),
                on_behalf: "T/M BAN THƯỜNG VỤ".to_owned(),
                signer_position: "PHÓ BÍ THƯ".to_owned(),
                recipients: vec![
                    district_board,
                    "Thường trực Đảng ủy".to_owned(),
                    format!("Mặt trận, các đoàn thể {}", kind_text(unit)),
                    "Lưu Văn phòng Đảng ủy.".to_owned(),
                ],
                ..Office::empty(unit.id)
            }
        }
    };
    // The derived office lasts as long as the reason it was derived: the unit's validity,
    // cut at the provincial boards' merger.
    office.valid_from = unit.valid_from;
    office.valid_to = unit.valid_to;
    if unit.level == Level::Province {
        let merger = board_merger_date();
        if merged {
            office.valid_from = Some(office.valid_from.map_or(merger, |from| from.max(merger)));
        } else {
            let eve = merger.pred_opt();
            office.valid_to = match (office.valid_to, eve) {
                (Some(to), Some(eve)) => Some(to.min(eve)),
                (to, eve) => to.or(eve),
            };
        }
    }
    office
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::testing;

    fn unit(id: i32, name: &str, kind: &str, level: i16, from: Option<&str>, to: Option<&str>) -> Unit {
        let date = |d: Option<&str>| d.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        testing::unit(Level::try_from(level).expect("a level"), &id.to_string(), name)
            .id(id)
            .kind(kind)
            .valid_from(date(from))
            .valid_to(date(to))
            .build()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    const OLD_TO: Option<&str> = Some("2025-06-30");
    const NEW_FROM: Option<&str> = Some("2025-07-01");

    #[test]
    fn a_province_before_the_merger_has_its_ban_dan_van() {
        let kien_giang = unit(91, "Tỉnh Kiên Giang", "tỉnh", 1, None, OLD_TO);
        let office = derive(&kien_giang, None, None, day("2020-12-31"));
        assert_eq!(office.superior, "TỈNH ỦY KIÊN GIANG");
        assert_eq!(office.name, "BAN DÂN VẬN");
        assert_eq!(office.symbol, "BDVTU");
        assert_eq!(office.display_name, "Ban Dân vận Tỉnh ủy Kiên Giang");
        assert_eq!(office.on_behalf, "T/M BAN THƯỜNG VỤ");
        assert_eq!(office.recipients.first().map(String::as_str), Some("Ban Dân vận Trung ương"));
        assert_eq!(office.recipients.last().map(String::as_str), Some("Lưu Văn phòng Tỉnh ủy."));
        assert_eq!(office.valid_from, None);
        assert_eq!(office.valid_to, Some(day("2025-02-28")), "until the boards merged");
    }

    #[test]
    fn a_province_of_today_has_its_ban_tuyen_giao_va_dan_van() {
        let an_giang = unit(7001, "Tỉnh An Giang", "tỉnh", 1, NEW_FROM, None);
        let office = derive(&an_giang, None, None, day("2026-11-30"));
        assert_eq!(office.superior, "TỈNH ỦY AN GIANG");
        assert_eq!(office.name, "BAN TUYÊN GIÁO VÀ DÂN VẬN");
        assert_eq!(office.symbol, "BTGDVTU");
        assert_eq!(office.display_name, "Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang");
        assert!(office.recipients.contains(&"Đảng ủy các xã, phường, đặc khu".to_owned()));
        assert_eq!(office.recipients.first().map(String::as_str), Some("Ban Tuyên giáo và Dân vận Trung ương"));
        assert_eq!(office.valid_from, Some(day("2025-07-01")));
    }

    #[test]
    fn an_old_province_after_the_boards_merged_but_before_the_reform() {
        let kien_giang = unit(91, "Tỉnh Kiên Giang", "tỉnh", 1, None, OLD_TO);
        let office = derive(&kien_giang, None, None, day("2025-04-15"));
        assert_eq!(office.superior, "TỈNH ỦY KIÊN GIANG");
        assert_eq!(office.name, "BAN TUYÊN GIÁO VÀ DÂN VẬN");
        assert_eq!(office.symbol, "BTGDVTU");
        assert_eq!((office.valid_from, office.valid_to), (Some(day("2025-03-01")), Some(day("2025-06-30"))));
    }

    #[test]
    fn a_centrally_run_city_has_a_thanh_uy() {
        let ha_noi = unit(1, "Thành phố Hà Nội", "thành phố", 1, NEW_FROM, None);
        let office = derive(&ha_noi, None, None, day("2026-01-01"));
        assert_eq!(office.superior, "THÀNH ỦY HÀ NỘI");
        assert_eq!(office.display_name, "Ban Tuyên giáo và Dân vận Thành ủy Hà Nội");
        assert_eq!(office.symbol, "BTGDVTU");
        assert!(office.recipients.contains(&"Các ban, sở, ngành, đoàn thể cấp thành phố".to_owned()));
        let old = unit(2, "Thành phố Hà Nội", "thành phố", 1, None, OLD_TO);
        assert_eq!(derive(&old, None, None, day("2020-06-30")).superior, "THÀNH ỦY HÀ NỘI");
    }

    #[test]
    fn districts_before_the_reform_have_their_committee_by_kind() {
        let kien_giang = unit(91, "Tỉnh Kiên Giang", "tỉnh", 1, None, OLD_TO);
        let chau_thanh = unit(905, "Huyện Châu Thành", "huyện", 2, None, OLD_TO);
        let office = derive(&chau_thanh, Some(&kien_giang), None, day("2020-12-31"));
        assert_eq!(office.superior, "HUYỆN ỦY CHÂU THÀNH");
        assert_eq!(office.name, "BAN DÂN VẬN");
        assert_eq!(office.symbol, "BDVHU");
        assert_eq!(office.display_name, "Ban Dân vận Huyện ủy Châu Thành");
        assert_eq!(office.recipients.first().map(String::as_str), Some("Ban Dân vận Tỉnh ủy"));
        let rach_gia = unit(899, "Thành phố Rạch Giá", "thành phố", 2, None, OLD_TO);
        assert_eq!(derive(&rach_gia, Some(&kien_giang), None, day("2020-12-31")).superior, "THÀNH ỦY RẠCH GIÁ");
        let tan_chau = unit(887, "Thị xã Tân Châu", "thị xã", 2, None, OLD_TO);
        assert_eq!(derive(&tan_chau, Some(&kien_giang), None, day("2020-12-31")).superior, "THỊ ỦY TÂN CHÂU");
        let quan = unit(760, "Quận 1", "quận", 2, None, OLD_TO);
        let office = derive(&quan, None, None, day("2020-12-31"));
        assert_eq!((office.superior.as_str(), office.symbol.as_str()), ("QUẬN ỦY 1", "BDVQU"));
    }

    #[test]
    fn a_commune_of_today_speaks_through_its_party_committee() {
        let an_giang = unit(7001, "Tỉnh An Giang", "tỉnh", 1, NEW_FROM, None);
        let my_hoa_hung = unit(7100, "Xã Mỹ Hòa Hưng", "xã", 3, NEW_FROM, None);
        let office = derive(&my_hoa_hung, Some(&an_giang), None, day("2026-03-31"));
        assert_eq!(office.superior, "ĐẢNG BỘ TỈNH AN GIANG");
        assert_eq!(office.name, "ĐẢNG ỦY XÃ MỸ HÒA HƯNG");
        assert_eq!(office.symbol, "ĐU");
        assert_eq!(office.display_name, "Đảng ủy xã Mỹ Hòa Hưng");
        assert_eq!(office.recipients.first().map(String::as_str), Some("Ban Tuyên giáo và Dân vận Tỉnh ủy"));
        let binh_duc = unit(7101, "Phường Bình Đức", "phường", 3, NEW_FROM, None);
        assert_eq!(derive(&binh_duc, Some(&an_giang), None, day("2026-03-31")).name, "ĐẢNG ỦY PHƯỜNG BÌNH ĐỨC");
        let ha_noi = unit(1, "Thành phố Hà Nội", "thành phố", 1, NEW_FROM, None);
        let ba_dinh = unit(4, "Phường Ba Đình", "phường", 3, NEW_FROM, None);
        let office = derive(&ba_dinh, Some(&ha_noi), None, day("2026-03-31"));
        assert_eq!(office.superior, "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI");
        assert_eq!(office.recipients.first().map(String::as_str), Some("Ban Tuyên giáo và Dân vận Thành ủy"));
    }

    #[test]
    fn a_special_zone_has_its_own_board() {
        let an_giang = unit(7001, "Tỉnh An Giang", "tỉnh", 1, NEW_FROM, None);
        let phu_quoc = unit(7200, "Đặc khu Phú Quốc", "đặc khu", 3, NEW_FROM, None);
        let office = derive(&phu_quoc, Some(&an_giang), None, day("2026-03-31"));
        assert_eq!(office.superior, "ĐẢNG ỦY ĐẶC KHU PHÚ QUỐC");
        assert_eq!(office.name, "BAN TUYÊN GIÁO VÀ DÂN VẬN");
        assert_eq!(office.symbol, "BTGDVĐU");
        assert_eq!(office.display_name, "Ban Tuyên giáo và Dân vận Đảng ủy đặc khu Phú Quốc");
    }

    #[test]
    fn a_commune_before_the_reform_has_its_khoi_dan_van() {
        let chau_thanh = unit(905, "Huyện Châu Thành", "huyện", 2, None, OLD_TO);
        let mong_tho = unit(30883, "Xã Mong Thọ A", "xã", 3, None, OLD_TO);
        let office = derive(&mong_tho, None, Some(&chau_thanh), day("2020-12-31"));
        assert_eq!(office.superior, "ĐẢNG ỦY XÃ MONG THỌ A");
        assert_eq!(office.name, "KHỐI DÂN VẬN");
        assert_eq!(office.symbol, "KDVĐU");
        assert_eq!(office.recipients.first().map(String::as_str), Some("Ban Dân vận Huyện ủy"));
        let town = unit(30880, "Thị trấn Minh Lương", "thị trấn", 3, None, OLD_TO);
        assert_eq!(derive(&town, None, Some(&chau_thanh), day("2020-12-31")).superior, "ĐẢNG ỦY THỊ TRẤN MINH LƯƠNG");
    }
}
