//! How directives' data reads on a page: target status (a target's wording is
//! [`super::Comparator::wording`]), search snippets, and the checks on uploaded files.

use rust_decimal::Decimal;

use super::Comparator;
use crate::text::fold;

/// A target's status for one unit: the four words and colours every page uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    Met,
    NotMet,
    NoData,
}

impl TargetStatus {
    pub fn label(self) -> &'static str {
        match self {
            TargetStatus::Met => "Đạt",
            TargetStatus::NotMet => "Chưa đạt",
            TargetStatus::NoData => "Chưa có số liệu",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            TargetStatus::Met => "status-dat",
            TargetStatus::NotMet => "status-chua-dat",
            TargetStatus::NoData => "status-no-data",
        }
    }

    /// Compares a figure (None until reports supply one) with the target.
    pub fn evaluate(
        comparator: Comparator,
        value: Decimal,
        value_max: Option<Decimal>,
        actual: Option<Decimal>,
    ) -> TargetStatus {
        match actual {
            None => TargetStatus::NoData,
            Some(actual) if comparator.holds(actual, value, value_max) => TargetStatus::Met,
            Some(_) => TargetStatus::NotMet,
        }
    }
}

/// Text around the first place where `query` (folded) occurs in `text`, about `width`
/// characters on each side; the start of the text when it does not occur.
pub fn snippet(text: &str, query: &str, width: usize) -> String {
    let parts = snippet_parts(text, query, width);
    format!("{}{}{}", parts.before, parts.hit, parts.after)
}

/// A snippet cut around the match, so that a page can mark the match itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub hit: String,
    pub after: String,
}

impl Snippet {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.hit.is_empty() && self.after.is_empty()
    }
}

fn squeeze(chars: &[char]) -> String {
    let piece: String = chars.iter().collect();
    let mut out = piece.split_whitespace().collect::<Vec<_>>().join(" ");
    if piece.starts_with(char::is_whitespace) && !out.is_empty() {
        out.insert(0, ' ');
    }
    if piece.ends_with(char::is_whitespace) && !out.is_empty() {
        out.push(' ');
    }
    out
}

/// Folds one character the way [`crate::text::fold`] does (no marks, `đ` → `d`, lower case),
/// without allocating.
fn fold_char(c: char, mut push: impl FnMut(char)) {
    unicode_normalization::char::decompose_canonical(c, |d| {
        if unicode_normalization::char::is_combining_mark(d) {
            return;
        }
        match d {
            'đ' | 'Đ' => push('d'),
            d => d.to_lowercase().for_each(&mut push),
        }
    });
}

/// Where the folded `needle` first occurs in `chars`, as a range of indexes into `chars`.
/// One pass to fold, then `str::find` (linear): no per-character allocation, no O(n·m) scan.
fn find_folded(chars: &[char], needle: &str) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    let mut folded = String::with_capacity(chars.len());
    // For each byte of `folded`, nothing; for each char, the index of the original char.
    let mut origin: Vec<usize> = Vec::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            if !folded.is_empty() && !folded.ends_with(' ') {
                folded.push(' ');
                origin.push(i);
            }
            continue;
        }
        fold_char(*c, |f| {
            folded.push(f);
            origin.push(i);
        });
    }
    let byte = folded.find(needle)?;
    let at = folded[..byte].chars().count();
    let last = at + needle.chars().count() - 1;
    Some((*origin.get(at)?, *origin.get(last)? + 1))
}

/// The snippet of a whole text: see [`snippet_window`].
pub fn snippet_parts(text: &str, query: &str, width: usize) -> Snippet {
    snippet_window(text, query, width, false, false).0
}

/// A snippet from a piece of a longer text (`cut_before`/`cut_after`: the text goes on
/// before/after `text`), and whether the match was found in it. Linear in the piece.
pub fn snippet_window(text: &str, query: &str, width: usize, cut_before: bool, cut_after: bool) -> (Snippet, bool) {
    let chars: Vec<char> = text.chars().collect();
    let needle = fold(query);
    let found = find_folded(&chars, &needle);
    let (start, hit_start, hit_end, end) = match found {
        Some((first, last)) => (first.saturating_sub(width), first, last, (last + width).min(chars.len())),
        None => {
            let end = (2 * width).min(chars.len());
            (0, end, end, end)
        }
    };
    let mut before = if start > 0 || cut_before { "…".to_owned() } else { String::new() };
    before.push_str(squeeze(&chars[start..hit_start]).trim_start());
    let mut after = squeeze(&chars[hit_end..end]).trim_end().to_owned();
    if end < chars.len() || cut_after {
        after.push('…');
    }
    (Snippet { before, hit: squeeze(&chars[hit_start..hit_end]), after }, found.is_some())
}

