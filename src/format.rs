//! Numbers and dates written the Vietnamese way: `585.160`, `51,95`, `15/12/2020`,
//! "ngày 05 tháng 01 năm 2021".

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// The most decimals a [`Decimal`] holds.
const MAX_SCALE: u32 = 28;

/// Groups thousands with `.`: 585160 → "585.160".
pub fn integer(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(&digits))
}

/// Puts a `.` between groups of three digits of a run of ASCII digits.
fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    grouped
}

/// Writes an already rounded decimal the Vietnamese way, its scale giving the decimals shown;
/// never `-0`.
fn write_decimal(value: Decimal) -> String {
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if value.is_sign_negative() && !value.is_zero() { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{}", group_thousands(whole))
    } else {
        format!("{sign}{},{fraction}", group_thousands(whole))
    }
}

/// A decimal with exactly `decimals` places (rounded half away from zero), `,` for the decimal
/// mark: (51.95, 2) → "51,95", (3.125, 2) → "3,13", (7, 1) → "7,0".
pub fn decimal(value: Decimal, decimals: usize) -> String {
    let places = u32::try_from(decimals).unwrap_or(u32::MAX).min(MAX_SCALE);
    let mut rounded = crate::figures::round(value, places);
    rounded.rescale(places);
    write_decimal(rounded)
}

/// `15/12/2020`, as dates are written in running text.
pub fn date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// "ngày 05 tháng 01 năm 2021": the place-and-date line of a Party document (day below 10 and
/// months 1–2 zero-padded).
pub fn document_date(date: NaiveDate) -> String {
    let month = if date.month() <= 2 { format!("{:02}", date.month()) } else { date.month().to_string() };
    format!("ngày {:02} tháng {} năm {}", date.day(), month, date.year())
}

/// Vietnam's time zone (UTC+7 all year: no daylight saving since 1975).
pub const VIETNAM: chrono::FixedOffset = match chrono::FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// A moment as Vietnamese pages write it, in Vietnam's time: `30/11/2026 14:05`.
pub fn local_datetime(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&VIETNAM).format("%d/%m/%Y %H:%M").to_string()
}

/// The text with its first letter upper-case ("năm 2025" → "Năm 2025"), for a label that
/// starts a sentence.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_written_in_vietnam_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T17:30:00Z").expect("date").to_utc();
        // 17:30 UTC is already the next day in Hà Nội.
        assert_eq!(local_datetime(at), "01/12/2026 00:30");
        assert_eq!(crate::reports::store::days_late(at, NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")), 1);
    }

    #[test]
    fn formats_integers() {
        assert_eq!(integer(585160), "585.160");
        assert_eq!(integer(0), "0");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(1000), "1.000");
        assert_eq!(integer(-1234567), "-1.234.567");
    }

    #[test]
    fn formats_decimals() {
        let d = |text: &str| Decimal::from_str_exact(text).expect("a decimal");
        assert_eq!(decimal(d("51.95"), 2), "51,95");
        assert_eq!(decimal(d("39.48"), 2), "39,48");
        assert_eq!(decimal(d("1234.5"), 1), "1.234,5");
        assert_eq!(decimal(d("77.9816"), 2), "77,98");
        assert_eq!(decimal(d("-0.001"), 2), "0,00");
        assert_eq!(decimal(d("7"), 1), "7,0");
        assert_eq!(decimal(d("-1234567.5"), 0), "-1.234.568");
        // 1/32 as a percentage: 3,125 shows as 3,13 (half away from zero, not to even).
        assert_eq!(decimal(Decimal::ONE / Decimal::from(32) * Decimal::ONE_HUNDRED, 2), "3,13");
        assert_eq!(decimal(d("-3.125"), 2), "-3,13");
    }

    /// Ties are rounded away from zero on the exact value, where a double would hold a value
    /// just below the tie (1,005 is 1,00499999999999989… as a double) and round-half-even would
    /// round down (3,125 → 3,12).
    #[test]
    fn ties_round_away_from_zero_in_every_unit() {
        let d = |text: &str| Decimal::from_str_exact(text).expect("a decimal");
        // Rates: 1/32 = 3,125%.
        let rate = Decimal::ONE_HUNDRED * Decimal::ONE / Decimal::from(32);
        assert_eq!(rate, d("3.125"));
        assert_eq!(format!("{}%", decimal(rate, 2)), "3,13%");
        assert_eq!(format_number(rate, 2), "3,13");
        // Money in tỷ đồng: 39.485.000.000 đồng is 39,485 tỷ → 39,49; 1.005.000.000 → 1,01.
        let billion = Decimal::from(1_000_000_000);
        assert_eq!(decimal(Decimal::from(39_485_000_000i64) / billion, 2), "39,49");
        assert_eq!(decimal(Decimal::from(1_005_000_000) / billion, 2), "1,01");
        assert_eq!(decimal(Decimal::from(2_675_000_000i64) / billion, 2), "2,68");
        assert_eq!(decimal(Decimal::from(1_234_565_000_000i64) / billion, 2), "1.234,57");
        // Lengths in km: 46,125 → 46,13; 0,005 → 0,01; 12,345 with one decimal → 12,3.
        assert_eq!(decimal(d("46.125"), 2), "46,13");
        assert_eq!(decimal(d("0.005"), 2), "0,01");
        assert_eq!(decimal(d("12.345"), 2), "12,35");
        assert_eq!(decimal(d("12.345"), 1), "12,3");
        assert_eq!(decimal(d("12.25"), 1), "12,3");
        assert_eq!(decimal(d("-12.25"), 1), "-12,3");
        assert_eq!(format_number(d("1.005"), 2), "1,01");
        // The doubles these come from would have rounded down.
        assert_eq!(format!("{:.2}", 1.005_f64), "1.00");
        assert_eq!(format!("{:.2}", 3.125_f64), "3.12");
    }

    #[test]
    fn formats_dates() {
        let d = NaiveDate::from_ymd_opt(2021, 1, 5).unwrap();
        assert_eq!(date(d), "05/01/2021");
        assert_eq!(document_date(d), "ngày 05 tháng 01 năm 2021");
        let d = NaiveDate::from_ymd_opt(2020, 12, 15).unwrap();
        assert_eq!(document_date(d), "ngày 15 tháng 12 năm 2020");
    }
}

