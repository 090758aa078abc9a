//! The document itself: blocks of inline runs that the DOCX writer and the HTML preview read.

use super::{HeadingStyle, LayoutSpec};
use crate::offices::Office;

/// A piece of running text: plain, a figure (with the drill-down it came from), or a footnote.
/// In the preview, a figure without data is a `Figure` with an empty `href` whose text says so.
#[derive(Debug, Clone)]
pub enum Inline {
    Text(String),
    Figure { text: String, href: String },
    Footnote { number: usize, content: Vec<Inline> },
}

#[derive(Debug, Clone)]
pub enum Block {
    Heading { style: HeadingStyle, text: String },
    Paragraph { lead: String, inlines: Vec<Inline>, placeholder: bool },
}

impl Block {
    pub fn is_heading(&self) -> bool {
        matches!(self, Block::Heading { .. })
    }
}

/// Everything the document says, in order.
#[derive(Debug, Clone)]
pub struct AnnualDocument {
    pub layout: LayoutSpec,
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    /// The office that issues it, at the report's date.
    pub office: Office,
    pub superior: String,
    pub issuer: String,
    pub number: String,
    pub place_date: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub recipients: Vec<String>,
    pub on_behalf: String,
    pub signer_position: String,
    pub signer_name: String,
    /// Footnotes in order, for renderers that list them apart.
    pub footnotes: Vec<(usize, Vec<Inline>)>,
    /// The body as the preview shows it: a clause whose figure has no data is kept, the figure
    /// replaced by a note saying so (the DOCX, `blocks`, leaves the clause out).
    pub preview: Vec<Block>,
    /// The preview's footnotes.
    pub preview_footnotes: Vec<(usize, Vec<Inline>)>,
}
