//! Askama filters that write values the Vietnamese way, so that templates take numbers, dates
//! and moments rather than text prepared for them. Each wraps the one formatter,
//! [`crate::format`], that pages, exports and messages share. A template's module brings them
//! in with `use crate::web::filters;`.
//!
//! - `{{ value|vn_number }}`, `{{ value|vn_number(2) }}`: 585160 → "585.160", (51.95, 2) → "51,95";
//! - `{{ day|vn_date }}`: "15/12/2020";
//! - `{{ moment|local_time }}`: a UTC moment in Vietnam's time, "30/11/2026 14:05".

use askama::Values;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// A number with `decimals` places (none unless given), `.` between thousands and `,` before
/// the decimals ([`crate::format::decimal`]).
#[askama::filter_fn]
pub fn vn_number<T: Copy + Into<Decimal>>(
    value: &T,
    _: &dyn Values,
    #[optional(0)] decimals: usize,
) -> askama::Result<String> {
    Ok(crate::format::decimal((*value).into(), decimals))
}

/// A date as running text writes it ([`crate::format::date`]).
#[askama::filter_fn]
pub fn vn_date(value: &NaiveDate, _: &dyn Values) -> askama::Result<String> {
    Ok(crate::format::date(*value))
}

/// A moment in Vietnam's time zone ([`crate::format::local_datetime`]).
#[askama::filter_fn]
pub fn local_time(value: &DateTime<Utc>, _: &dyn Values) -> askama::Result<String> {
    Ok(crate::format::local_datetime(*value))
}

#[cfg(test)]
mod tests {
    use askama::Template;
    use chrono::TimeZone;

    use super::*;
    use crate::web::filters;

    #[derive(Template)]
    #[template(
        source = "{{ count|vn_number }} | {{ rate|vn_number(2) }} | {{ day|vn_date }} | {{ at|local_time }}",
        ext = "html"
    )]
    struct Sample {
        count: i64,
        rate: Decimal,
        day: NaiveDate,
        at: DateTime<Utc>,
    }

    #[test]
    fn write_values_the_vietnamese_way() {
        let sample = Sample {
            count: 585_160,
            rate: Decimal::new(519_549, 4),
            day: NaiveDate::from_ymd_opt(2020, 12, 15).expect("date"),
            at: Utc.with_ymd_and_hms(2026, 11, 30, 20, 5, 0).single().expect("moment"),
        };
        assert_eq!(sample.render().expect("render"), "585.160 | 51,95 | 15/12/2020 | 01/12/2026 03:05");
    }
}
