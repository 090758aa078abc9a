//! Vietnamese text helpers: accent folding for search.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for accent-insensitive search: lower case, no diacritics, `đ` → `d`, single
/// spaces. "Huyện Đức Trọng" and "huyen duc  trong" fold to the same string.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut last_was_space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
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
}
