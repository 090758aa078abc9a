//! Dates and moments written the Vietnamese way: `15/12/2020` in running text, "ngày 05 tháng
//! 01 năm 2021" in a document, `30/11/2026 14:05` in Vietnam's time ([`VIETNAM`], UTC+7).

use chrono::{Datelike, NaiveDate};

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
    fn formats_dates() {
        let d = NaiveDate::from_ymd_opt(2021, 1, 5).unwrap();
        assert_eq!(date(d), "05/01/2021");
        assert_eq!(document_date(d), "ngày 05 tháng 01 năm 2021");
        let d = NaiveDate::from_ymd_opt(2020, 12, 15).unwrap();
        assert_eq!(document_date(d), "ngày 15 tháng 12 năm 2020");
    }
}
