//! Số/ký hiệu of Party documents: number – kind – issuer, e.g. `25-NQ/TW`, `1823-TB/TU`,
//! `09-QĐ/TU`, `11-QĐi/TW`.

use std::fmt;

pub const KINDS: [(&str, &str); 10] = [
    ("NQ", "Nghị quyết"),
    ("CT", "Chỉ thị"),
    ("KL", "Kết luận"),
    ("TB", "Thông báo kết luận"),
    ("QĐ", "Quyết định"),
    ("QĐi", "Quy định"),
    ("CTr", "Chương trình"),
    ("KH", "Kế hoạch"),
    ("CV", "Công văn"),
    ("HD", "Hướng dẫn"),
];

pub const ISSUERS: [(&str, &str); 4] =
    [("TW", "Trung ương"), ("TU", "Tỉnh ủy"), ("HU", "Huyện ủy"), ("ĐU", "Đảng ủy xã")];

pub fn kind_name(kind: &str) -> &'static str {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, name)| *name).unwrap_or("Văn bản")
}

pub fn issuer_name(issuer: &str) -> &'static str {
    ISSUERS.iter().find(|(k, _)| *k == issuer).map(|(_, name)| *name).unwrap_or("")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectiveNumber {
    pub serial: u32,
    pub kind: &'static str,
    pub issuer: &'static str,
}

impl fmt::Display for DirectiveNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Serials below 10 are written with a leading zero: 09-QĐ/TU.
        write!(f, "{:02}-{}/{}", self.serial, self.kind, self.issuer)
    }
}

/// Accepts the ASCII spellings people type (`QD`, `QDi`, `DU`) and spaces around the marks.
fn canonical_kind(text: &str) -> Option<&'static str> {
    let text = match text.strip_prefix("QD").or_else(|| text.strip_prefix("qd")) {
        Some(rest) => format!("QĐ{rest}"),
        None => text.to_owned(),
    };
    let kinds = || KINDS.iter().map(|(k, _)| *k);
    kinds().find(|k| *k == text).or_else(|| kinds().find(|k| k.to_lowercase() == text.to_lowercase()))
}

fn canonical_issuer(text: &str) -> Option<&'static str> {
    let upper = text.to_uppercase();
    let upper = if upper == "DU" { "ĐU".to_owned() } else { upper };
    ISSUERS.iter().map(|(k, _)| *k).find(|k| *k == upper)
}

impl std::str::FromStr for DirectiveNumber {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
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
                KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
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
        assert_eq!((n.serial, n.kind, n.issuer), (1548, "QĐ", "TU"));
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
}
