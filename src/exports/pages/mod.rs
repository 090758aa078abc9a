//! The annual report's pages, one file per action: the report itself ([`annual`], `GET
//! /exports/annual/{unit}/{year}` as the preview, `.docx` or `.xlsx`) and saving its narrative
//! ([`narrative`], `POST …/narrative`). What the report says is [`super::annual`]'s; these
//! handlers read the request, build it and draw or send it.

mod annual;
mod narrative;

pub use annual::{AnnualQuery, annual_export};
pub use narrative::{MAX_SECTION_CHARS, NarrativeForm, NarrativeProblem, may_edit, save_narrative};
