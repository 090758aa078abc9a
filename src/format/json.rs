//! Figures that arrive as JSON numbers (doubles), held to the rules typed figures follow
//! (see [`super::parse`]): read as the shortest decimal that reads back as the double.

use rust_decimal::Decimal;

use super::rules::{NumberError, NumberKind, NumberRules};
use super::write::MAX_SCALE;

/// Largest magnitude accepted.
const MAX_MAGNITUDE: f64 = 1e15;

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

#[cfg(test)]
mod tests {
    use super::*;

    const COUNT: NumberRules = NumberRules::count();
    const DECIMAL: NumberRules = NumberRules::decimal(false, None);
    const SIGNED: NumberRules = NumberRules::decimal(true, None);

    /// A decimal in Rust's notation.
    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("a decimal")
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
}