// Vietnamese number input and output.
//
// Staff type figures the Vietnamese way: the dot groups thousands
// (`585.160` is 585160) and the comma is the decimal mark (`51,95`).
// This module parses such input strictly, refusing anything ambiguous with
// a Vietnamese message that can be shown next to the field, applies the
// same rules to numbers that arrive as JSON numbers, and formats numbers
// back the Vietnamese way.
//
// Decisions where the issue was silent:
// - whitespace of any kind (`char::is_whitespace`, which covers U+00A0,
//   U+202F and the thin spaces) plus the invisible U+200B and U+FEFF is
//   removed wherever it is, even between the sign and the digits;
// - `-` and the typographic minus U+2212 are both minus signs;
// - `,5`, `5,`, `.5`, `5.`, a lone `.` or `,`, `1..234` are invalid: the
//   comma needs digits on both sides and no dot group may be empty;
// - more than one comma (`1,234,567`) or a dot after the comma
//   (`12,345.6`) is English style: ambiguous;
// - leading zeros are accepted in a plain number (`007` is 7, `00,5` is
//   0.5), but a dotted number may not start with a zero group (`0.500`,
//   `01.234` are ambiguous, since the dot could be a decimal point);
// - a single dot with a bad grouping (`245.00`, `1.5`, `1.2345`,
//   `1234.567`) is ambiguous; several dots where only the last group is
//   wrong (`1.234.56`) are ambiguous too; any other bad grouping
//   (`1.23.4`, `1.23,5`) is invalid;
// - trailing zeros of the fraction do not count as decimals: `5,0` is
//   accepted for an integer element and `5,10` passes a maximum of 1;
// - `-0` (or `-0,0`) is zero, accepted even when negatives are not;
// - a typed value is parsed straight into a `Decimal`, exactly; its
//   digits, from the first significant digit of the integer part (or from
//   the comma when the integer part is zero) to the last non-zero decimal,
//   may number at most 15, otherwise `TooManyDecimals(15 - integer digits)`
//   is returned: so a figure stays exact where it must become a double too
//   (XLSX cells, JSON numbers); that rule is not applied to JSON numbers,
//   which arrive as a double and are read as the shortest decimal that
//   reads back as it;
// - values whose magnitude is above 1e15 are `TooLarge` (1e15 itself is
//   accepted).

use std::fmt;

/// What a data element accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Integer,
    Decimal,
}

/// Constraints of a data element on the numbers it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberRules {
    pub kind: NumberKind,
    pub allow_negative: bool,
    /// Maximum number of significant decimal digits, if any.
    pub max_decimals: Option<u8>,
}

impl NumberRules {
    /// A non-negative integer: the usual count.
    pub const fn count() -> Self {
        NumberRules { kind: NumberKind::Integer, allow_negative: false, max_decimals: None }
    }

