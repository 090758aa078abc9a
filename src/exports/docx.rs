//! The annual report as a Word document (WordprocessingML written directly): Party-format
//! header table, body with real footnotes (`word/footnotes.xml`, numbered by Word), "Nơi nhận"
//! and signature table, page number field in the footer, A4 with the template's margins.
//! Every figure is one run, so "585.160" is never split across runs.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use super::annual::{AnnualDocument, Block, HeadingStyle, Inline};
use crate::text::Piece;

/// Twentieths of a point in one millimetre.
fn twips(mm: f64) -> i64 {
    (mm * 1440.0 / 25.4).round() as i64
}

/// Half-points, as `w:sz` wants them.
fn half_points(pt: f64) -> i64 {
    (pt * 2.0).round() as i64
}

/// Escapes text for XML; control characters (which XML 1.0 forbids or Word ignores) become a
/// space, so that words never run together. Breaks are drawn by [`run`], not here.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[derive(Default, Clone, Copy)]
struct Style {
    bold: bool,
    italic: bool,
    underline: bool,
    size: f64,
}

fn run(text: &str, style: Style) -> String {
    let mut props = String::new();
    if style.bold {
        props.push_str("<w:b/><w:bCs/>");
    }
    if style.italic {
        props.push_str("<w:i/><w:iCs/>");
    }
    if style.underline {
        props.push_str("<w:u w:val=\"single\"/>");
    }
    if style.size > 0.0 {
        let sz = half_points(style.size);
        props.push_str(&format!("<w:sz w:val=\"{sz}\"/><w:szCs w:val=\"{sz}\"/>"));
    }
    // Text from Word keeps its breaks (see `text::pieces`): a vertical tab is a line break, a
    // form feed a page break. A new line follows each break in the XML (ignored by Word) so
    // that tools reading the text without its tags do not glue the lines together either.
    let mut out = String::new();
    for piece in crate::text::pieces(text) {
        match piece {
            Piece::Text(text) => out.push_str(&format!(
                "<w:r><w:rPr>{props}</w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
                escape(&text)
            )),
            Piece::LineBreak => out.push_str(&format!("<w:r><w:rPr>{props}</w:rPr><w:br/></w:r>\n")),
            Piece::PageBreak => out.push_str(&format!("<w:r><w:rPr>{props}</w:rPr><w:br w:type=\"page\"/></w:r>\n")),
        }
    }
    if out.is_empty() {
        out = format!("<w:r><w:rPr>{props}</w:rPr><w:t xml:space=\"preserve\"></w:t></w:r>");
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Both,
}

fn paragraph(runs: &str, align: Align, indent_first: i64, after_twips: i64, keep_next: bool) -> String {
    let jc = match align {
        Align::Left => "left",
        Align::Center => "center",
        Align::Both => "both",
    };
    let indent = if indent_first > 0 { format!("<w:ind w:firstLine=\"{indent_first}\"/>") } else { String::new() };
    let keep = if keep_next { "<w:keepNext/>" } else { "" };
    format!(
        "<w:p><w:pPr>{keep}<w:spacing w:before=\"0\" w:after=\"{after_twips}\"/>{indent}<w:jc w:val=\"{jc}\"/></w:pPr>{runs}</w:p>\n"
    )
}

fn tight(text: &str, style: Style, align: Align) -> String {
    paragraph(&run(text, style), align, 0, 0, false)
}

fn inlines_xml(inlines: &[Inline], style: Style, in_footnote: bool) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(text) => out.push_str(&run(text, style)),
            Inline::Figure { text, .. } => out.push_str(&run(text, style)),
            Inline::Footnote { number, .. } if !in_footnote => out.push_str(&format!(
                "<w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\"/></w:rPr><w:footnoteReference w:id=\"{number}\"/></w:r>"
            )),
            Inline::Footnote { .. } => {}
        }
    }
    out
}

