//! Số/ký hiệu of Party documents: number – kind – issuer, e.g. `25-NQ/TW`, `1823-TB/TU`,
//! `09-QĐ/TU`, `11-QĐi/TW`.

use std::fmt;

use crate::text::{fix_lookalikes, fold};
use crate::units::Level;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The kind of a Party document, the middle of its number (`25-NQ/TW`): `directives.kind`,
    /// checked by the table (migration 0003). The symbols are those of the Party's rules on
    /// document formats (Hướng dẫn 36-HD/VPTW).
    pub enum DirectiveKind: "loại văn bản" {
        Resolution = "NQ" => "Nghị quyết",
        Directive = "CT" => "Chỉ thị",
        Conclusion = "KL" => "Kết luận",
        ConclusionNotice = "TB" => "Thông báo kết luận",
        Decision = "QĐ" => "Quyết định",
        Regulation = "QĐi" => "Quy định",
        Programme = "CTr" => "Chương trình",
        Plan = "KH" => "Kế hoạch",
        OfficialLetter = "CV" => "Công văn",
        Guidance = "HD" => "Hướng dẫn",
    }
}

vocabulary! {
    /// The Party body that issues a document, the end of its number (`25-NQ/TW`):
    /// `directives.issuer`, checked by the table. `HU` stays for the documents of the districts
    /// before the 2025 reform.
    pub enum Issuer: "cơ quan ban hành" {
        Central = "TW" => "Trung ương",
        Province = "TU" => "Tỉnh ủy",
        District = "HU" => "Huyện ủy",
        Commune = "ĐU" => "Đảng ủy xã",
    }
}

impl Issuer {
    /// The level of the unit that issues documents signed `…/TU`, `…/HU`, `…/ĐU` (`…/TW`: none).
    pub fn level(self) -> Option<Level> {
        match self {
            Issuer::Central => None,
            Issuer::Province => Some(Level::Province),
            Issuer::District => Some(Level::District),
            Issuer::Commune => Some(Level::Commune),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectiveNumber {
    pub serial: u32,
    pub kind: DirectiveKind,
    pub issuer: Issuer,
}

impl fmt::Display for DirectiveNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Serials below 10 are written with a leading zero: 09-QĐ/TU.
        write!(f, "{:02}-{}/{}", self.serial, self.kind, self.issuer)
    }
}

/// Accepts the spellings people type in any case and accent (`QD`, `qđ`, `QDi`, the
/// look-alike `QÐ`): the kinds stay distinct once folded (`qd`, `qdi`, `ct`, `ctr`, …).
fn canonical_kind(text: &str) -> Option<DirectiveKind> {
    let folded = fold(text);
    DirectiveKind::ALL.into_iter().find(|k| fold(k.as_str()) == folded)
}

/// As [`canonical_kind`]: `tu`, `DU`, `đu` (the issuers fold to `tw`, `tu`, `hu`, `du`).
fn canonical_issuer(text: &str) -> Option<Issuer> {
    let folded = fold(text);
    Issuer::ALL.into_iter().find(|k| fold(k.as_str()) == folded)
}

/// A directive number as people type it into a search box: its serial, and its kind and/or
/// issuer, in any order, spacing, case and accent: "qd 09", "09 QĐ", "09-QĐ/TU", "09/QĐ-TU",
/// "tu 9 qd" all mean 09-QĐ/TU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberQuery {
    pub serial: u32,
    pub kind: Option<DirectiveKind>,
    pub issuer: Option<Issuer>,
}

impl NumberQuery {
    /// Reads a search text as a number: every word must be the serial, a kind or an issuer
    /// (each once), with the serial and at least one of the others. Anything else (a word of a
    /// title) is no number, and `None`.
    pub fn parse(text: &str) -> Option<NumberQuery> {
        let folded = fold(text);
        // Words split at anything but letters and digits, and between digits and letters ("09qd").
        let mut words: Vec<String> = Vec::new();
        let mut last_digit = None;
        for c in folded.chars() {
            if !c.is_alphanumeric() {
                last_digit = None;
                continue;
            }
            let digit = c.is_ascii_digit();
            match words.last_mut() {
                Some(word) if last_digit == Some(digit) => word.push(c),
                _ => words.push(c.to_string()),
            }
            last_digit = Some(digit);
        }
        let (mut serial, mut kind, mut issuer) = (None, None, None);
        for word in &words {
            if word.chars().all(|c| c.is_ascii_digit()) {
                if serial.is_some() || word.len() > 6 {
                    return None;
                }
                serial = Some(word.parse::<u32>().ok().filter(|n| *n > 0)?);
            } else if let Some(k) = canonical_kind(word).filter(|_| kind.is_none()) {
                kind = Some(k);
            } else if let Some(i) = canonical_issuer(word).filter(|_| issuer.is_none()) {
                issuer = Some(i);
            } else {
                return None;
            }
        }
        let serial = serial?;
        (kind.is_some() || issuer.is_some()).then_some(NumberQuery { serial, kind, issuer })
    }
}

