//! Figures typed the Vietnamese way, read strictly: the dot groups thousands (`585.160` is
//! 585160) and the comma is the decimal mark (`51,95`); anything ambiguous is refused with a
//! message that can be shown next to the field. Numbers that arrive as JSON numbers are held
//! to the same rules by [`super::check_number`].
//!
//! Decisions where the issue was silent:
//! - whitespace of any kind (`char::is_whitespace`, which covers U+00A0,
//!   U+202F and the thin spaces) plus the invisible U+200B and U+FEFF is
//!   removed wherever it is, even between the sign and the digits;
//! - `-` and the typographic minus U+2212 are both minus signs;
//! - `,5`, `5,`, `.5`, `5.`, a lone `.` or `,`, `1..234` are invalid: the
//!   comma needs digits on both sides and no dot group may be empty;
//! - more than one comma (`1,234,567`) or a dot after the comma
//!   (`12,345.6`) is English style: ambiguous;
//! - leading zeros are accepted in a plain number (`007` is 7, `00,5` is
//!   0.5), but a dotted number may not start with a zero group (`0.500`,
//!   `01.234` are ambiguous, since the dot could be a decimal point);
//! - a single dot with a bad grouping (`245.00`, `1.5`, `1.2345`,
//!   `1234.567`) is ambiguous; several dots where only the last group is
//!   wrong (`1.234.56`) are ambiguous too; any other bad grouping
//!   (`1.23.4`, `1.23,5`) is invalid;
//! - trailing zeros of the fraction do not count as decimals: `5,0` is
//!   accepted for an integer element and `5,10` passes a maximum of 1;
//! - `-0` (or `-0,0`) is zero, accepted even when negatives are not;
//! - a typed value is parsed straight into a `Decimal`, exactly; its
//!   digits, from the first significant digit of the integer part (or from
//!   the comma when the integer part is zero) to the last non-zero decimal,
//!   may number at most 15, otherwise `TooManyDecimals(15 - integer digits)`
//!   is returned: so a figure stays exact where it must become a double too
//!   (XLSX cells, JSON numbers); that rule is not applied to JSON numbers,
//!   which arrive as a double and are read as the shortest decimal that
//!   reads back as it;
//! - values whose magnitude is above 1e15 are `TooLarge` (1e15 itself is
//!   accepted).

use rust_decimal::Decimal;

use super::rules::{NumberError, NumberKind, NumberRules, Quantity};

/// The largest magnitude accepted (1e15, as for JSON numbers), as the digits of its integer part.
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

#[cfg(test)]
mod tests;