/// A two-column table without borders (header and closing blocks).
fn borderless_table(widths: [i64; 2], left: &str, right: &str) -> String {
    format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{total}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/>\
         <w:tblBorders><w:top w:val=\"nil\"/><w:left w:val=\"nil\"/><w:bottom w:val=\"nil\"/><w:right w:val=\"nil\"/>\
         <w:insideH w:val=\"nil\"/><w:insideV w:val=\"nil\"/></w:tblBorders>\
         <w:tblCellMar><w:left w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"0\" w:type=\"dxa\"/></w:tblCellMar>\
         <w:tblLook w:val=\"0000\"/></w:tblPr>\
         <w:tblGrid><w:gridCol w:w=\"{a}\"/><w:gridCol w:w=\"{b}\"/></w:tblGrid>\
         <w:tr><w:tc><w:tcPr><w:tcW w:w=\"{a}\" w:type=\"dxa\"/></w:tcPr>{left}</w:tc>\
         <w:tc><w:tcPr><w:tcW w:w=\"{b}\" w:type=\"dxa\"/></w:tcPr>{right}</w:tc></w:tr></w:tbl>",
        total = widths[0] + widths[1],
        a = widths[0],
        b = widths[1],
    )
}

const W_NS: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
                    xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

fn document_xml(doc: &AnnualDocument) -> String {
    let l = &doc.layout;
    let s = &l.sizes;
    let page = &l.page;
    let text_width = twips(page.width_mm - page.margin_left_mm - page.margin_right_mm);
    let left_width = text_width * 2 / 5;
    let right_width = text_width - left_width;
    let body_after = (l.body.spacing_after_pt * 20.0).round() as i64;
    let indent = twips(l.body.first_line_indent_mm);
    let body = Style { size: s.body, ..Style::default() };
    let mut x = String::new();

    // Header: issuing body top left, party name and place-and-date top right.
    let left = [
        tight(&doc.superior, Style { size: s.superior, ..Style::default() }, Align::Center),
        tight(&doc.issuer, Style { size: s.issuer, bold: true, ..Style::default() }, Align::Center),
        tight("*", Style { size: s.issuer, ..Style::default() }, Align::Center),
        tight(&doc.number, Style { size: s.number, ..Style::default() }, Align::Center),
    ]
    .concat();
    let right = [
        tight(&l.party, Style { size: s.party, bold: true, underline: true, ..Style::default() }, Align::Center),
        tight("", Style { size: s.place_date, ..Style::default() }, Align::Center),
        tight(&doc.place_date, Style { size: s.place_date, italic: true, ..Style::default() }, Align::Center),
    ]
    .concat();
    x.push_str(&borderless_table([left_width, right_width], &left, &right));
    x.push_str(&tight("", body, Align::Center));
    x.push_str(&tight(&l.doc_type, Style { size: s.doc_type, bold: true, ..Style::default() }, Align::Center));
    x.push_str(&tight(&doc.title, Style { size: s.title, bold: true, ..Style::default() }, Align::Center));
    x.push_str(&paragraph(&run(&l.title_rule, body), Align::Center, 0, body_after * 2, false));

    for block in &doc.blocks {
        match block {
            Block::Heading { style, text } => {
                let (align, style_run, first) = match style {
                    HeadingStyle::Part => {
                        (Align::Center, Style { size: s.body, bold: true, italic: true, ..Style::default() }, 0)
                    }
                    HeadingStyle::Title => (Align::Center, Style { size: s.body, bold: true, ..Style::default() }, 0),
                    HeadingStyle::H1 | HeadingStyle::H2 => {
                        (Align::Both, Style { size: s.body, bold: true, ..Style::default() }, indent)
                    }
                };
                x.push_str(&paragraph(&run(text, style_run), align, first, body_after, true));
            }
            Block::Paragraph { lead, inlines, placeholder } => {
                let mut runs = String::new();
                if !lead.is_empty() {
                    runs.push_str(&run(lead, Style { italic: true, ..body }));
                }
                let style = if *placeholder { Style { italic: true, ..body } } else { body };
                runs.push_str(&inlines_xml(inlines, style, false));
                x.push_str(&paragraph(&runs, Align::Both, indent, body_after, false));
            }
        }
    }

    // Closing: recipients bottom left, signature bottom right.
    x.push_str(&tight("", body, Align::Left));
    let mut left = paragraph(
        &run(&l.recipients_heading, Style { size: s.recipients_heading, bold: true, italic: true, underline: true }),
        Align::Left,
        0,
        0,
        true,
    );
    for recipient in &doc.recipients {
        left.push_str(&tight(&format!("- {recipient}"), Style { size: s.recipients, ..Style::default() }, Align::Left));
    }
    let sig = Style { size: s.signature, bold: true, ..Style::default() };
    let mut right = tight(&doc.on_behalf, sig, Align::Center);
    right.push_str(&tight(&doc.signer_position.to_uppercase(), sig, Align::Center));
    for _ in 0..l.signature.blank_lines {
        right.push_str(&tight("", body, Align::Center));
    }
    right.push_str(&tight(&doc.signer_name, sig, Align::Center));
    x.push_str(&borderless_table([text_width / 2, text_width - text_width / 2], &left, &right));

    let sect = format!(
        "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooter1\"/>\
         <w:footnotePr><w:numFmt w:val=\"decimal\"/></w:footnotePr>\
         <w:pgSz w:w=\"{w}\" w:h=\"{h}\"/>\
         <w:pgMar w:top=\"{top}\" w:right=\"{right}\" w:bottom=\"{bottom}\" w:left=\"{left}\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/>\
         <w:cols w:space=\"720\"/></w:sectPr>",
        w = twips(page.width_mm),
        h = twips(page.height_mm),
        top = twips(page.margin_top_mm),
        right = twips(page.margin_right_mm),
        bottom = twips(page.margin_bottom_mm),
        left = twips(page.margin_left_mm),
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {W_NS}><w:body>{x}{sect}</w:body></w:document>"
    )
}

