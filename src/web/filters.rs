//! Askama filters that write values the Vietnamese way, so that templates take numbers, dates
//! and moments rather than text prepared for them. Each wraps the one formatter,
//! [`crate::format`], that pages, exports and messages share. A template's module brings them
//! in with `use crate::web::filters;`.
//!
//! - `{{ value|vn_number }}`, `{{ value|vn_number(2) }}`: 585160 → "585.160", (51.95, 2) → "51,95";
//! - `{{ day|vn_date }}`: "15/12/2020";
//! - `{{ moment|local_time }}`: a UTC moment in Vietnam's time, "30/11/2026 14:05";
//! - `{{ paragraph|breaks }}`: text escaped by askama's HTML escaper, its line breaks as `<br>`.

use askama::Values;
use askama::filters::{Html, Safe, escape};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::text::{Piece, pieces};

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

/// A paragraph's text as HTML: each piece escaped by askama's HTML escaper, its breaks (line
/// separator, vertical tab, new line; a page break too) as `<br>`, no control character left
/// ([`crate::text::pieces`]). What it returns is marked safe, so it is not escaped again.
#[askama::filter_fn]
pub fn breaks<T: std::fmt::Display>(value: &T, _: &dyn Values) -> askama::Result<Safe<String>> {
    let text = value.to_string();
    let mut html = String::with_capacity(text.len());
    for piece in pieces(&text) {
        match piece {
            Piece::Text(text) => {
                let Ok(escaped) = escape(text, Html);
                html.push_str(&escaped.to_string());
            }
            Piece::LineBreak | Piece::PageBreak => html.push_str("<br>"),
        }
    }
    Ok(Safe(html))
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

    #[derive(Template)]
    #[template(source = "<p>{{ text|breaks }}</p>", ext = "html")]
    struct Paragraph<'a> {
        text: &'a str,
    }

    #[test]
    fn breaks_escape_then_break_lines() {
        let html = Paragraph { text: "<b>\u{2028}x\u{000B}y\u{0002}z" }.render().expect("render");
        assert_eq!(html, "<p>&#60;b&#62;<br>x<br>y z</p>");
        assert!(!html.chars().any(|c| c.is_control()));
        let html = Paragraph { text: "\"a\" & 'b'\r\nc\u{000C}d" }.render().expect("render");
        assert_eq!(html, "<p>&#34;a&#34; &#38; &#39;b&#39;<br>c<br>d</p>");
    }
}
