//! Vietnamese text helpers: accent folding for search, look-alike letters, and text pasted
//! from Word (its control characters made into the breaks they meant).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The line break inside a paragraph, as stored: U+2028 LINE SEPARATOR (Word's vertical tab,
/// Shift+Enter). A new line (`\n`) starts a new paragraph.
pub const LINE_BREAK: char = '\u{2028}';

/// Replaces the letters that look like `Đ`/`đ` but are not (the Icelandic eth `Ð` U+00D0 and
/// `ð` U+00F0, found in text copied from old web pages and legacy fonts) with the real ones.
pub fn fix_lookalikes(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{00D0}' => 'Đ',
            '\u{00F0}' => 'đ',
            c => c,
        })
        .collect()
}

/// Text typed or pasted by a person, as it is stored: look-alike letters fixed, `\r\n` and
/// `\r` made `\n`, and the control characters Word leaves in copied text made into the break
/// they meant: vertical tab → [`LINE_BREAK`], form feed (page or section break) and U+0085 →
/// a new paragraph, any other control → a space. Tabs stay.
pub fn from_word(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\u{000C}' | '\u{0085}' => out.push('\n'),
            '\u{000B}' => out.push(LINE_BREAK),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push(' '),
            '\u{00D0}' => out.push('Đ'),
            '\u{00F0}' => out.push('đ'),
            c => out.push(c),
        }
    }
    out
}

/// A one-line field (a title, a number) as stored: as [`from_word`], every break a space.
pub fn one_line(text: &str) -> String {
    from_word(text).chars().map(|c| if c == '\n' || c == LINE_BREAK { ' ' } else { c }).collect()
}

/// A piece of one paragraph's text, for writers that draw breaks themselves (the DOCX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text without any control character (tabs made spaces).
    Text(String),
    /// A line break inside the paragraph.
    LineBreak,
    /// A page break (a form feed that reached the writer unstored).
    PageBreak,
}

/// Splits a paragraph's text at its breaks: [`LINE_BREAK`], vertical tab, `\n`, `\r\n` → line
/// break; form feed → page break; any other control → a space. Never loses the gap between
/// two words.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let push = |out: &mut Vec<Piece>, current: &mut String, piece: Piece| {
        if !current.is_empty() {
            out.push(Piece::Text(std::mem::take(current)));
        }
        out.push(piece);
    };
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                push(&mut out, &mut current, Piece::LineBreak);
            }
            '\n' | '\u{000B}' | '\u{0085}' | LINE_BREAK | '\u{2029}' => push(&mut out, &mut current, Piece::LineBreak),
            '\u{000C}' => push(&mut out, &mut current, Piece::PageBreak),
            c if c.is_control() => current.push(' '),
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(Piece::Text(current));
    }
    out
}

/// Folds text for accent-insensitive search: lower case, no diacritics, `đ` → `d` (and its
/// look-alikes `ð`, `Ð`), single spaces. "Huyện Đức Trọng" and "huyen duc  trong" fold to the
/// same string.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut last_was_space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' | '\u{00D0}' | '\u{00F0}' => 'd',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_was_space {
                folded.push(' ');
            }
            last_was_space = true;
            continue;
        }
        last_was_space = false;
        folded.extend(c.to_lowercase());
    }
    if folded.ends_with(' ') {
        folded.pop();
    }
    folded
}

/// Escapes `%`, `_` and `\` for use inside a `LIKE` pattern.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Huyện Đức Trọng"), "huyen duc trong");
        assert_eq!(fold("  Dân   vận KHÉO "), "dan van kheo");
        assert_eq!(fold("Thị trấn Liên Nghĩa"), "thi tran lien nghia");
        assert_eq!(fold("ƯỚC Ơ Ă Â Ê Ô"), "uoc o a a e o");
    }

    #[test]
    fn escapes_like() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }

    #[test]
    fn folds_lookalike_eth() {
        assert_eq!(fold("09-Q\u{00D0}/TU"), fold("09-QĐ/TU"));
        assert_eq!(fold("\u{00F0}ảng"), "dang");
        assert_eq!(fix_lookalikes("Q\u{00D0} \u{00F0}i"), "QĐ đi");
    }

    #[test]
    fn word_controls_become_breaks() {
        assert_eq!(from_word("Dòng một\u{000B}dòng hai\u{000C}Trang mới"), "Dòng một\u{2028}dòng hai\nTrang mới");
        assert_eq!(from_word("a\r\nb\rc\u{0007}d\te"), "a\nb\nc d\te");
        assert_eq!(
            pieces("một\u{000B}hai\u{000C}ba\u{0001}bốn"),
            vec![
                Piece::Text("một".into()),
                Piece::LineBreak,
                Piece::Text("hai".into()),
                Piece::PageBreak,
                Piece::Text("ba bốn".into()),
            ]
        );
    }
}