/// The snippet of a search result from the two bounded pieces of its text the search returns:
/// the window around the match when it holds the match, else the start of the text.
pub fn result_snippet(found: &super::store::Found, query: &str, width: usize) -> Snippet {
    if let Some(start) = found.window_start
        && !query.trim().is_empty()
    {
        let (snippet, hit) = snippet_window(&found.body_window, query, width, start > 0, found.window_cut);
        if hit {
            return snippet;
        }
    }
    let head_chars = super::store::SNIPPET_HEAD_CHARS as usize;
    let longer = found.body_head.chars().count() > head_chars;
    let head: String = found.body_head.chars().take(head_chars).collect();
    snippet_window(&head, query, width, false, longer).0
}

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
/// The largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// A DOCX whose parts claim more than this once unpacked is refused (a "zip bomb").
pub const MAX_DOCX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;
/// A DOCX part larger than 1 MiB that claims to unpack to more than this many times its
/// packed size is refused: text and XML pack about 10:1, pictures not at all.
pub const MAX_DOCX_RATIO: u64 = 200;
/// A DOCX with more parts than this is refused.
pub const MAX_DOCX_ENTRIES: usize = 5_000;
/// How much of `word/document.xml` is unpacked to check that it is a Word document.
const DOCX_SNIFF_BYTES: u64 = 64 * 1024;

/// The message for an attachment over [`MAX_ATTACHMENT_BYTES`].
pub fn too_large_message() -> String {
    format!(
        "Tệp lớn hơn {} MB (giới hạn cho mỗi tệp đính kèm): hãy nén hoặc tách tệp rồi tải lên lại.",
        MAX_ATTACHMENT_BYTES / (1024 * 1024)
    )
}

/// The content type of an upload whose name and bytes agree, or the reason it is refused.
///
/// A PDF must start with `%PDF-`. A DOCX must be a ZIP whose directory lists
/// `word/document.xml` and `[Content_Types].xml`, within [`MAX_DOCX_ENTRIES`] parts,
/// [`MAX_DOCX_UNPACKED_BYTES`] in all and [`MAX_DOCX_RATIO`] per part; only the first
/// [`DOCX_SNIFF_BYTES`] of `word/document.xml` are ever unpacked. CPU work: call it from
/// `spawn_blocking`.
pub fn check_file(file_name: &str, content: &[u8]) -> Result<&'static str, String> {
    let lower = file_name.to_lowercase();
    if content.is_empty() {
        return Err("Tệp rỗng: hãy chọn lại tệp.".to_owned());
    }
    if content.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large_message());
    }
    if lower.ends_with(".pdf") {
        if content.starts_with(b"%PDF-") {
            return Ok(PDF);
        }
        return Err("Tệp có đuôi .pdf nhưng nội dung không phải PDF.".to_owned());
    }
    if lower.ends_with(".docx") {
        return check_docx(content).map(|()| DOCX);
    }
    Err("Chỉ nhận tệp PDF (.pdf) hoặc Word (.docx).".to_owned())
}

fn check_docx(content: &[u8]) -> Result<(), String> {
    use std::io::Read;
    let not_docx = || "Tệp có đuôi .docx nhưng nội dung không phải văn bản Word (DOCX).".to_owned();
    let bomb = || {
        format!(
            "Tệp .docx khai báo nội dung giải nén quá lớn (trên {} MB hoặc nén bất thường): không nhận tệp này.",
            MAX_DOCX_UNPACKED_BYTES / (1024 * 1024)
        )
    };
    if !content.starts_with(b"PK\x03\x04") {
        return Err(not_docx());
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(content)).map_err(|_| not_docx())?;
    if archive.len() > MAX_DOCX_ENTRIES {
        return Err(bomb());
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        // The central directory only: nothing is unpacked here.
        let entry = archive.by_index_data(i).map_err(|_| not_docx())?;
        let size = entry.size();
        total = total.saturating_add(size);
        if size > 1024 * 1024 && size / entry.compressed_size().max(1) > MAX_DOCX_RATIO {
            return Err(bomb());
        }
    }
    if total > MAX_DOCX_UNPACKED_BYTES {
        return Err(bomb());
    }
    if archive.index_for_name("word/document.xml").is_none() || archive.index_for_name("[Content_Types].xml").is_none()
    {
        return Err(not_docx());
    }
    let entry = archive.by_name("word/document.xml").map_err(|_| not_docx())?;
    let mut head = Vec::new();
    entry.take(DOCX_SNIFF_BYTES).read_to_end(&mut head).map_err(|_| not_docx())?;
    // The root element is `w:document` (any prefix, or none).
    let looks_like_word = head.windows(b":document".len()).any(|w| w == b":document" || w == b"<document");
    if !looks_like_word {
        return Err(not_docx());
    }
    Ok(())
}

