//! The annual report as a Word document: Party-format header table, body with real footnotes
//! (`word/footnotes.xml`, numbered by Word), "Nơi nhận" and signature table, page number field
//! in the footer, A4 with the template's margins. Every figure is one run, so "585.160" is never
//! split across runs.
//!
//! The WordprocessingML is written by askama templates (`templates/exports/docx/`), which escape
//! every text; this file lays the document out (sizes, alignment, which text goes where) and
//! packs the parts, from the building blocks of [`blocks`] (runs, paragraphs, tables, the page).

mod blocks;

use std::io::{Cursor, Write};

use askama::Template;
use zip::write::SimpleFileOptions;

use super::annual::{AnnualDocument, Block, HeadingStyle};
use blocks::{
    Align, Page, Paragraph, Run, Style, Table, half_points, inline_runs, paragraph, run, tight, twips, xml_chars,
};
// The templates match on a run's pieces.
use crate::text::Piece;

/// `word/document.xml`.
#[derive(Template)]
#[template(path = "exports/docx/document.xml")]
struct DocumentXml {
    header: Table,
    body: Vec<Paragraph>,
    closing: Table,
    page: Page,
}

fn document_xml(doc: &AnnualDocument) -> DocumentXml {
    let l = &doc.layout;
    let s = &l.sizes;
    let page = &l.page;
    let text_width = twips(page.width_mm - page.margin_left_mm - page.margin_right_mm);
    let left_width = text_width * 2 / 5;
    let body_after = (l.body.spacing_after_pt * 20.0).round() as i64;
    let indent = twips(l.body.first_line_indent_mm);
    let body_style = Style { size: s.body, ..Style::default() };

    // Header: issuing body top left, party name and place-and-date top right.
    let header = Table {
        widths: [left_width, text_width - left_width],
        left: vec![
            tight(&doc.superior, Style { size: s.superior, ..Style::default() }, Align::Center),
            tight(&doc.issuer, Style { size: s.issuer, bold: true, ..Style::default() }, Align::Center),
            tight("*", Style { size: s.issuer, ..Style::default() }, Align::Center),
            tight(&doc.number, Style { size: s.number, ..Style::default() }, Align::Center),
        ],
        right: vec![
            tight(&l.party, Style { size: s.party, bold: true, underline: true, ..Style::default() }, Align::Center),
            tight("", Style { size: s.place_date, ..Style::default() }, Align::Center),
            tight(&doc.place_date, Style { size: s.place_date, italic: true, ..Style::default() }, Align::Center),
        ],
    };
    let mut body = vec![
        tight("", body_style, Align::Center),
        tight(&l.doc_type, Style { size: s.doc_type, bold: true, ..Style::default() }, Align::Center),
        tight(&doc.title, Style { size: s.title, bold: true, ..Style::default() }, Align::Center),
        paragraph(vec![run(&l.title_rule, body_style)], Align::Center, 0, body_after * 2, false),
    ];
    for block in &doc.blocks {
        body.push(match block {
            Block::Heading { style, text } => {
                let (align, style, first) = match style {
                    HeadingStyle::Part => {
                        (Align::Center, Style { size: s.body, bold: true, italic: true, ..Style::default() }, 0)
                    }
                    HeadingStyle::Title => (Align::Center, Style { size: s.body, bold: true, ..Style::default() }, 0),
                    HeadingStyle::H1 | HeadingStyle::H2 => {
                        (Align::Both, Style { size: s.body, bold: true, ..Style::default() }, indent)
                    }
                };
                paragraph(vec![run(text, style)], align, first, body_after, true)
            }
            Block::Paragraph { lead, inlines, placeholder } => {
                let mut runs = Vec::new();
                if !lead.is_empty() {
                    runs.push(run(lead, Style { italic: true, ..body_style }));
                }
                let style = if *placeholder { Style { italic: true, ..body_style } } else { body_style };
                runs.extend(inline_runs(inlines, style, false));
                paragraph(runs, Align::Both, indent, body_after, false)
            }
        });
    }
    body.push(tight("", body_style, Align::Left));

    // Closing: recipients bottom left, signature bottom right.
    let recipients_heading = Style { size: s.recipients_heading, bold: true, italic: true, underline: true };
    let mut left = vec![paragraph(vec![run(&l.recipients_heading, recipients_heading)], Align::Left, 0, 0, true)];
    for recipient in &doc.recipients {
        left.push(tight(&format!("- {recipient}"), Style { size: s.recipients, ..Style::default() }, Align::Left));
    }
    let sig = Style { size: s.signature, bold: true, ..Style::default() };
    let mut right =
        vec![tight(&doc.on_behalf, sig, Align::Center), tight(&doc.signer_position.to_uppercase(), sig, Align::Center)];
    for _ in 0..l.signature.blank_lines {
        right.push(tight("", body_style, Align::Center));
    }
    right.push(tight(&doc.signer_name, sig, Align::Center));
    let closing = Table { widths: [text_width / 2, text_width - text_width / 2], left, right };

    let page = Page {
        width: twips(page.width_mm),
        height: twips(page.height_mm),
        top: twips(page.margin_top_mm),
        right: twips(page.margin_right_mm),
        bottom: twips(page.margin_bottom_mm),
        left: twips(page.margin_left_mm),
    };
    DocumentXml { header, body, closing, page }
}

/// One footnote: its number and its runs.
struct Footnote {
    number: usize,
    runs: Vec<Run>,
}

/// `word/footnotes.xml`.
#[derive(Template)]
#[template(path = "exports/docx/footnotes.xml")]
struct FootnotesXml {
    notes: Vec<Footnote>,
}

