//! The layout template: page, sizes, blocks, clauses, headings and signature, versioned
//! JSON under `reference/templates/` (v1–v3 load).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::offices::Office;
use crate::units::Level;

/// The layout template in force.
pub const LAYOUT_JSON: &str = include_str!("../../../reference/templates/annual-report-v3.json");
/// The second version, before seed 002's full structure.
pub const LAYOUT_V2_JSON: &str = include_str!("../../../reference/templates/annual-report-v2.json");
/// The first version, before the heading moved to the offices.
pub const LAYOUT_V1_JSON: &str = include_str!("../../../reference/templates/annual-report-v1.json");

#[derive(Debug, Clone, Deserialize)]
pub struct PageSpec {
    pub width_mm: f64,
    pub height_mm: f64,
    pub margin_top_mm: f64,
    pub margin_bottom_mm: f64,
    pub margin_left_mm: f64,
    pub margin_right_mm: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sizes {
    pub party: f64,
    pub superior: f64,
    pub issuer: f64,
    pub number: f64,
    pub place_date: f64,
    pub doc_type: f64,
    pub title: f64,
    pub body: f64,
    pub footnote: f64,
    pub recipients_heading: f64,
    pub recipients: f64,
    pub signature: f64,
    pub page_number: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BodySpec {
    pub first_line_indent_mm: f64,
    pub spacing_after_pt: f64,
    pub line_spacing: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClauseSpec {
    pub text: String,
    #[serde(default)]
    pub footnote: Vec<ClauseSpec>,
    #[serde(default)]
    pub parts: Vec<String>,
    #[serde(default)]
    pub separator: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockSpec {
    Heading {
        style: HeadingStyle,
        text: String,
    },
    Narrative {
        section: String,
        #[serde(default)]
        lead: String,
    },
    Paragraph {
        clauses: Vec<ClauseSpec>,
    },
    Targets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadingStyle {
    /// "Phần thứ nhất": centred, bold italic.
    Part,
    /// "BÁO CÁO TỔNG KẾT …": centred, bold.
    Title,
    /// "I- KẾT QUẢ …": bold, indented.
    H1,
    /// "1. Sự lãnh đạo …": bold, indented.
    H2,
}

impl HeadingStyle {
    pub fn css(self) -> &'static str {
        match self {
            HeadingStyle::Part => "doc-part",
            HeadingStyle::Title => "doc-title",
            HeadingStyle::H1 => "doc-h1",
            HeadingStyle::H2 => "doc-h2",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SignatureSpec {
    /// v1 only: the office gives it from v2 on.
    #[serde(default)]
    pub on_behalf: String,
    /// v1 only: the office gives it from v2 on.
    #[serde(default)]
    pub position: String,
    pub name: String,
    pub blank_lines: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LayoutSpec {
    pub version: String,
    pub font: String,
    pub page: PageSpec,
    pub sizes: Sizes,
    pub body: BodySpec,
    /// "footer_right" or "footer_center".
    pub page_number: String,
    pub party: String,
    /// v1 only (per level); superseded by the office.
    #[serde(default)]
    pub superior: BTreeMap<String, String>,
    /// v1 only (per level); superseded by the office.
    #[serde(default)]
    pub issuer: BTreeMap<String, String>,
    /// v1 only (per level): "Số      -BC/BDVTU"; the office's symbol replaces what follows
    /// the slash.
    #[serde(default)]
    pub number: BTreeMap<String, String>,
    /// v2: the number line, `{symbol}` being the office's symbol: "Số      -BC/{symbol}".
    #[serde(default)]
    pub number_format: Option<String>,
    pub scope_word: BTreeMap<String, String>,
    pub doc_type: String,
    pub title: String,
    pub title_rule: String,
    pub empty_narrative: String,
    pub blocks: Vec<BlockSpec>,
    pub target_line: String,
    pub no_targets: String,
    pub comparators: BTreeMap<String, String>,
    pub narrative_sections: BTreeMap<String, String>,
    pub recipients_heading: String,
    /// v1 only (per level); the office's recipients are the defaults from v2 on.
    #[serde(default)]
    pub recipients: BTreeMap<String, Vec<String>>,
    pub signature: SignatureSpec,
}

impl LayoutSpec {
    /// The template in force.
    pub fn load() -> anyhow::Result<LayoutSpec> {
        Ok(serde_json::from_str(LAYOUT_JSON)?)
    }

    /// A template by its version name ("annual-report-v1", "annual-report-v2", "annual-report-v3").
    pub fn load_version(version: &str) -> anyhow::Result<LayoutSpec> {
        let text = match version {
            "annual-report-v1" => LAYOUT_V1_JSON,
            "annual-report-v2" => LAYOUT_V2_JSON,
            "annual-report-v3" => LAYOUT_JSON,
            other => anyhow::bail!("không có mẫu bố cục {other}"),
        };
        Ok(serde_json::from_str(text)?)
    }

    /// The number line with the office's symbol: v2's `number_format`, or v1's per-level line
    /// with the office's symbol after the slash.
    pub fn number_line(&self, office: &Office, level: Level) -> String {
        match &self.number_format {
            Some(format) => office.number_line(format),
            None => {
                let v1 = Self::by_level(&self.number, level);
                let prefix = v1.split_once('/').map(|(before, _)| before).unwrap_or("Số      -BC");
                format!("{prefix}/{}", office.symbol)
            }
        }
    }

    pub(super) fn by_level(map: &BTreeMap<String, String>, level: Level) -> &str {
        map.get(&level.to_string()).or_else(|| map.values().last()).map(String::as_str).unwrap_or("")
    }
}