    /// A decimal, possibly negative, with an optional maximum of decimals.
    pub const fn decimal(allow_negative: bool, max_decimals: Option<u8>) -> Self {
        NumberRules { kind: NumberKind::Decimal, allow_negative, max_decimals }
    }
}

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberError {
    /// Not a number at all (letters, stray signs, misplaced comma, ...).
    Invalid,
    /// The marks could mean something else: English style, or a dot that
    /// may be a decimal point.
    Ambiguous,
    /// Negative where negatives are not allowed.
    Negative,
    /// A fraction for an integer element.
    NotInteger,
    /// More decimals than allowed; carries the maximum allowed.
    TooManyDecimals(u8),
    /// Magnitude above 1e15 (or not finite).
    TooLarge,
}

impl NumberError {
    /// The Vietnamese message shown next to the field.
    pub fn message(&self) -> String {
        match self {
            NumberError::Invalid => "Không phải là số. Nhập số như 585.160 hoặc 51,95.".to_string(),
            NumberError::Ambiguous => "Không rõ dấu chấm là phân cách hàng nghìn hay thập phân. \
                 Dùng dấu chấm để phân cách hàng nghìn (585.160) và dấu phẩy cho phần thập phân (51,95)."
                .to_string(),
            NumberError::Negative => "Số này không được âm.".to_string(),
            NumberError::NotInteger => "Chỉ tiêu này là số nguyên, không có phần thập phân.".to_string(),
            NumberError::TooManyDecimals(0) => "Số này không được có phần thập phân.".to_string(),
            NumberError::TooManyDecimals(n) => format!("Tối đa {n} chữ số thập phân."),
            NumberError::TooLarge => "Số quá lớn.".to_string(),
        }
    }
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for NumberError {}

/// A parsed number with the count of its significant decimal digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// The number, exactly as typed.
    pub value: Decimal,
    /// Decimals up to the last non-zero one.
    pub decimals: u8,
}

impl fmt::Display for Quantity {
    /// Vietnamese formatting, e.g. `1.234,5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_number(self.value, self.decimals))
    }
}

/// Largest magnitude accepted.
const MAX_MAGNITUDE: f64 = 1e15;
/// The same, as the digits of its integer part.
const MAX_MAGNITUDE_DIGITS: &str = "1000000000000000";
/// Significant digits a double always keeps exactly, so a figure survives XLSX and JSON.
const MAX_DIGITS: usize = 15;