fn footnotes_xml(doc: &AnnualDocument) -> String {
    let size = doc.layout.sizes.footnote;
    let style = Style { size, ..Style::default() };
    let mut x = String::from(
        "<w:footnote w:type=\"separator\" w:id=\"-1\"><w:p><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>\
         <w:footnote w:type=\"continuationSeparator\" w:id=\"0\"><w:p><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>",
    );
    for (number, content) in &doc.footnotes {
        x.push_str(&format!(
            "<w:footnote w:id=\"{number}\"><w:p><w:pPr><w:pStyle w:val=\"FootnoteText\"/><w:jc w:val=\"both\"/></w:pPr>\
             <w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\"/></w:rPr><w:footnoteRef/></w:r>{}{}</w:p></w:footnote>",
            run(" ", style),
            inlines_xml(content, style, true)
        ));
    }
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:footnotes {W_NS}>{x}</w:footnotes>")
}

fn styles_xml(doc: &AnnualDocument) -> String {
    let l = &doc.layout;
    let font = escape(&l.font);
    let body = half_points(l.sizes.body);
    let note = half_points(l.sizes.footnote);
    let line = (l.body.line_spacing * 240.0).round() as i64;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles {W_NS}>\
         <w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"{font}\" w:hAnsi=\"{font}\" w:eastAsia=\"{font}\" w:cs=\"{font}\"/>\
         <w:sz w:val=\"{body}\"/><w:szCs w:val=\"{body}\"/><w:lang w:val=\"vi-VN\" w:eastAsia=\"vi-VN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"{line}\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
         <w:rPr><w:rFonts w:ascii=\"{font}\" w:hAnsi=\"{font}\" w:cs=\"{font}\"/><w:sz w:val=\"{body}\"/></w:rPr></w:style>\
         <w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\"><w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"FootnoteText\"><w:name w:val=\"footnote text\"/><w:basedOn w:val=\"Normal\"/>\
         <w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:rPr><w:sz w:val=\"{note}\"/><w:szCs w:val=\"{note}\"/></w:rPr></w:style>\
         <w:style w:type=\"character\" w:styleId=\"FootnoteReference\"><w:name w:val=\"footnote reference\"/><w:basedOn w:val=\"DefaultParagraphFont\"/>\
         <w:rPr><w:vertAlign w:val=\"superscript\"/></w:rPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"Footer\"><w:name w:val=\"footer\"/><w:basedOn w:val=\"Normal\"/></w:style>\
         </w:styles>"
    )
}