fn footnotes_xml(doc: &AnnualDocument) -> FootnotesXml {
    let style = Style { size: doc.layout.sizes.footnote, ..Style::default() };
    let notes = doc
        .footnotes
        .iter()
        .map(|(number, content)| Footnote {
            number: *number,
            runs: std::iter::once(run(" ", style)).chain(inline_runs(content, style, true)).collect(),
        })
        .collect();
    FootnotesXml { notes }
}

/// `word/styles.xml`: the font, sizes in half-points, line spacing in 240ths of a line.
#[derive(Template)]
#[template(path = "exports/docx/styles.xml")]
struct StylesXml {
    font: String,
    body: i64,
    footnote: i64,
    line: i64,
}

fn styles_xml(doc: &AnnualDocument) -> StylesXml {
    let l = &doc.layout;
    StylesXml {
        font: xml_chars(&l.font),
        body: half_points(l.sizes.body),
        footnote: half_points(l.sizes.footnote),
        line: (l.body.line_spacing * 240.0).round() as i64,
    }
}

/// `word/footer1.xml`: the page number, its size in half-points and `w:jc`.
#[derive(Template)]
#[template(path = "exports/docx/footer1.xml")]
struct FooterXml {
    size: i64,
    align: &'static str,
}

fn footer_xml(doc: &AnnualDocument) -> FooterXml {
    FooterXml {
        size: half_points(doc.layout.sizes.page_number),
        align: if doc.layout.page_number.ends_with("center") { "center" } else { "right" },
    }
}

/// `word/settings.xml`.
#[derive(Template)]
#[template(path = "exports/docx/settings.xml")]
struct SettingsXml;

/// `docProps/core.xml`: title, author and the layout's version.
#[derive(Template)]
#[template(path = "exports/docx/core.xml")]
struct CoreXml {
    title: String,
    unit_name: String,
    issuer: String,
    superior: String,
    version: String,
}

fn core_xml(doc: &AnnualDocument) -> CoreXml {
    CoreXml {
        title: xml_chars(&doc.title),
        unit_name: xml_chars(&doc.unit_name),
        issuer: xml_chars(&doc.issuer),
        superior: xml_chars(&doc.superior),
        version: xml_chars(&doc.layout.version),
    }
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
<Override PartName=\"/word/footnotes.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rIdSettings\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>\
<Relationship Id=\"rIdFootnotes\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes\" Target=\"footnotes.xml\"/>\
<Relationship Id=\"rIdFooter1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>\
</Relationships>";

/// The DOCX package.
pub fn render(doc: &AnnualDocument) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, String); 9] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("docProps/core.xml", core_xml(doc).render()?),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/document.xml", document_xml(doc).render()?),
        ("word/styles.xml", styles_xml(doc).render()?),
        ("word/settings.xml", SettingsXml.render()?),
        ("word/footnotes.xml", footnotes_xml(doc).render()?),
        ("word/footer1.xml", footer_xml(doc).render()?),
    ];
    for (name, content) in parts.iter() {
        zip.start_file(*name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_in_twips() {
        assert_eq!(twips(20.0), 1134);
        assert_eq!(twips(30.0), 1701);
        assert_eq!(twips(15.0), 850);
        assert_eq!(twips(210.0), 11906);
        assert_eq!(twips(297.0), 16838);
    }

    /// Paragraphs through the templates' `paragraph` macro, as the parts write them.
    #[derive(Template)]
    #[template(
        source = "{% import \"exports/docx/parts.xml\" as w %}{% for p in paragraphs %}{% call w::paragraph(p) %}{% endcall %}{% endfor %}",
        ext = "xml"
    )]
    struct Fragment {
        paragraphs: Vec<Paragraph>,
    }

    fn xml_of(texts: &[&str]) -> String {
        let paragraphs = texts.iter().map(|text| tight(text, Style::default(), Align::Left)).collect();
        Fragment { paragraphs }.render().expect("render")
    }

    /// The text a reader without the tags sees.
    fn untagged(xml: &str) -> String {
        xml.split('<').map(|part| part.split_once('>').map_or(part, |(_, t)| t)).collect()
    }

    #[test]
    fn word_breaks_become_breaks_never_glued_words() {
        let xml = xml_of(&["Dòng một\u{000B}dòng hai\u{000C}Trang mới\u{0007}cuối"]);
        assert_eq!(xml.matches("<w:br/>").count(), 1, "{xml}");
        assert_eq!(xml.matches("<w:br w:type=\"page\"/>").count(), 1, "{xml}");
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'), "{xml}");
        let text = untagged(&xml);
        assert!(!text.contains("mộtdòng") && !text.contains("haiTrang"), "{text}");
        assert!(text.contains("Trang mới cuối"), "{text}");
        // Paragraphs too: one a line, so their texts never run together either.
        let text = untagged(&xml_of(&["một", "hai"]));
        assert!(!text.contains("mộthai"), "{text}");
    }

    #[test]
    fn text_is_escaped_and_legal_xml() {
        let xml = xml_of(&["a & <b> \"c\" 'd'\u{1}e\u{FFFF}f", ""]);
        assert!(xml.contains(">a &#38; &#60;b&#62; &#34;c&#34; &#39;d&#39; e f</w:t>"), "{xml}");
        assert!(xml.contains("<w:t xml:space=\"preserve\"></w:t>"), "an empty paragraph keeps its run: {xml}");
        // Well-formed, and the text reads back as written.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut text = String::new();
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Text(t)) => text.push_str(&t.xml10_content()),
                Ok(quick_xml::events::Event::GeneralRef(r)) => {
                    let code = r.resolve_char_ref().expect("character reference").expect("a character");
                    text.push(code);
                }
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(error) => panic!("{error}: {xml}"),
            }
        }
        assert!(text.contains("a & <b> \"c\" 'd' e f"), "{text}");
    }
}
