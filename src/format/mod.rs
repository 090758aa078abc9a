//! Numbers and dates written the Vietnamese way: `585.160`, `51,95`, `15/12/2020`,
//! "ngày 05 tháng 01 năm 2021"; and figures typed the Vietnamese way, read strictly.
//!
//! Staff type figures the Vietnamese way: the dot groups thousands (`585.160` is 585160) and the
//! comma is the decimal mark (`51,95`). Every figure typed anywhere (report form, API, import,
//! directive targets, catalogue factors) is read by [`parse_vietnamese_number`], which refuses
//! anything ambiguous with a Vietnamese message that can be shown next to the field; numbers
//! that arrive as JSON numbers are held to the same rules by [`check_number`]; and numbers are
//! written back the same way.
//!
//! One file per purpose, everything re-exported here (callers name it `format::…`):
//! - `write`: writing numbers — [`integer`], [`decimal`], [`format_number`];
//! - `rules`: what a figure may be and why it was refused — [`NumberRules`], [`NumberKind`],
//!   [`NumberError`] (its Vietnamese message), [`Quantity`];
//! - `parse`: reading typed figures — [`parse_vietnamese_number`], [`parse_quantity`] (the
//!   decisions on every ambiguous input are listed there);
//! - `json`: reading JSON numbers — [`check_number`];
//! - `dates`: dates and moments — [`date`], [`document_date`], [`local_datetime`] in
//!   [`VIETNAM`]'s time;
//! - `text`: [`capitalize`].

mod dates;
mod json;
mod parse;
mod rules;
mod text;
mod write;

pub use dates::{VIETNAM, date, document_date, local_datetime};
pub use json::check_number;
pub use parse::{parse_quantity, parse_vietnamese_number};
pub use rules::{NumberError, NumberKind, NumberRules, Quantity};
pub use text::capitalize;
pub use write::{decimal, format_number, integer};
