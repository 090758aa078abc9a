//! The WordprocessingML building blocks the parts are laid out with: measures (twips,
//! half-points), runs of one style, paragraphs, the borderless two-column tables of the header
//! and the closing, and the page. The templates (`templates/exports/docx/parts.xml`) draw them.

use crate::exports::annual::Inline;
use crate::text::Piece;

/// Twentieths of a point in one millimetre.
pub(super) fn twips(mm: f64) -> i64 {
    (mm * 1440.0 / 25.4).round() as i64
}

/// Half-points, as `w:sz` wants them.
pub(super) fn half_points(pt: f64) -> i64 {
    (pt * 2.0).round() as i64
}

/// The text with every character XML 1.0 cannot carry, even escaped, and every other control
/// character (which Word ignores) made a space, so that words never run together. Breaks are
/// drawn by [`run`], before this; askama escapes what remains.
pub(super) fn xml_chars(text: &str) -> String {
    text.chars().map(|c| if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' { ' ' } else { c }).collect()
}

/// A run's formatting (`w:rPr`).
#[derive(Default, Clone, Copy)]
pub(super) struct Style {
    pub(super) bold: bool,
    pub(super) italic: bool,
    pub(super) underline: bool,
    /// Points; 0 for the style's size.
    pub(super) size: f64,
}

impl Style {
    /// `w:sz`, if the run sets its size.
    pub(super) fn half_points(&self) -> Option<i64> {
        (self.size > 0.0).then(|| half_points(self.size))
    }
}

/// A run of the `run` macro (`templates/exports/docx/parts.xml`).
pub(super) enum Run {
    /// Text of one style, cut at its breaks.
    Text { style: Style, pieces: Vec<Piece> },
    /// The superscript number of a footnote.
    FootnoteReference(usize),
}

/// Text from Word keeps its breaks (see `text::pieces`): a vertical tab is a line break, a form
/// feed a page break.
pub(super) fn run(text: &str, style: Style) -> Run {
    let pieces = crate::text::pieces(text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => Piece::Text(xml_chars(&text)),
            other => other,
        })
        .collect();
    Run::Text { style, pieces }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Align {
    Left,
    Center,
    Both,
}

impl Align {
    /// `w:jc`.
    pub(super) fn value(self) -> &'static str {
        match self {
            Align::Left => "left",
            Align::Center => "center",
            Align::Both => "both",
        }
    }
}

/// A paragraph of the `paragraph` macro.
pub(super) struct Paragraph {
    pub(super) runs: Vec<Run>,
    pub(super) align: Align,
    /// Twips; 0 for none.
    pub(super) indent_first: i64,
    /// Space after, in twips.
    pub(super) after: i64,
    pub(super) keep_next: bool,
}

pub(super) fn paragraph(runs: Vec<Run>, align: Align, indent_first: i64, after: i64, keep_next: bool) -> Paragraph {
    Paragraph { runs, align, indent_first, after, keep_next }
}

/// One run, no space around (the header, closing and title lines).
pub(super) fn tight(text: &str, style: Style, align: Align) -> Paragraph {
    paragraph(vec![run(text, style)], align, 0, 0, false)
}

pub(super) fn inline_runs(inlines: &[Inline], style: Style, in_footnote: bool) -> impl Iterator<Item = Run> {
    inlines.iter().filter_map(move |inline| match inline {
        Inline::Text(text) | Inline::Figure { text, .. } => Some(run(text, style)),
        Inline::Footnote { number, .. } if !in_footnote => Some(Run::FootnoteReference(*number)),
        Inline::Footnote { .. } => None,
    })
}

/// A two-column table without borders (header and closing blocks), widths in twips.
pub(super) struct Table {
    pub(super) widths: [i64; 2],
    pub(super) left: Vec<Paragraph>,
    pub(super) right: Vec<Paragraph>,
}

impl Table {
    pub(super) fn width(&self) -> i64 {
        self.widths[0] + self.widths[1]
    }
}

/// Page size and margins, in twips.
pub(super) struct Page {
    pub(super) width: i64,
    pub(super) height: i64,
    pub(super) top: i64,
    pub(super) right: i64,
    pub(super) bottom: i64,
    pub(super) left: i64,
}