fn footer_xml(doc: &AnnualDocument) -> String {
    let sz = half_points(doc.layout.sizes.page_number);
    let align = if doc.layout.page_number.ends_with("center") { "center" } else { "right" };
    let rpr = format!("<w:rPr><w:sz w:val=\"{sz}\"/><w:szCs w:val=\"{sz}\"/></w:rPr>");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:ftr {W_NS}><w:p><w:pPr><w:pStyle w:val=\"Footer\"/><w:jc w:val=\"{align}\"/></w:pPr>\
         <w:r>{rpr}<w:fldChar w:fldCharType=\"begin\"/></w:r><w:r>{rpr}<w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>\
         <w:r>{rpr}<w:fldChar w:fldCharType=\"separate\"/></w:r><w:r>{rpr}<w:t>1</w:t></w:r><w:r>{rpr}<w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:ftr>"
    )
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

fn settings_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:settings {W_NS}>\
         <w:defaultTabStop w:val=\"720\"/><w:characterSpacingControl w:val=\"doNotCompress\"/>\
         <w:footnotePr><w:footnote w:id=\"-1\"/><w:footnote w:id=\"0\"/></w:footnotePr>\
         <w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>\
         <w:themeFontLang w:val=\"vi-VN\"/></w:settings>"
    )
}

fn core_xml(doc: &AnnualDocument) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties \
         xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:creator>{}</dc:creator><dc:language>vi-VN</dc:language>\
         <cp:keywords>{}</cp:keywords></cp:coreProperties>",
        escape(&format!("Báo cáo {} — {}", doc.title, doc.unit_name)),
        escape(&format!("{} {}", doc.issuer, doc.superior)),
        escape(&doc.layout.version),
    )
}

/// The DOCX package.
pub fn render(doc: &AnnualDocument) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, String); 8] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("docProps/core.xml", core_xml(doc)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/document.xml", document_xml(doc)),
        ("word/styles.xml", styles_xml(doc)),
        ("word/settings.xml", settings_xml()),
        ("word/footnotes.xml", footnotes_xml(doc)),
    ];
    for (name, content) in parts.iter() {
        zip.start_file(*name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    zip.start_file("word/footer1.xml", options)?;
    zip.write_all(footer_xml(doc).as_bytes())?;
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

    #[test]
    fn word_breaks_become_breaks_never_glued_words() {
        let xml = run("Dòng một\u{000B}dòng hai\u{000C}Trang mới\u{0007}cuối", Style::default());
        assert_eq!(xml.matches("<w:br/>").count(), 1, "{xml}");
        assert_eq!(xml.matches("<w:br w:type=\"page\"/>").count(), 1, "{xml}");
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'), "{xml}");
        let text: String = xml.split('<').map(|part| part.split_once('>').map_or(part, |(_, t)| t)).collect();
        assert!(!text.contains("mộtdòng") && !text.contains("haiTrang"), "{text}");
        assert!(text.contains("Trang mới cuối"), "{text}");
        // Paragraphs too: one a line, so their texts never run together either.
        let two = [
            paragraph(&run("một", Style::default()), Align::Left, 0, 0, false),
            paragraph(&run("hai", Style::default()), Align::Left, 0, 0, false),
        ]
        .concat();
        let text: String = two.split('<').map(|part| part.split_once('>').map_or(part, |(_, t)| t)).collect();
        assert!(!text.contains("mộthai"), "{text}");
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a & <b> \"c\"\u{1}d"), "a &amp; &lt;b&gt; &quot;c&quot; d");
    }
}