/// Characters ignored wherever they appear.
fn is_ignored(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// Parses a number typed the Vietnamese way.
///
/// Returns `Ok(None)` when the input is empty or only whitespace.
pub fn parse_vietnamese_number(input: &str, rules: &NumberRules) -> Result<Option<Decimal>, NumberError> {
    Ok(parse_quantity(input, rules)?.map(|q| q.value))
}

/// Like [`parse_vietnamese_number`], keeping the count of decimals.
pub fn parse_quantity(input: &str, rules: &NumberRules) -> Result<Option<Quantity>, NumberError> {
    let compact: String = input.chars().filter(|&c| !is_ignored(c)).collect();
    if compact.is_empty() {
        return Ok(None);
    }

    let body = compact.strip_suffix('%').unwrap_or(&compact);
    let (negative, body) = if let Some(rest) = body.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = body.strip_prefix('\u{2212}') {
        (true, rest)
    } else if let Some(rest) = body.strip_prefix('+') {
        (false, rest)
    } else {
        (false, body)
    };

    let (int_digits, frac_digits) = split_digits(body)?;

    let int_trimmed = int_digits.trim_start_matches('0');
    let frac_trimmed = frac_digits.trim_end_matches('0');
    let is_zero = int_trimmed.is_empty() && frac_trimmed.is_empty();

    if negative && !is_zero && !rules.allow_negative {
        return Err(NumberError::Negative);
    }

    let normalised = match (int_trimmed.is_empty(), frac_trimmed.is_empty()) {
        (true, true) => "0".to_string(),
        (false, true) => int_trimmed.to_string(),
        (true, false) => format!("0.{frac_trimmed}"),
        (false, false) => format!("{int_trimmed}.{frac_trimmed}"),
    };
    // Judged on the digits, so that a 400-digit input costs no arithmetic.
    let too_large = int_trimmed.len() > MAX_MAGNITUDE_DIGITS.len()
        || (int_trimmed.len() == MAX_MAGNITUDE_DIGITS.len()
            && (int_trimmed != MAX_MAGNITUDE_DIGITS || !frac_trimmed.is_empty()));
    if too_large {
        return Err(NumberError::TooLarge);
    }

    let decimals = frac_trimmed.len();
    if decimals > 0 {
        if rules.kind == NumberKind::Integer {
            return Err(NumberError::NotInteger);
        }
        if let Some(max) = rules.max_decimals.filter(|&max| decimals > usize::from(max)) {
            return Err(NumberError::TooManyDecimals(max));
        }
        if int_trimmed.len() + decimals > MAX_DIGITS {
            let allowed = MAX_DIGITS.saturating_sub(int_trimmed.len());
            return Err(NumberError::TooManyDecimals(u8::try_from(allowed).unwrap_or(u8::MAX)));
        }
    }

    // At most 16 integer digits or 15 digits in all here: a Decimal holds them exactly.
    let magnitude = Decimal::from_str_exact(&normalised).map_err(|_| NumberError::Invalid)?;
    let value = if negative && !is_zero { -magnitude } else { magnitude };
    Ok(Some(Quantity {
        value,
        // At most MAX_DIGITS here.
        decimals: u8::try_from(decimals).unwrap_or(u8::MAX),
    }))
}

/// Splits an unsigned body such as `1.234,5` into its integer digits
/// (`1234`) and fraction digits (`5`), checking the marks.
fn split_digits(body: &str) -> Result<(String, &str), NumberError> {
    if !body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err(NumberError::Invalid);
    }
    if !body.chars().any(|c| c.is_ascii_digit()) {
        return Err(NumberError::Invalid);
    }

    let (int_part, frac_part) = match body.split_once(',') {
        None => (body, None),
        Some((int_part, frac_part)) => {
            // English style: `1,234,567` or `12,345.6`.
            if frac_part.contains(',') || frac_part.contains('.') {
                return Err(NumberError::Ambiguous);
            }
            if int_part.is_empty() || frac_part.is_empty() {
                return Err(NumberError::Invalid);
            }
            (int_part, Some(frac_part))
        }
    };

    if !int_part.contains('.') {
        return Ok((int_part.to_string(), frac_part.unwrap_or("")));
    }

    let groups: Vec<&str> = int_part.split('.').collect();
    if groups.iter().any(|g| g.is_empty()) {
        return Err(NumberError::Invalid);
    }
    let first_ok = |g: &str| g.len() <= 3 && !g.starts_with('0');
    let well_grouped = |gs: &[&str]| {
        gs.split_first().is_some_and(|(first, rest)| first_ok(first) && rest.iter().all(|g| g.len() == 3))
    };

    if well_grouped(&groups) {
        return Ok((groups.concat(), frac_part.unwrap_or("")));
    }

    // The dot may have been meant as a decimal point: `245.00`, `1.5`,
    // `1.2345`, `1.234.56`.
    if frac_part.is_none() {
        let single_dot = groups.len() == 2;
        let only_last_wrong = groups.split_last().is_some_and(|(_, init)| well_grouped(init));
        if single_dot || only_last_wrong {
            return Err(NumberError::Ambiguous);
        }
    }
    Err(NumberError::Invalid)
}

/// Checks a number that arrived as a JSON number against the same rules:
/// finite, magnitude, sign, integer-ness and maximum of decimals.
///
/// Returns the shortest decimal that reads back as the double (what the
/// sender wrote), `-0.0` giving zero.
pub fn check_number(value: f64, rules: &NumberRules) -> Result<Decimal, NumberError> {
    if value.is_nan() {
        return Err(NumberError::Invalid);
    }
    if value.is_infinite() || value.abs() > MAX_MAGNITUDE {
        return Err(NumberError::TooLarge);
    }
    if value == 0.0 {
        return Ok(Decimal::ZERO);
    }
    if value < 0.0 && !rules.allow_negative {
        return Err(NumberError::Negative);
    }
    if value.fract() != 0.0 {
        if rules.kind == NumberKind::Integer {
            return Err(NumberError::NotInteger);
        }
        if let Some(max) = rules.max_decimals {
            // The shortest decimal that reads back as this f64: what the
            // sender most likely meant.
            let shortest = value.abs().to_string();
            let decimals = shortest.split_once('.').map_or(0, |(_, frac)| frac.len());
            if decimals > usize::from(max) {
                return Err(NumberError::TooManyDecimals(max));
            }
        }
    }
    // Only a fraction finer than 28 decimals fails here.
    crate::figures::from_f64(value).ok_or(NumberError::TooManyDecimals(MAX_SCALE as u8))
}