/// A file name safe to store and to send back: no folders, no control or shell characters,
/// at most 120 characters, the extension kept.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut cleaned: String = base
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') { c } else { '_' })
        .collect();
    cleaned = cleaned.trim_matches(|c: char| c == '.' || c == ' ').to_owned();
    if cleaned.chars().count() > 120 {
        let ext: String = cleaned.rsplit_once('.').map(|(_, e)| e.chars().take(8).collect()).unwrap_or_default();
        let stem: String = cleaned.chars().take(110).collect();
        cleaned = if ext.is_empty() { stem } else { format!("{stem}.{ext}") };
    }
    if cleaned.is_empty() { "tep-dinh-kem".to_owned() } else { cleaned }
}

/// `attachment; filename="ascii"; filename*=UTF-8''…` for a stored (already safe) name.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = fold(name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("a decimal")
    }

    #[test]
    fn status_waits_for_figures() {
        use Comparator::*;
        assert_eq!(TargetStatus::evaluate(AtLeast, d("95"), None, None), TargetStatus::NoData);
        assert_eq!(TargetStatus::evaluate(AtLeast, d("95"), None, Some(d("95"))), TargetStatus::Met);
        assert_eq!(TargetStatus::evaluate(Above, d("95"), None, Some(d("95"))), TargetStatus::NotMet);
        assert_eq!(TargetStatus::evaluate(Between, d("1"), Some(d("2")), Some(d("2"))), TargetStatus::Met);
        assert_eq!(TargetStatus::evaluate(Equal, d("0.3"), None, Some(d("0.1") + d("0.2"))), TargetStatus::Met);
        assert_eq!(TargetStatus::NoData.class(), "status-no-data");
    }

    #[test]
    fn snippets_show_the_match_in_its_accents() {
        let text = "Mở đầu. Đẩy mạnh phong trào thi đua “Dân vận khéo” ở cơ sở. Kết thúc.";
        let s = snippet(text, "dan van kheo", 10);
        assert!(s.contains("“Dân vận khéo”"), "{s}");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert_eq!(snippet("ngắn", "không có", 10), "ngắn");
        let parts = snippet_parts(text, "DAN VAN KHEO", 10);
        assert_eq!(parts.hit, "Dân vận khéo");
        assert!(parts.before.ends_with("đua “"), "{parts:?}");
    }

    #[test]
    fn files_are_checked_by_content() {
        assert_eq!(check_file("a.PDF", b"%PDF-1.4 x"), Ok(PDF));
        assert!(check_file("a.pdf", b"MZ not a pdf").is_err());
        assert!(check_file("setup.exe", b"MZ\x90\x00").is_err());
        // The name alone inside a non-ZIP is not enough.
        assert!(check_file("b.docx", b"PK\x03\x04....word/document.xml....").is_err());
        assert!(check_file("b.docx", b"PK\x03\x04....other.xml").is_err());
        assert!(check_file("a.pdf", &vec![b'%'; MAX_ATTACHMENT_BYTES + 1]).is_err());
        let docx = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]);
        assert_eq!(check_file("b.docx", &docx), Ok(DOCX));
        let plain = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("other.xml", b"<x/>")]);
        assert!(check_file("b.docx", &plain).is_err());
        let fake = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"MZ not xml")]);
        assert!(check_file("b.docx", &fake).is_err());
    }

    /// A ZIP of the given parts, deflated.
    pub(crate) fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in parts {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_bomb_named_docx_is_refused_unopened() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let bomb = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
            ("word/media/x.bin", &zeros),
        ]);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let refused = check_file("bom.docx", &bomb).unwrap_err();
        assert!(refused.contains("giải nén quá lớn"), "{refused}");
    }

    #[test]
    fn snippets_stay_linear_on_adversarial_text() {
        // `a…ab` against `aaaa…`: the old window scan did n·m comparisons.
        let text = "a".repeat(200_000);
        let query = format!("{}b", "a".repeat(199));
        let started = std::time::Instant::now();
        let (snippet, hit) = snippet_window(&text, &query, 90, false, false);
        assert!(!hit);
        assert!(snippet.after.ends_with('…'));
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        let (snippet, hit) = snippet_window("… Dân vận khéo …", "dan van kheo", 10, true, true);
        assert!(hit);
        assert_eq!(snippet.hit, "Dân vận khéo");
        assert!(snippet.before.starts_with('…') && snippet.after.ends_with('…'));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/Nghị quyết 25.pdf"), "Nghị quyết 25.pdf");
        assert_eq!(safe_file_name("C:\\x\\a\"b;c.pdf"), "a_b_c.pdf");
        assert_eq!(safe_file_name("..."), "tep-dinh-kem");
        let header = content_disposition("Nghị quyết 25.pdf");
        assert!(header.starts_with("attachment; filename=\"nghi_quyet_25.pdf\"; filename*=UTF-8''"), "{header}");
    }
}
