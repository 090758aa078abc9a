//! What the catalogue forms share: errors next to each field, codes, expressions, and numbers
//! typed the Vietnamese way ("1.000", "0,5"), read by the app's one parser
//! ([`crate::format::parse_vietnamese_number`], the report form's) so that the catalogue agrees
//! with the report form on what a number is: `12,345.6` and `1.5` are refused on both.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::expression::{Expression, ExpressionError};
use crate::format::{NumberKind, NumberRules, parse_vietnamese_number};

/// Messages next to the fields: the app's one [`FieldErrors`]; `version` is the stale-edit
/// message.
pub use crate::error::FieldErrors;

/// A catalogue code as typed: trimmed, ASCII letters upper-cased ("tl_moi" becomes "TL_MOI").
/// The message says what to type when it is not a code.
pub fn check_code(text: &str, max_len: usize) -> Result<String, String> {
    let code: String = text.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
    if code.is_empty() {
        return Err("Nhập mã.".to_owned());
    }
    if !super::code::is_code_shape(&code) {
        return Err("Mã chỉ gồm chữ in hoa không dấu (A–Z), chữ số và dấu gạch dưới, bắt đầu bằng chữ; ví dụ TL_DVHV."
            .to_owned());
    }
    if code.chars().count() > max_len {
        return Err(format!("Mã dài tối đa {max_len} ký tự."));
    }
    Ok(code)
}

/// Whole numbers, negative ones included (a sort order may be).
const WHOLE: NumberRules = NumberRules { kind: NumberKind::Integer, allow_negative: true, max_decimals: None };

/// Any decimal, signed, as exact as typed (up to the parser's 15 significant digits).
const SIGNED_DECIMAL: NumberRules = NumberRules::decimal(true, None);

/// A whole number in `range`, typed the Vietnamese way ("1.000"); empty is `default`. `None`
/// when refused: the caller says what the field expects.
pub fn parse_integer(text: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    match parse_vietnamese_number(text, &WHOLE) {
        Ok(None) => Some(default),
        Ok(Some(value)) => value.to_i64().filter(|v| range.contains(v)),
        Err(_) => None,
    }
}

/// A decimal typed the Vietnamese way ("51,95", "1.000"); `None` when empty or refused.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    parse_vietnamese_number(text, &SIGNED_DECIMAL).ok().flatten()
}

/// A number as the forms show it, every decimal kept: "100", "1.000", "0,5".
pub fn show_number(value: Decimal) -> String {
    crate::format::format_number(value, 28)
}

/// Whether a checkbox was ticked.
pub fn checked(flag: &Option<String>) -> bool {
    flag.as_deref().is_some_and(|v| !v.is_empty())
}

/// The trimmed text, with `message` next to the field when it is empty.
pub fn required(errors: &mut FieldErrors, field: &'static str, value: &str, message: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, message);
    }
    value.to_owned()
}

/// The one of `choices` (a vocabulary's, with its `as_str`) whose word was posted, with `message`
/// next to the field when it is none of them. The record is not saved then, so the first choice
/// stands in for the missing one (`choices` is a vocabulary's `ALL`: never empty).
pub fn choice<T: Copy>(
    errors: &mut FieldErrors,
    field: &'static str,
    word: &str,
    choices: &[T],
    as_str: fn(T) -> &'static str,
    message: &str,
) -> T {
    choices.iter().copied().find(|c| as_str(*c) == word).unwrap_or_else(|| {
        errors.add(field, message);
        choices[0]
    })
}

/// The code of a new row (checked, upper-cased), or the row's own when editing: a code never
/// changes once created.
pub fn new_or_existing_code(errors: &mut FieldErrors, existing: Option<&str>, typed: &str, max_len: usize) -> String {
    match existing {
        Some(code) => code.to_owned(),
        None => check_code(typed, max_len).unwrap_or_else(|message| {
            errors.add("code", message);
            String::new()
        }),
    }
}

/// The `sort_order` field: a whole number, empty meaning 0.
pub fn sort_order(errors: &mut FieldErrors, text: &str) -> i32 {
    match parse_integer(text, 0, -1_000_000..=1_000_000) {
        Some(value) => value as i32,
        None => {
            errors.add("sort_order", "Thứ tự là số nguyên, ví dụ 10.");
            0
        }
    }
}

/// "Mã số liệu X không có trong danh mục." — the expression error as a sentence.
fn sentence(error: &ExpressionError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// The expression, normalised ("A-B" becomes "A - B"), if it parses and names only `known`
/// codes; otherwise `None` with the reason next to the field.
pub fn check_expression(errors: &mut FieldErrors, field: &'static str, text: &str, known: &[String]) -> Option<String> {
    let parsed = Expression::parse(text).and_then(|e| e.check_known(|c| known.iter().any(|k| k == c)).map(|_| e));
    match parsed {
        Ok(expression) => Some(expression.to_string()),
        Err(error) => {
            errors.add(field, sentence(&error));
            None
        }
    }
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
        assert_eq!(parse_decimal("100"), d(100, 0));
        assert_eq!(parse_decimal("1.000"), d(1000, 0));
        assert_eq!(parse_decimal("1.126.391"), d(1_126_391, 0));
        assert_eq!(parse_decimal("51,95"), d(5195, 2));
        assert_eq!(parse_decimal("0,5"), d(5, 1));
        assert_eq!(parse_decimal("-3"), d(-3, 0));
        assert_eq!(parse_decimal("0,1234567"), d(1_234_567, 7));
        assert_eq!(parse_decimal("1.5"), None, "ambiguous: the decimal mark is a comma");
        assert_eq!(parse_decimal("12,345.6"), None, "English marks, refused as the report form does");
        assert_eq!(parse_decimal("12.34.567"), None);
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_integer("", 0, 0..=10), Some(0));
        assert_eq!(parse_integer("1.000", 0, 0..=10_000), Some(1000));
        assert_eq!(parse_integer("-5", 0, -10..=10), Some(-5));
        assert_eq!(parse_integer("7", 0, 0..=6), None);
        assert_eq!(parse_integer("2,5", 0, 0..=6), None);
        assert_eq!(parse_integer("12,345.6", 0, 0..=1_000_000), None);
        assert_eq!(show_number(Decimal::from(100)), "100");
        assert_eq!(show_number(Decimal::from(1000)), "1.000");
        assert_eq!(show_number(Decimal::new(5, 1)), "0,5");
        assert_eq!(show_number(Decimal::new(1_234_567, 7)), "0,1234567", "every decimal kept");
    }
}