/// Formats a number the Vietnamese way: `585160` → `585.160`,
/// `51.95` → `51,95`, `1234.5` → `1.234,5`.
///
/// The value is rounded to `max_decimals` (half away from zero, so `2.675`
/// gives `2,68`), trailing zeros of the fraction are dropped and `-0` is
/// never shown.
pub fn format_number(value: Decimal, max_decimals: u8) -> String {
    write_decimal(crate::figures::round(value, u32::from(max_decimals)).normalize())
}

#[cfg(test)]
mod number_tests {
    use super::*;
    use proptest::prelude::*;

    const COUNT: NumberRules = NumberRules::count();
    const DECIMAL: NumberRules = NumberRules::decimal(false, None);
    const SIGNED: NumberRules = NumberRules::decimal(true, None);

    fn p(input: &str, rules: &NumberRules) -> Result<Option<Decimal>, NumberError> {
        parse_vietnamese_number(input, rules)
    }

    /// A decimal in Rust's notation.
    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("a decimal")
    }

    fn ok(input: &str, rules: &NumberRules) -> Decimal {
        match p(input, rules) {
            Ok(Some(v)) => v,
            other => panic!("{input:?} should parse, got {other:?}"),
        }
    }

    #[test]
    fn dotted_thousands() {
        assert_eq!(ok("585.160", &COUNT), d("585160"));
        assert_eq!(ok("1.000.000", &COUNT), d("1000000"));
        assert_eq!(ok("1.234", &DECIMAL), d("1234"));
        assert_eq!(ok("999.999.999.999", &COUNT), d("999999999999"));
    }

    #[test]
    fn comma_decimals() {
        assert_eq!(ok("51,95", &DECIMAL), d("51.95"));
        assert_eq!(ok("1.234,5", &DECIMAL), d("1234.5"));
        assert_eq!(ok("0,5", &DECIMAL), d("0.5"));
        assert_eq!(ok("00,5", &DECIMAL), d("0.5"));
        assert_eq!(ok("0,1", &DECIMAL), d("0.1"));
    }

    #[test]
    fn plain_digits_and_leading_zeros() {
        assert_eq!(ok("585160", &COUNT), d("585160"));
        assert_eq!(ok("007", &COUNT), d("7"));
        assert_eq!(ok("0", &COUNT), d("0"));
        assert_eq!(ok("1234,5", &DECIMAL), d("1234.5"));
    }

    #[test]
    fn spaces_are_ignored() {
        assert_eq!(ok("585 160", &COUNT), d("585160"));
        assert_eq!(ok("  585.160  ", &COUNT), d("585160"));
        assert_eq!(ok("1\u{a0}234,5", &DECIMAL), d("1234.5"));
        assert_eq!(ok("1 234,5", &DECIMAL), d("1234.5"));
        assert_eq!(ok("1\u{202f}234", &COUNT), d("1234"));
        assert_eq!(ok("1\u{2009}234\u{200a}567", &COUNT), d("1234567"));
        assert_eq!(ok("\u{feff}12\u{200b}3", &COUNT), d("123"));
        assert_eq!(ok("- 5", &SIGNED), d("-5"));
        assert_eq!(ok("51,95 %", &DECIMAL), d("51.95"));
    }

    #[test]
    fn empty_is_no_value() {
        assert_eq!(p("", &COUNT), Ok(None));
        assert_eq!(p("   ", &COUNT), Ok(None));
        assert_eq!(p("\u{a0}\t\u{202f}\n", &DECIMAL), Ok(None));
    }

    #[test]
    fn signs() {
        assert_eq!(ok("+7", &COUNT), d("7"));
        assert_eq!(ok("-5", &SIGNED), d("-5"));
        assert_eq!(ok("\u{2212}5", &SIGNED), d("-5"));
        assert_eq!(ok("-1.234,5", &SIGNED), d("-1234.5"));
        assert_eq!(p("-5", &COUNT), Err(NumberError::Negative));
        assert_eq!(p("-0,5", &DECIMAL), Err(NumberError::Negative));
        let zero = ok("-0", &COUNT);
        assert_eq!(zero, Decimal::ZERO);
        assert!(zero.is_sign_positive());
        assert_eq!(p("--5", &SIGNED), Err(NumberError::Invalid));
        assert_eq!(p("+-5", &SIGNED), Err(NumberError::Invalid));
        assert_eq!(p("5-", &SIGNED), Err(NumberError::Invalid));
        assert_eq!(p("-", &SIGNED), Err(NumberError::Invalid));
        assert_eq!(p("+", &SIGNED), Err(NumberError::Invalid));
    }

    #[test]
    fn percent() {
        assert_eq!(ok("51,95%", &DECIMAL), d("51.95"));
        assert_eq!(ok("100%", &COUNT), d("100"));
        assert_eq!(p("%", &DECIMAL), Err(NumberError::Invalid));
        assert_eq!(p("5%%", &DECIMAL), Err(NumberError::Invalid));
        assert_eq!(p("%5", &DECIMAL), Err(NumberError::Invalid));
    }

    #[test]
    fn english_style_is_ambiguous() {
        assert_eq!(p("12,345.6", &DECIMAL), Err(NumberError::Ambiguous));
        assert_eq!(p("1,234,567", &DECIMAL), Err(NumberError::Ambiguous));
        assert_eq!(p("1,5.3", &DECIMAL), Err(NumberError::Ambiguous));
    }

    #[test]
    fn dot_not_followed_by_three_digits_is_ambiguous() {
        for input in ["245.00", "1.5", "1.2345", "1234.567", "0.500", "01.234", "1.234.56"] {
            assert_eq!(p(input, &DECIMAL), Err(NumberError::Ambiguous), "{input}");
        }
        assert!(NumberError::Ambiguous.message().contains("dấu phẩy cho phần thập phân (51,95)"));
    }

    #[test]
    fn bad_grouping_is_invalid() {
        for input in ["1.23.4", "1.23,5", "1234.567,8", "1..234", "1.234.", ".234", "12.3456.789"] {
            assert_eq!(p(input, &DECIMAL), Err(NumberError::Invalid), "{input}");
        }
    }

    #[test]
    fn misplaced_marks_are_invalid() {
        for input in [",5", "5,", ",", ".", ".5", "5.", "1.234,", ",.", "1_000", "1'000"] {
            assert_eq!(p(input, &DECIMAL), Err(NumberError::Invalid), "{input}");
        }
    }

    #[test]
    fn letters_are_invalid() {
        for input in ["abc", "12a", "1e5", "0x10", "NaN", "inf", "5 người", "١٢"] {
            assert_eq!(p(input, &DECIMAL), Err(NumberError::Invalid), "{input}");
        }
    }

    #[test]
    fn integer_elements() {
        assert_eq!(p("51,95", &COUNT), Err(NumberError::NotInteger));
        assert_eq!(p("1.234,5", &COUNT), Err(NumberError::NotInteger));
        // Trailing zeros of the fraction are not decimals.
        assert_eq!(ok("5,0", &COUNT), d("5"));
        assert_eq!(ok("5,000", &COUNT), d("5"));
    }

    #[test]
    fn max_decimals() {
        let two = NumberRules::decimal(false, Some(2));
        assert_eq!(ok("51,95", &two), d("51.95"));
        assert_eq!(ok("51,950", &two), d("51.95"));
        assert_eq!(p("51,955", &two), Err(NumberError::TooManyDecimals(2)));
        let none = NumberRules::decimal(false, Some(0));
        assert_eq!(p("5,5", &none), Err(NumberError::TooManyDecimals(0)));
        assert_eq!(ok("5", &none), d("5"));
    }

    #[test]
    fn size_and_precision() {
        assert_eq!(ok("1.000.000.000.000.000", &COUNT), d("1000000000000000"));
        assert_eq!(ok("999.999.999.999.999", &COUNT), d("999999999999999"));
        assert_eq!(p("1.000.000.000.000.001", &COUNT), Err(NumberError::TooLarge));
        assert_eq!(p("99999999999999999999999", &COUNT), Err(NumberError::TooLarge));
        let huge = "9".repeat(400);
        assert_eq!(p(&huge, &COUNT), Err(NumberError::TooLarge));
        assert_eq!(p("-1.000.000.000.000.001", &SIGNED), Err(NumberError::TooLarge));
        // 15 significant digits pass, 16 do not.
        assert_eq!(ok("123.456.789,012345", &DECIMAL), d("123456789.012345"));
        assert_eq!(p("123.456.789,0123456", &DECIMAL), Err(NumberError::TooManyDecimals(6)));
        assert_eq!(ok("0,000000000000001", &DECIMAL), d("0.000000000000001"));
        assert_eq!(p("0,0000000000000001", &DECIMAL), Err(NumberError::TooManyDecimals(15)));
    }

    #[test]
    fn quantity_keeps_decimals() {
        let q = parse_quantity("1.234,50", &DECIMAL);
        assert_eq!(q, Ok(Some(Quantity { value: d("1234.5"), decimals: 1 })));
        let shown = q.ok().flatten().map(|q| q.to_string());
        assert_eq!(shown.as_deref(), Some("1.234,5"));
    }

    #[test]
    fn messages() {
        assert_eq!(NumberError::Invalid.message(), "Không phải là số. Nhập số như 585.160 hoặc 51,95.");
        assert_eq!(NumberError::Negative.message(), "Số này không được âm.");
        assert_eq!(NumberError::NotInteger.message(), "Chỉ tiêu này là số nguyên, không có phần thập phân.");
        assert_eq!(NumberError::TooManyDecimals(2).message(), "Tối đa 2 chữ số thập phân.");
        assert_eq!(NumberError::TooLarge.message(), "Số quá lớn.");
        assert_eq!(NumberError::TooLarge.to_string(), "Số quá lớn.");
        assert_eq!(
            NumberError::Ambiguous.message(),
            "Không rõ dấu chấm là phân cách hàng nghìn hay thập phân. Dùng dấu chấm để phân cách hàng nghìn (585.160) và dấu phẩy cho phần thập phân (51,95)."
        );
    }

    #[test]
    fn check_json_numbers() {
        assert_eq!(check_number(585_160.0, &COUNT), Ok(d("585160")));
        assert_eq!(check_number(51.95, &COUNT), Err(NumberError::NotInteger));
        assert_eq!(check_number(-5.0, &COUNT), Err(NumberError::Negative));
        assert_eq!(check_number(-5.0, &SIGNED), Ok(d("-5")));
        let zero = check_number(-0.0, &COUNT);
        assert_eq!(zero, Ok(Decimal::ZERO));
        assert!(zero.is_ok_and(|z| z.is_sign_positive()));
        assert_eq!(check_number(f64::NAN, &DECIMAL), Err(NumberError::Invalid));
        assert_eq!(check_number(f64::INFINITY, &DECIMAL), Err(NumberError::TooLarge));
        assert_eq!(check_number(1e15, &COUNT), Ok(d("1000000000000000")));
        assert_eq!(check_number(1.5e15, &COUNT), Err(NumberError::TooLarge));
        let two = NumberRules::decimal(false, Some(2));
        // The decimal the sender wrote, not the double's binary expansion.
        assert_eq!(check_number(51.95, &two), Ok(d("51.95")));
        assert_eq!(check_number(51.955, &two), Err(NumberError::TooManyDecimals(2)));
        assert_eq!(check_number(0.1 + 0.2, &two), Err(NumberError::TooManyDecimals(2)));
        assert_eq!(check_number(0.1 + 0.2, &DECIMAL), Ok(d("0.30000000000000004")));
        assert_eq!(check_number(1e-30, &DECIMAL), Err(NumberError::TooManyDecimals(28)));
    }

    #[test]
    fn formatting() {
        assert_eq!(format_number(d("585160"), 0), "585.160");
        assert_eq!(format_number(d("51.95"), 2), "51,95");
        assert_eq!(format_number(d("1234.5"), 2), "1.234,5");
        assert_eq!(format_number(d("1000000"), 2), "1.000.000");
        assert_eq!(format_number(d("0"), 2), "0");
        assert_eq!(format_number(-d("0"), 2), "0");
        assert_eq!(format_number(d("-0.001"), 2), "0");
        assert_eq!(format_number(d("-0.004"), 2), "0");
        assert_eq!(format_number(d("-0.005"), 2), "-0,01");
        assert_eq!(format_number(d("-1234.5"), 1), "-1.234,5");
        assert_eq!(format_number(d("2.675"), 2), "2,68");
        assert_eq!(format_number(d("999.995"), 2), "1.000");
        assert_eq!(format_number(d("9.96"), 1), "10");
        assert_eq!(format_number(d("0.5"), 0), "1");
        assert_eq!(format_number(d("0.4"), 0), "0");
        assert_eq!(format_number(d("1.10"), 3), "1,1");
        assert_eq!(format_number(d("123"), 0), "123");
        assert_eq!(format_number(d("1000000000000000"), 0), "1.000.000.000.000.000");
        assert_eq!(format_number(d("0.0000001"), 10), "0,0000001");
        assert_eq!(format_number(d("3.125"), 2), "3,13");
        assert_eq!(format_number(d("123456789012.345"), 3), "123.456.789.012,345");
        assert_eq!(format_number(d("0.1") + d("0.2"), 6), "0,3");
    }

    fn insert_spaces(s: &str, mask: u32, kind: usize) -> String {
        const SPACES: [char; 4] = [' ', '\u{a0}', '\u{202f}', '\u{2009}'];
        let space = SPACES[kind % SPACES.len()];
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && mask & (1 << (i % 32)) != 0 {
                out.push(space);
            }
            out.push(c);
        }
        out
    }

    proptest! {
        // (1) Integers formatted with dot groups parse back, with and
        // without the dots, and with spaces between the characters.
        #[test]
        fn integers_round_trip(n in 0u64..1_000_000_000_000, mask in any::<u32>(), kind in 0usize..4) {
            let expected = Decimal::from(n);
            let dotted = format_number(expected, 0);
            prop_assert_eq!(p(&dotted, &COUNT), Ok(Some(expected)));
            let plain = dotted.replace('.', "");
            prop_assert_eq!(&plain, &n.to_string());
            prop_assert_eq!(p(&plain, &COUNT), Ok(Some(expected)));
            prop_assert_eq!(p(&insert_spaces(&dotted, mask, kind), &COUNT), Ok(Some(expected)));
            prop_assert_eq!(p(&insert_spaces(&plain, mask, kind), &COUNT), Ok(Some(expected)));
        }

        // (2) Decimals with 1 to 4 fraction digits survive format then parse.
        #[test]
        fn decimals_round_trip(int in 0u64..10_000_000_000, places in 1usize..=4, frac in 0u64..10_000, negative in any::<bool>()) {
            let frac = frac % 10u64.pow(places as u32);
            let sign = if negative { "-" } else { "" };
            let typed = format!("{sign}{int},{frac:0places$}");
            let x = ok(&typed, &SIGNED);
            let shown = format_number(x, 4);
            let back = ok(&shown, &SIGNED);
            prop_assert_eq!(back, x, "{} -> {} -> {}", typed, shown, back);
        }

        // (3) Anything containing an ASCII letter is refused.
        #[test]
        fn letters_refused(prefix in "[0-9., +%-]{0,8}", letter in "[a-zA-Z]", suffix in "[0-9., +%-]{0,8}") {
            let input = format!("{prefix}{letter}{suffix}");
            for rules in [COUNT, SIGNED, NumberRules::decimal(true, Some(2))] {
                prop_assert_eq!(p(&input, &rules), Err(NumberError::Invalid), "{:?}", input);
            }
        }

        // (4) Never panics; whatever parses also passes check_number and
        // survives format then parse.
        #[test]
        fn never_panics(input in any::<String>()) {
            for rules in [COUNT, DECIMAL, SIGNED, NumberRules::decimal(true, Some(2))] {
                if let Ok(Some(q)) = parse_quantity(&input, &rules) {
                    prop_assert_eq!(check_number(crate::figures::to_f64(q.value), &rules), Ok(q.value));
                    prop_assert_eq!(p(&q.to_string(), &rules), Ok(Some(q.value)));
                }
            }
        }

        #[test]
        fn never_panics_on_number_like(input in "[0-9.,+%\u{2212} \u{a0}-]{0,24}") {
            for rules in [COUNT, DECIMAL, SIGNED, NumberRules::decimal(true, Some(2))] {
                if let Ok(Some(q)) = parse_quantity(&input, &rules) {
                    prop_assert_eq!(check_number(crate::figures::to_f64(q.value), &rules), Ok(q.value));
                    prop_assert_eq!(p(&q.to_string(), &rules), Ok(Some(q.value)));
                }
            }
        }

        // (5) parse(format(x)) == x for values rounded to 2 decimals.
        #[test]
        fn two_decimals_round_trip(cents in -100_000_000_000i64..100_000_000_000) {
            let x = Decimal::new(cents, 2);
            let shown = format_number(x, 2);
            prop_assert_eq!(p(&shown, &SIGNED), Ok(Some(x)), "{}", shown);
        }

        #[test]
        fn never_negative_zero(millionths in -1_000_000i64..1_000_000, places in 0u8..4) {
            let x = Decimal::new(millionths, 6);
            let shown = format_number(x, places);
            if shown.starts_with('-') {
                prop_assert!(shown.bytes().any(|b| (b'1'..=b'9').contains(&b)), "{}", shown);
            }
        }

        #[test]
        fn format_never_panics(
            (lo, mid, hi) in (any::<u32>(), any::<u32>(), any::<u32>()),
            negative in any::<bool>(),
            scale in 0u32..=28,
            places in 0u8..=255,
        ) {
            let x = Decimal::from_parts(lo, mid, hi, negative, scale);
            let _ = format_number(x, places);
            let _ = decimal(x, usize::from(places));
        }
    }
}
