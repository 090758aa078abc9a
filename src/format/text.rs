//! Text helpers for labels.

/// The text with its first letter upper-case ("năm 2025" → "Năm 2025"), for a label that
/// starts a sentence.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
