//! What the catalogue forms share: errors next to each field, codes, and numbers typed the
//! Vietnamese way ("1.000", "0,5").

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Messages keyed by the field they belong to; `version` is the stale-edit message.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(HashMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Field names with a message, for the summary at the top of the form (in a stable order).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut fields: Vec<&'static str> = self.0.keys().copied().filter(|f| *f != "version").collect();
        fields.sort_unstable();
        fields
    }
}

/// A catalogue code as typed: trimmed, ASCII letters upper-cased ("tl_moi" becomes "TL_MOI").
/// The message says what to type when it is not a code.
pub fn check_code(text: &str, max_len: usize) -> Result<String, String> {
    let code: String = text.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
    if code.is_empty() {
        return Err("Nhập mã.".to_owned());
    }
    let mut chars = code.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    let rest_ok = chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !first_ok || !rest_ok {
        return Err("Mã chỉ gồm chữ in hoa không dấu (A–Z), chữ số và dấu gạch dưới, bắt đầu bằng chữ; ví dụ TL_DVHV."
            .to_owned());
    }
    if code.chars().count() > max_len {
        return Err(format!("Mã dài tối đa {max_len} ký tự."));
    }
    Ok(code)
}

/// A number typed the Vietnamese way: `.` groups thousands, `,` marks decimals ("1.126.391",
/// "51,95", "100"), exactly. `None` for anything else, "1.5" included (ambiguous: use "1,5"),
/// and beyond a decimal's 28 digits.
pub fn parse_number(text: &str) -> Option<Decimal> {
    let cleaned: String = text.trim().chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, fraction) = match body.split_once(',') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let groups: Vec<&str> = whole.split('.').collect();
    let grouped_ok = groups.iter().all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
        && (groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3)));
    if !grouped_ok {
        return None;
    }
    let mut plain = groups.concat();
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        plain.push('.');
        plain.push_str(fraction);
    }
    let value = Decimal::from_str_exact(&plain).ok()?;
    Some(if negative { -value } else { value })
}

/// A whole number in `range`, typed the Vietnamese way; empty is `default`.
pub fn parse_integer(text: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    if text.trim().is_empty() {
        return Some(default);
    }
    let value = parse_number(text)?;
    if !value.is_integer() {
        return None;
    }
    value.to_i64().filter(|v| range.contains(v))
}

/// A number as the forms show it, every decimal kept: "100", "1.000", "0,5".
pub fn show_number(value: Decimal) -> String {
    crate::format::format_number(value, 28)
}

pub fn checked(flag: &Option<String>) -> bool {
    flag.as_deref().is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_case_ascii() {
        assert_eq!(check_code(" tl_moi ", 48), Ok("TL_MOI".to_owned()));
        assert_eq!(check_code("GS_2020", 48), Ok("GS_2020".to_owned()));
        assert!(check_code("", 48).is_err());
        assert!(check_code("1ABC", 48).is_err());
        assert!(check_code("ĐOÀN", 48).is_err());
        assert!(check_code("A-B", 48).is_err());
        assert!(check_code("ABCDE", 4).is_err());
    }

    #[test]
    fn numbers_are_typed_the_vietnamese_way() {
        let d = |n: i64, scale: u32| Some(Decimal::new(n, scale));
        assert_eq!(parse_number("100"), d(100, 0));
        assert_eq!(parse_number("1.000"), d(1000, 0));
        assert_eq!(parse_number("1.126.391"), d(1_126_391, 0));
        assert_eq!(parse_number("51,95"), d(5195, 2));
        assert_eq!(parse_number("0,5"), d(5, 1));
        assert_eq!(parse_number("-3"), d(-3, 0));
        assert_eq!(parse_number("0,1234567"), d(1_234_567, 7));
        assert_eq!(parse_number("1.5"), None, "ambiguous: the decimal mark is a comma");
        assert_eq!(parse_number("12.34.567"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_integer("", 0, 0..=10), Some(0));
        assert_eq!(parse_integer("7", 0, 0..=6), None);
        assert_eq!(parse_integer("2,5", 0, 0..=6), None);
        assert_eq!(show_number(Decimal::from(100)), "100");
        assert_eq!(show_number(Decimal::from(1000)), "1.000");
        assert_eq!(show_number(Decimal::new(5, 1)), "0,5");
        assert_eq!(show_number(Decimal::new(1_234_567, 7)), "0,1234567", "every decimal kept");
    }
}
