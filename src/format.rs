//! Numbers and dates written the Vietnamese way: `585.160`, `51,95`, `15/12/2020`,
//! "ngày 05 tháng 01 năm 2021".

use chrono::{Datelike, NaiveDate};

/// Groups thousands with `.`: 585160 → "585.160".
pub fn integer(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    grouped
}

/// A decimal with `decimals` places, `,` for the decimal mark: (51.95, 2) → "51,95".
pub fn decimal(value: f64, decimals: usize) -> String {
    let rounded = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = rounded.split_once('.').unwrap_or((&rounded, ""));
    let whole: i64 = whole.parse().unwrap_or(0);
    let sign = if value < 0.0 && rounded.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{}", integer(whole))
    } else {
        format!("{sign}{},{fraction}", integer(whole))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(decimal(51.95, 2), "51,95");
        assert_eq!(decimal(39.48, 2), "39,48");
        assert_eq!(decimal(1234.5, 1), "1.234,5");
        assert_eq!(decimal(77.9816, 2), "77,98");
        assert_eq!(decimal(-0.001, 2), "0,00");
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
