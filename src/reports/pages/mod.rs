//! The report pages, one file per action: the form ([`form`], `GET`), saving and submitting it
//! ([`save`]), the reviewer's moves ([`review`]), the reviewer's overview ([`overview`]) and the
//! list of a unit's reports ([`index`]). What a save or a move does is
//! [`super::workflow`]'s; these handlers read the request, call it and draw the outcome.

mod form;
mod index;
mod overview;
mod review;
mod save;

pub use form::{KeepMine, KeptView, RowView, RuleView, SectionView, TaskView, show};
pub use index::{IndexRow, index};
pub use overview::{OverviewGroup, OverviewQuery, OverviewRow, overview};
pub use review::review;
pub use save::save;

/// The value of a posted field (empty when absent).
fn field_value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or("")
}
