//! The narrative of a report (kết quả, hạn chế, nguyên nhân, phương hướng, kiến nghị) and how
//! typed or pasted text is cleaned before it is stored.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Narrative {
    #[serde(default)]
    pub ket_qua: String,
    #[serde(default)]
    pub han_che: String,
    #[serde(default)]
    pub nguyen_nhan: String,
    #[serde(default)]
    pub phuong_huong: String,
    #[serde(default)]
    pub kien_nghi: String,
}

impl Narrative {
    /// (field name, Vietnamese heading, text)
    pub fn sections(&self) -> [(&'static str, &'static str, &str); 5] {
        [
            ("ket_qua", "Kết quả", &self.ket_qua),
            ("han_che", "Hạn chế", &self.han_che),
            ("nguyen_nhan", "Nguyên nhân", &self.nguyen_nhan),
            ("phuong_huong", "Phương hướng quý tới", &self.phuong_huong),
            ("kien_nghi", "Kiến nghị – đề xuất", &self.kien_nghi),
        ]
    }

    /// Sets one section from what was typed or pasted, cleaned as stored text is
    /// ([`crate::text::from_word`]: Word's vertical tab a line break, a form feed a new paragraph,
    /// nothing raw that HTML or the DOCX would glue or print).
    pub fn set(&mut self, name: &str, text: String) {
        let text = crate::text::from_word(&text);
        match name {
            "ket_qua" => self.ket_qua = text,
            "han_che" => self.han_che = text,
            "nguyen_nhan" => self.nguyen_nhan = text,
            "phuong_huong" => self.phuong_huong = text,
            "kien_nghi" => self.kien_nghi = text,
            _ => {}
        }
    }
}

#[cfg(test)]
mod narrative_tests {
    use super::Narrative;

    #[test]
    fn a_section_pasted_from_word_keeps_its_breaks_and_nothing_raw() {
        let mut narrative = Narrative::default();
        narrative.set("han_che", "Dòng một\u{000B}dòng hai\u{000C}Trang mới\u{0007}".to_owned());
        assert!(
            !narrative.han_che.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{:?}",
            narrative.han_che
        );
        assert!(!narrative.han_che.contains("mộtdòng"), "never glued");
        assert!(narrative.han_che.starts_with("Dòng một\u{2028}dòng hai"));
    }
}