impl std::str::FromStr for DirectiveNumber {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // `Ð` (U+00D0) from old web pages is stored as `Đ`: the number is the same.
        let compact: String = fix_lookalikes(text).chars().filter(|c| !c.is_whitespace()).collect();
        let hint = "Số/ký hiệu gồm số – loại văn bản / cơ quan ban hành, ví dụ 25-NQ/TW, 09-QĐ/TU.";
        let (serial, rest) = compact.split_once('-').ok_or_else(|| format!("Thiếu dấu “-”. {hint}"))?;
        let (kind, issuer) = rest.split_once('/').ok_or_else(|| format!("Thiếu dấu “/”. {hint}"))?;
        let serial: u32 = serial
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("“{serial}” không phải số văn bản. {hint}"))?;
        let kind = canonical_kind(kind).ok_or_else(|| {
            format!(
                "Loại văn bản “{kind}” không có; dùng {}.",
                DirectiveKind::ALL.map(DirectiveKind::as_str).join(", ")
            )
        })?;
        let issuer = canonical_issuer(issuer)
            .ok_or_else(|| format!("Cơ quan ban hành “{issuer}” không có; dùng TW, TU, HU hoặc ĐU."))?;
        Ok(DirectiveNumber { serial, kind, issuer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<String, String> {
        text.parse::<DirectiveNumber>().map(|n| n.to_string())
    }

    #[test]
    fn parses_party_document_numbers() {
        assert_eq!(parse("25-NQ/TW"), Ok("25-NQ/TW".into()));
        assert_eq!(parse("1823-TB/TU"), Ok("1823-TB/TU".into()));
        assert_eq!(parse("09-QĐ/TU"), Ok("09-QĐ/TU".into()));
        assert_eq!(parse("11-QĐi/TW"), Ok("11-QĐi/TW".into()));
        assert_eq!(parse("05-CTr/TU"), Ok("05-CTr/TU".into()));
        assert_eq!(parse(" 9 - QD / tu "), Ok("09-QĐ/TU".into()));
        assert_eq!(parse("11-QDi/TW"), Ok("11-QĐi/TW".into()));
        assert_eq!(parse("3-NQ/DU"), Ok("03-NQ/ĐU".into()));
        let n: DirectiveNumber = "1548-QĐ/TU".parse().expect("valid");
        assert_eq!((n.serial, n.kind, n.issuer), (1548, DirectiveKind::Decision, Issuer::Province));
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(parse("25/NQ-TW").is_err());
        assert!(parse("NQ/TW").unwrap_err().contains("dấu “-”"));
        assert!(parse("25-XX/TW").unwrap_err().contains("Loại văn bản “XX”"));
        assert!(parse("25-NQ/BCH").unwrap_err().contains("Cơ quan ban hành"));
        assert!(parse("0-NQ/TW").is_err());
        assert!(parse("abc-NQ/TW").is_err());
    }

    #[test]
    fn lookalike_eth_is_the_same_number() {
        assert_eq!(parse("09-Q\u{00D0}/TU"), Ok("09-QĐ/TU".into()));
        assert_eq!(parse("3-NQ/\u{00D0}U"), Ok("03-NQ/ĐU".into()));
        assert_eq!(parse("11-q\u{00F0}i/tw"), Ok("11-QĐi/TW".into()));
    }

    #[test]
    fn reads_numbers_as_people_type_them() {
        let (decision, province) = (Some(DirectiveKind::Decision), Some(Issuer::Province));
        let nine = Some(NumberQuery { serial: 9, kind: decision, issuer: province });
        for typed in ["09-QĐ/TU", "09/QĐ-TU", "tu 9 qd", "09 - Q\u{00D0} / TU", "09qđ/tu"] {
            assert_eq!(NumberQuery::parse(typed), nine, "{typed}");
        }
        let no_issuer = Some(NumberQuery { serial: 9, kind: decision, issuer: None });
        assert_eq!(NumberQuery::parse("qd 09"), no_issuer);
        assert_eq!(NumberQuery::parse("09 QĐ"), no_issuer);
        let regulation = Some(DirectiveKind::Regulation);
        assert_eq!(NumberQuery::parse("11 qdi"), Some(NumberQuery { serial: 11, kind: regulation, issuer: None }));
        let central = Some(Issuer::Central);
        assert_eq!(NumberQuery::parse("25 TW"), Some(NumberQuery { serial: 25, kind: None, issuer: central }));
        for not_a_number in ["09", "qd", "dân vận 09", "09 10 qd", "qd nq 9", ""] {
            assert_eq!(NumberQuery::parse(not_a_number), None, "{not_a_number}");
        }
    }
}
