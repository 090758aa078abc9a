//! Unit codes as addresses and forms write them, checked once where they come in: `TW` (the
//! whole country), the GSO codes of provinces (`91`), districts (`905`) and communes (`30883`),
//! and hamlets (the commune's code, a dash and the local code: `30883-01`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::NATIONAL_CODE;
use super::queries::CODE_LENGTHS;

/// A well-formed unit code. Well-formed is not known: whether a unit carries the code, and
/// on which date, is the database's to say (`units::queries::resolve`). Held as written
/// (trimmed), never padded: `0091` and `4` are not codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

/// Why a text is not a unit code (the text, trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUnitCode(pub String);

impl fmt::Display for InvalidUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "“{}” không phải mã đơn vị: mã gồm 2 chữ số (tỉnh), 3 chữ số (huyện) hoặc 5 chữ số (xã), ví dụ 91, 905, \
             30883; mã thôn là mã xã, dấu gạch nối và mã thôn (30883-01); TW là toàn quốc.",
            self.0
        )
    }
}

impl std::error::Error for InvalidUnitCode {}

/// The local part of a hamlet's code: 1–10 letters without marks or digits, upper case as
/// stored (`units::hamlets` writes it so).
fn is_local_code(text: &str) -> bool {
    (1..=10).contains(&text.len()) && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_gso_code(text: &str) -> bool {
    CODE_LENGTHS.contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit())
}

impl UnitCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `TW`: the whole country, which no unit row stands for.
    pub fn is_national(&self) -> bool {
        self.0.eq_ignore_ascii_case(NATIONAL_CODE)
    }
}

impl FromStr for UnitCode {
    type Err = InvalidUnitCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let code = text.trim();
        let well_formed = code.eq_ignore_ascii_case(NATIONAL_CODE)
            || is_gso_code(code)
            || code
                .split_once('-')
                .is_some_and(|(commune, local)| commune.len() == 5 && is_gso_code(commune) && is_local_code(local));
        if well_formed { Ok(UnitCode(code.to_owned())) } else { Err(InvalidUnitCode(code.to_owned())) }
    }
}

impl TryFrom<String> for UnitCode {
    type Error = InvalidUnitCode;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<UnitCode> for String {
    fn from(code: UnitCode) -> String {
        code.0
    }
}

impl AsRef<str> for UnitCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_codes_the_app_uses() {
        for good in ["91", "905", "30883", "00091", "TW", "tw", " 91 ", "30883-01", "24958-A3"] {
            let code: UnitCode = good.parse().unwrap_or_else(|e| panic!("{good}: {e}"));
            assert_eq!(code.as_str(), good.trim());
        }
        assert!("TW".parse::<UnitCode>().is_ok_and(|c| c.is_national()));
        assert!(!"91".parse::<UnitCode>().is_ok_and(|c| c.is_national()));
    }

    #[test]
    fn refuses_what_no_unit_carries() {
        for bad in
            ["", "4", "0091", "123456", "abc", "9a", "905-01", "30883-", "30883-a3", "30883-ABCDEFGHIJK", "30883-0 1"]
        {
            assert!(bad.parse::<UnitCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn deserializes_as_it_parses() {
        let code: UnitCode = serde_json::from_str("\"30883\"").expect("a code");
        assert_eq!(code.to_string(), "30883");
        assert!(serde_json::from_str::<UnitCode>("\"4\"").is_err());
        assert_eq!(serde_json::to_string(&code).expect("JSON"), "\"30883\"");
    }
}
