//! The annual summary report (báo cáo tổng kết năm) as one data structure that both the DOCX
//! writer and the HTML preview read: the Party-format header, the body blocks with figures
//! filled from the aggregated data, footnotes, next year's targets, recipients and signature.
//! What goes where, and in which words, is the versioned layout template
//! `reference/templates/annual-report-v3.json`, not code; who issues the document (the heading,
//! the symbol in its number, the signature block's on-behalf line and position, the default
//! "Nơi nhận") is the office of the report's unit at the report's date (`crate::offices`).
//! Version 1 of the template, which carried those per level, still loads: its per-level
//! heading is superseded by the office, its number line keeps its shape with the office's
//! symbol. Version 3 follows seed 002 section by section (ưu điểm, bài học kinh nghiệm,
//! nhiệm vụ as narrative sections of their own) and places every figure of it; version 2 still
//! loads.
//!
//! A figure without data never prints as 0: the DOCX leaves its clause out, the preview
//! ([`AnnualDocument::preview`]) keeps the clause and says that the figure is missing.

mod document;
mod figures;
mod fill;
mod layout;
mod narrative;

pub use document::*;
pub use figures::*;
use fill::Filler;
pub use layout::*;
pub use narrative::*;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::format;
use crate::offices::Office;

/// How the document is issued: its date and the office issuing it.
pub struct Options {
    /// The issuing date, on the place-and-date line.
    pub date: NaiveDate,
    /// The office of the unit at the report's date.
    pub office: Office,
}

/// "huyện, thành phố": the kinds of the units directly below, in the words of the tree, for
/// sentences such as "làm việc 17 cuộc với 15 huyện, thành phố".
fn below_word(figures: &Figures) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for child in &figures.children {
        if !kinds.contains(&child.kind.as_str()) {
            kinds.push(&child.kind);
        }
    }
    if kinds.is_empty() { "đơn vị cấp dưới".to_owned() } else { kinds.join(", ") }
}

/// Builds the document from the figures, the narrative and the layout template.
pub fn build(figures: &Figures, narrative: &AnnualNarrative, layout: &LayoutSpec, options: &Options) -> AnnualDocument {
    let unit = &figures.unit;
    let short = if unit.short_name.trim().is_empty() { unit.name.clone() } else { unit.short_name.clone() };
    let year = figures.year;
    let mut words: HashMap<&'static str, String> = HashMap::new();
    words.insert("year", year.to_string());
    words.insert("next_year", (year + 1).to_string());
    words.insert("prev_year", (year - 1).to_string());
    words.insert("unit", short.clone());
    words.insert("scope", LayoutSpec::by_level(&layout.scope_word, unit.level).to_owned());
    words.insert("below", below_word(figures));
    let mut filler = Filler { figures, layout, words, preview: false };
    let (blocks, footnotes) = filler.body(narrative);
    filler.preview = true;
    let (preview, preview_footnotes) = filler.body(narrative);

    let recipients: Vec<String> = {
        let typed: Vec<String> = narrative
            .recipients
            .lines()
            .map(|l| l.trim().trim_start_matches('-').trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if typed.is_empty() { options.office.recipients.clone() } else { typed }
    };
    let office = &options.office;
    let place_date = format!("{short}, {}", format::document_date(options.date));
    AnnualDocument {
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        year,
        superior: office.superior.clone(),
        issuer: office.name.clone(),
        number: layout.number_line(office, unit.level),
        place_date,
        title: filler.words(&layout.title),
        blocks,
        recipients,
        on_behalf: if office.on_behalf.trim().is_empty() {
            layout.signature.on_behalf.clone()
        } else {
            office.on_behalf.clone()
        },
        signer_position: if !narrative.signer_position.trim().is_empty() {
            narrative.signer_position.trim().to_owned()
        } else if office.signer_position.trim().is_empty() {
            layout.signature.position.clone()
        } else {
            office.signer_position.clone()
        },
        signer_name: if narrative.signer_name.trim().is_empty() {
            layout.signature.name.clone()
        } else {
            narrative.signer_name.trim().to_owned()
        },
        footnotes,
        preview,
        preview_footnotes,
        office: office.clone(),
        layout: layout.clone(),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::fill::tokens;
    use super::*;
    use crate::units::{Level, testing};

    #[test]
    fn the_layout_template_parses() {
        let layout = LayoutSpec::load().expect("layout template");
        assert_eq!(layout.version, "annual-report-v3");
        assert_eq!(layout.font, "Times New Roman");
        assert!(layout.blocks.len() > 10);
        assert!(layout.superior.is_empty() && layout.recipients.is_empty(), "the heading is the office's");
    }

    fn office(symbol: &str) -> Office {
        let unit = testing::unit(Level::Province, "91", "Tỉnh An Giang")
            .valid_from(NaiveDate::from_ymd_opt(2025, 7, 1))
            .build();
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        Office { symbol: symbol.into(), ..crate::offices::default::derive(&unit, None, None, date) }
    }

    #[test]
    fn both_template_versions_number_with_the_offices_symbol() {
        let v2 = LayoutSpec::load_version("annual-report-v2").expect("v2");
        assert_eq!(v2.number_line(&office("BTGDVTU"), Level::Province), "Số      -BC/BTGDVTU");
        let v1 = LayoutSpec::load_version("annual-report-v1").expect("v1 still loads");
        assert_eq!(v1.version, "annual-report-v1");
        assert_eq!(v1.number_line(&office("BTGDVTU"), Level::Province), "Số      -BC/BTGDVTU");
        assert_eq!(v1.signature.on_behalf, "T/M BAN THƯỜNG VỤ");
        assert!(LayoutSpec::load_version("annual-report-v9").is_err());
    }

    #[test]
    fn changes_say_what_changed_with_the_decimals_asked() {
        let d = |text: &str| text.parse::<Decimal>().expect("decimal");
        assert_eq!(change_words(d("6.6899"), 2, "%", "cuối năm 2019"), "tăng 6,69% so với cuối năm 2019");
        assert_eq!(
            change_words(d("-1.30"), 1, " điểm phần trăm", "cuối năm 2019"),
            "giảm 1,3 điểm phần trăm so với cuối năm 2019"
        );
        assert_eq!(change_words(d("0.004"), 2, "%", "năm 2019"), "không thay đổi so với năm 2019");
    }

    #[test]
    fn v3_places_every_narrative_section_and_v2_still_loads() {
        let v3 = LayoutSpec::load_version("annual-report-v3").expect("v3");
        let sections: Vec<&str> = v3
            .blocks
            .iter()
            .filter_map(|b| match b {
                BlockSpec::Narrative { section, .. } => Some(section.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            sections,
            ["ket_qua", "uu_diem", "han_che", "nguyen_nhan", "bai_hoc", "phuong_huong", "nhiem_vu", "kien_nghi"]
        );
        let narrative =
            AnnualNarrative { uu_diem: "u".into(), bai_hoc: "b".into(), nhiem_vu: "n".into(), ..Default::default() };
        assert_eq!(
            (narrative.section("uu_diem"), narrative.section("bai_hoc"), narrative.section("nhiem_vu")),
            ("u", "b", "n")
        );
        assert_eq!(LayoutSpec::load_version("annual-report-v2").expect("v2").version, "annual-report-v2");
    }

    #[test]
    fn splits_placeholders() {
        assert_eq!(tokens("có {v:A@2|pad} cuộc"), vec![(false, "có "), (true, "v:A@2|pad"), (false, " cuộc")]);
        assert_eq!(tokens("{x}"), vec![(true, "x")]);
    }
}
