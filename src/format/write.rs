//! Numbers written the Vietnamese way: `.` groups thousands, `,` is the decimal mark
//! (`585.160`, `51,95`, `1.234,5`), rounded half away from zero on the exact value, never `-0`.

use rust_decimal::Decimal;

/// The most decimals a [`Decimal`] holds.
pub(super) const MAX_SCALE: u32 = 28;

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
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A decimal in Rust's notation.
    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("a decimal")
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

    proptest! {
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
