//! The annual summary report (báo cáo tổng kết năm) as one data structure that both the DOCX
//! writer and the HTML preview read: the Party-format header, the body blocks with figures
//! filled from the aggregated data, footnotes, next year's targets, recipients and signature.
//! What goes where, and in which words, is the versioned layout template
//! `reference/templates/annual-report-v3.json`, not code; who issues the document (the heading,
//! the symbol in its number, the signature block's on-behalf line and position, the default
//! "Nơi nhận") is the office of the report's unit at the report's date (`crate::offices`).
//! Version 1 of the template, which carried those per level, still loads: its per-level
//! heading is superseded by the office, its number line keeps its shape with the office's
//! symbol. Version 3 follows seed 002 section by section (ưu điểm, bài học kinh nghiệm,
//! nhiệm vụ as narrative sections of their own) and places every figure of it; version 2 still
//! loads.
//!
//! A figure without data never prints as 0: the DOCX leaves its clause out, the preview
//! ([`AnnualDocument::preview`]) keeps the clause and says that the figure is missing.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use sqlx::{FromRow, PgPool};

use crate::catalogue::{Catalogue, Indicator, ValueType};
use crate::dashboards::aggregate::{self, Basis, Totals};
use crate::dashboards::cache::View;
use crate::dashboards::history;
use crate::directives::targets::{self, Target};
use crate::format;
use crate::offices::Office;
use crate::reports::Period;
use crate::units::{Level, Unit};

/// The layout template in force.
pub const LAYOUT_JSON: &str = include_str!("../../reference/templates/annual-report-v3.json");
/// The second version, before seed 002's full structure.
pub const LAYOUT_V2_JSON: &str = include_str!("../../reference/templates/annual-report-v2.json");
/// The first version, before the heading moved to the offices.
pub const LAYOUT_V1_JSON: &str = include_str!("../../reference/templates/annual-report-v1.json");

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

    fn by_level(map: &BTreeMap<String, String>, level: Level) -> &str {
        map.get(&level.to_string()).or_else(|| map.values().last()).map(String::as_str).unwrap_or("")
    }
}

/// The narrative sections of the annual report, with the editable signature and recipients,
/// as stored in `annual_narratives`.
#[derive(Debug, Clone, Default, FromRow, serde::Serialize)]
pub struct AnnualNarrative {
    pub ket_qua: String,
    /// Ưu điểm, the first part of "II- Nhận xét chung" (template v3).
    pub uu_diem: String,
    pub han_che: String,
    pub nguyen_nhan: String,
    pub phuong_huong: String,
    pub kien_nghi: String,
    /// Bài học kinh nghiệm (template v3).
    pub bai_hoc: String,
    /// Nhiệm vụ, giải pháp cụ thể of next year (template v3).
    pub nhiem_vu: String,
    pub signer_position: String,
    pub signer_name: String,
    pub recipients: String,
    pub version: i32,
}

impl AnnualNarrative {
    pub fn section(&self, name: &str) -> &str {
        match name {
            "ket_qua" => &self.ket_qua,
            "uu_diem" => &self.uu_diem,
            "han_che" => &self.han_che,
            "nguyen_nhan" => &self.nguyen_nhan,
            "phuong_huong" => &self.phuong_huong,
            "kien_nghi" => &self.kien_nghi,
            "bai_hoc" => &self.bai_hoc,
            "nhiem_vu" => &self.nhiem_vu,
            _ => "",
        }
    }
}

pub async fn narrative(pool: &PgPool, unit_id: i32, year: i32) -> sqlx::Result<Option<AnnualNarrative>> {
    sqlx::query_as(
        "SELECT ket_qua, uu_diem, han_che, nguyen_nhan, phuong_huong, kien_nghi, bai_hoc, nhiem_vu,
                signer_position, signer_name, recipients, version
         FROM annual_narratives WHERE unit_id = $1 AND year = $2",
    )
    .bind(unit_id)
    .bind(year)
    .fetch_optional(pool)
    .await
}

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

/// The figures of a unit for a year: totals of the subtree, the same split by level of the
/// reporting unit, the year before, and next year's targets.
pub struct Figures {
    pub catalogue: Catalogue,
    pub unit: Unit,
    pub year: i32,
    pub totals: Totals,
    pub before: Totals,
    pub levels: BTreeMap<Level, Totals>,
    pub targets: Vec<Target>,
    /// The parts of the subtree (root's own report, each child's subtree), for the workbook.
    pub parts: BTreeMap<String, Totals>,
    pub children: Vec<Unit>,
    /// The reporting units directly below with nothing accepted in the year: listed in the
    /// workbook as "Chưa báo cáo", never as zeros.
    pub not_reported: Vec<Unit>,
    pub this_year_targets: Vec<Target>,
    /// Where the figures come from across the 2025 reform (a unit of today over a year before
    /// or around 1 July 2025), as the document says it under its title.
    pub history_note: Option<String>,
}

/// The sentence under the title of a report whose figures reach back through the lineage,
/// naming split predecessors with "một phần" and the figures as estimated where they are.
fn history_note(composite: &history::Composite, unit: &Unit, year: i32) -> Option<String> {
    let counted: Vec<String> = composite.sources.iter().filter(|p| p.counted).map(|p| p.unit.dated_name()).collect();
    let lead = match composite.era {
        history::Era::Own => return None,
        history::Era::Before => format!(
            "{} được thành lập từ ngày 01/07/2025; số liệu năm {year} là số liệu của các đơn vị tiền thân: {}.",
            unit.name,
            counted.join(", ")
        ),
        history::Era::Spanning => format!(
            "Số liệu năm {year} gồm số liệu của các đơn vị tiền thân ({}) đến ngày 30/06/2025 (các chỉ tiêu cộng dồn) \
             và của {} từ ngày 01/07/2025; số liệu thời điểm là của các đơn vị tồn tại cuối năm.",
            counted.join(", "),
            unit.name
        ),
    };
    let partial: Vec<String> = composite
        .sources
        .iter()
        .filter(|p| p.is_split())
        .map(|p| {
            if p.counted {
                format!("{} (một phần, tính toàn bộ ở đây)", p.unit.name)
            } else {
                format!("{} (một phần, tính ở {})", p.unit.name, p.counted_in)
            }
        })
        .collect();
    if partial.is_empty() {
        Some(lead)
    } else {
        Some(format!(
            "{lead} Đơn vị tiền thân được chia cho nhiều đơn vị: {}; các số liệu này là số ước tính.",
            partial.join("; ")
        ))
    }
}

impl Figures {
    /// Aggregates everything from accepted reports (Basis::Accepted) through the dashboards'
    /// cache, across the 2025 reform (`dashboards::history`): a unit of today's years before it
    /// existed are its predecessors'.
    pub async fn load(view: &View<'_>, unit: Unit, year: i32) -> sqlx::Result<Figures> {
        let pool = view.pool();
        let period = Period::Year { year };
        let basis = Basis::Accepted;
        let catalogue = Catalogue::load(pool).await?;
        let composite = history::composite(view, Some(&unit), period, basis).await?;
        let totals = composite.totals();
        let before = history::totals(view, Some(&unit), period.year_before(), basis).await?;
        let (children, mut not_reported): (Vec<Unit>, Vec<Unit>) =
            composite.children.iter().cloned().partition(|c| composite.parts.contains_key(&c.path));
        // Hamlets' figures are their commune's: a hamlet without any has not failed to report.
        not_reported.retain(|c| c.level <= Level::Commune);
        let history_note = history_note(&composite, &unit, year);
        // Levels: the reporting unit's level; below a child, everything further down.
        let mut levels: BTreeMap<Level, Totals> = BTreeMap::new();
        let mut add = |level: Level, part: &Totals, flows_only: bool| {
            let into = levels.entry(level).or_default();
            for (key, value) in part {
                let code = key.split_once('.').map_or(key.as_str(), |(code, _)| code);
                if flows_only && catalogue.element(code).is_some_and(|e| e.aggregation == "last") {
                    continue;
                }
                *into.entry(key.clone()).or_insert(Decimal::ZERO) += value;
            }
        };
        // The unit's own tree (not for a year before it existed), then its predecessors' (their
        // flows only when the year also holds the unit's own second half).
        let mut trees: Vec<(&Unit, bool)> = Vec::new();
        if composite.era != history::Era::Before {
            trees.push((&unit, false));
        }
        let flows_only = composite.era == history::Era::Spanning;
        trees.extend(composite.sources.iter().filter(|p| p.counted).map(|p| (&p.unit, flows_only)));
        for (root, flows_only) in trees {
            for (path, part) in view.parts(Some(&root.path), period, basis).await?.iter() {
                if *path == root.path {
                    add(root.level, part, flows_only);
                    continue;
                }
                // A child's own report one level down, everything below it two.
                let (child, further) = (root.level.below(), root.level.below().and_then(Level::below));
                for (sub_path, sub) in view.parts(Some(path), period, basis).await?.iter() {
                    if let Some(level) = if sub_path == path { child } else { further } {
                        add(level, sub, flows_only);
                    }
                }
            }
        }
        levels.retain(|_, totals| !totals.is_empty());
        let parts = composite.parts.clone();
        let all_targets = targets::for_unit(pool, Some(&unit.path), Some(unit.level)).await?;
        let pick = |y: i32| -> Vec<Target> {
            let mut chosen: Vec<Target> = Vec::new();
            for t in all_targets.iter().filter(|t| t.year == Some(y)) {
                if !chosen.iter().any(|c| c.indicator_code == t.indicator_code) {
                    chosen.push(t.clone());
                }
            }
            chosen
        };
        let targets = pick(year + 1);
        let this_year_targets = pick(year);
        Ok(Figures {
            catalogue,
            unit,
            year,
            totals,
            before,
            levels,
            targets,
            parts,
            children,
            not_reported,
            this_year_targets,
            history_note,
        })
    }

    fn drill(&self, selector: &str) -> String {
        format!("/dashboards/{}/drill?period={}&{selector}", self.unit.code, self.year)
    }

    fn element_text(&self, code: &str, value: Decimal, modifier: &str) -> String {
        let kind = self.catalogue.element(code).map(|e| e.kind()).unwrap_or(ValueType::Decimal);
        let whole = crate::figures::round(value, 0).to_i64();
        match (modifier, whole) {
            // Billions of đồng as officials write them: "39,48 tỷ đồng", "430 tỷ đồng".
            ("ty", _) => format::format_number(value / Decimal::from(1_000_000_000), 2),
            ("pad", Some(whole))
                if kind == ValueType::Integer && (0..10).contains(&whole) && value >= Decimal::ZERO =>
            {
                format!("{whole:02}")
            }
            (_, Some(whole)) if kind == ValueType::Integer => format::integer(whole),
            _ => format::format_number(value, 2),
        }
    }

    /// The totals a placeholder reads: the whole subtree's, or one level's own reports'.
    fn totals_at(&self, level: Option<Level>) -> Option<&Totals> {
        match level {
            Some(level) => self.levels.get(&level),
            None => Some(&self.totals),
        }
    }

    /// "cuối năm 2019" for a stock, "năm 2019" for a flow: what a change is measured against.
    fn before_label(&self, stock: bool) -> String {
        if stock { format!("cuối năm {}", self.year - 1) } else { format!("năm {}", self.year - 1) }
    }

    /// Resolves one placeholder (`v:CODE@2|pad`, `ind:CODE`, …) to its text and drill-down
    /// link; `None` when there is no data for it.
    pub fn resolve(&self, key: &str, layout: &LayoutSpec) -> Option<(String, String)> {
        let (kind, rest) = key.split_once(':')?;
        let (rest, modifier) = rest.split_once('|').unwrap_or((rest, ""));
        let (code, level) = match rest.split_once('@') {
            Some((code, level)) => (code, Some(level.parse::<Level>().ok()?)),
            None => (rest, None),
        };
        // "|1": that many decimals.
        let digits = modifier.parse::<usize>().ok().filter(|d| *d <= 4);
        match kind {
            "v" => {
                let value = *self.totals_at(level)?.get(code)?;
                Some((self.element_text(code, value, modifier), self.drill(&format!("key={code}"))))
            }
            // The sum of elements, every one of them reported: "18 phiên họp".
            "sum" => {
                let totals = self.totals_at(level)?;
                let codes: Vec<&str> = code.split('+').map(str::trim).collect();
                let mut total = Decimal::ZERO;
                for c in &codes {
                    total += *totals.get(*c)?;
                }
                let first = codes.first()?;
                Some((self.element_text(first, total, modifier), self.drill(&format!("key={first}"))))
            }
            // The change of an element's count against the year before: "tăng 01 cuộc".
            "diff" => {
                let diff = *self.totals.get(code)? - *self.before.get(code)?;
                let unit = self.catalogue.element(code).map(|e| e.unit_of_measure.as_str()).unwrap_or("");
                let text = if diff.is_zero() {
                    "không tăng, không giảm".to_owned()
                } else {
                    let verb = if diff > Decimal::ZERO { "tăng" } else { "giảm" };
                    format!("{verb} {} {unit}", self.element_text(code, diff.abs(), modifier)).trim_end().to_owned()
                };
                Some((text, self.drill(&format!("key={code}"))))
            }
            // The relative change of an element's total: "tăng 6,69% so với cuối năm 2019".
            "chgv" => {
                let now = *self.totals.get(code)?;
                let before = *self.before.get(code)?;
                let relative = (now - before).checked_mul(Decimal::ONE_HUNDRED)?.checked_div(before)?;
                let stock = self.catalogue.element(code).is_some_and(|e| e.is_stock());
                let text = change_words(relative, digits.unwrap_or(2), "%", &self.before_label(stock));
                Some((text, self.drill(&format!("key={code}"))))
            }
            "tgt" => {
                let indicator = self.catalogue.indicator(code)?;
                let target = self.targets.iter().find(|t| t.indicator_code == code)?;
                Some((goal_text(indicator, target, layout), format!("/directives?q={}", target.directive_number)))
            }
            _ => {
                let indicator = self.catalogue.indicator(code)?;
                let value = aggregate::indicator(indicator, &self.totals)?;
                let decimals = digits.unwrap_or(indicator.decimals.max(0) as usize);
                let text = match kind {
                    "ind" => indicator.format(value.numerator, value.denominator),
                    "pct" if modifier == "above" => above_text(indicator, value.value),
                    "pct" => value_text(indicator, value.value, decimals),
                    "val" => format::decimal(value.value, decimals),
                    "frac" => {
                        format!("{}/{}", format::decimal(value.numerator, 0), format::decimal(value.denominator?, 0))
                    }
                    "chg" => {
                        let before = aggregate::indicator(indicator, &self.before).map(|v| v.value)?;
                        let label = format!("cuối năm {}", self.year - 1);
                        match digits {
                            None => crate::dashboards::change_text(indicator, value.value, Some(before), &label),
                            // A rate changes by percentage points, a count by a percentage.
                            Some(d) if indicator.is_percentage() => {
                                change_words(value.value - before, d, " điểm phần trăm", &label)
                            }
                            Some(d) => {
                                let relative =
                                    (value.value - before).checked_mul(Decimal::ONE_HUNDRED)?.checked_div(before)?;
                                change_words(relative, d, "%", &label)
                            }
                        }
                    }
                    _ => return None,
                };
                Some((text, self.drill(&format!("indicator={code}"))))
            }
        }
    }

    /// What the preview says in place of a figure without data: "[chưa có số liệu: Kỳ họp Hội
    /// đồng nhân dân (cấp tỉnh)]".
    pub fn missing_text(&self, key: &str) -> String {
        let (kind, rest) = key.split_once(':').unwrap_or(("", key));
        let rest = rest.split('|').next().unwrap_or(rest);
        let (code, level) = rest.split_once('@').map_or((rest, None), |(c, l)| (c, Some(l)));
        let names: Vec<String> = code
            .split('+')
            .map(|c| {
                let c = c.trim();
                self.catalogue
                    .element(c)
                    .map(|e| e.name.clone())
                    .or_else(|| self.catalogue.indicator(c).map(|i| i.name.clone()))
                    .unwrap_or_else(|| c.to_owned())
            })
            .collect();
        let mut label = names.join(", ");
        if let Some(level) = level {
            let word = match level.parse::<Level>() {
                Ok(level) if level <= Level::Commune => level.label().to_lowercase(),
                _ => "cấp dưới".to_owned(),
            };
            label = format!("{label} ({word})");
        }
        match kind {
            "diff" | "chg" | "chgv" => format!("[chưa có số liệu năm {} để so sánh: {label}]", self.year - 1),
            "tgt" => format!("[chưa có chỉ tiêu năm {}: {label}]", self.year + 1),
            _ => format!("[chưa có số liệu: {label}]"),
        }
    }
}

/// "tăng 6,69% so với cuối năm 2019", "giảm 1,3 điểm phần trăm so với cuối năm 2019".
fn change_words(change: Decimal, decimals: usize, unit: &str, label: &str) -> String {
    let shown = format::decimal(change.abs(), decimals);
    if crate::figures::round(change, decimals as u32).is_zero() {
        return format!("không thay đổi so với {label}");
    }
    let verb = if change > Decimal::ZERO { "tăng" } else { "giảm" };
    format!("{verb} {shown}{unit} so với {label}")
}

/// "trên 96%" for 96,3 %, "96%" for exactly 96 %: the whole part officials write.
pub fn above_text(indicator: &Indicator, value: Decimal) -> String {
    let whole = value.trunc();
    let unit = if indicator.is_percentage() { "%".to_owned() } else { format!(" {}", indicator.unit) };
    let number = format::decimal(whole, 0);
    if value > whole { format!("trên {number}{unit}") } else { format!("{number}{unit}") }
}

/// "51,95%", or "12,5 cuộc/tổ chức" for indicators that are not rates, with `decimals` places.
pub fn value_text(indicator: &Indicator, value: Decimal, decimals: usize) -> String {
    if indicator.is_percentage() {
        format!("{}%", format::decimal(value, decimals))
    } else {
        format!("{} {}", format::decimal(value, decimals), indicator.unit)
    }
}

/// "đạt 54% trở lên": a target in the words of the layout template.
pub fn goal_text(indicator: &Indicator, target: &Target, layout: &LayoutSpec) -> String {
    let decimals = indicator.decimals.clamp(0, 2) as u8;
    let unit = if indicator.is_percentage() { "%".to_owned() } else { format!(" {}", indicator.unit) };
    let value = format!("{}{unit}", format::format_number(target.value, decimals));
    let value_max = format!("{}{unit}", format::format_number(target.value_max.unwrap_or(target.value), decimals));
    let pattern =
        layout.comparators.get(target.comparator.as_str()).cloned().unwrap_or_else(|| "đạt {value}".to_owned());
    pattern.replace("{value_max}", &value_max).replace("{value}", &value)
}

/// Splits a template text into plain text and `{…}` placeholders.
fn tokens(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        if start > 0 {
            out.push((false, &rest[..start]));
        }
        out.push((true, &rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

struct Filler<'a> {
    figures: &'a Figures,
    layout: &'a LayoutSpec,
    words: HashMap<&'static str, String>,
    /// The preview: a figure without data is said to be missing instead of dropping its clause.
    preview: bool,
}

impl Filler<'_> {
    /// Fills a text; `None` when one of its figures has no data (unless `mark` says to put a
    /// note in its place).
    fn fill(&self, text: &str, parts: Option<&[Inline]>, mark: bool) -> Option<Vec<Inline>> {
        let mut out = Vec::new();
        for (is_key, token) in tokens(text) {
            if !is_key {
                push_text(&mut out, token);
            } else if token == "parts" {
                out.extend(parts.unwrap_or(&[]).iter().cloned());
            } else if let Some(word) = self.words.get(token) {
                push_text(&mut out, word);
            } else {
                match self.figures.resolve(token, self.layout) {
                    Some((text, href)) => out.push(Inline::Figure { text, href }),
                    None if mark => {
                        out.push(Inline::Figure { text: self.figures.missing_text(token), href: String::new() })
                    }
                    None => return None,
                }
            }
        }
        Some(out)
    }

    fn words(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (key, value) in &self.words {
            out = out.replace(&format!("{{{key}}}"), value);
        }
        out
    }

    fn clause(&self, clause: &ClauseSpec, footnotes: &mut Vec<(usize, Vec<Inline>)>) -> Option<Vec<Inline>> {
        let mut joined: Vec<Inline> = Vec::new();
        // A part without data is left out of its list (a level without reports), also in the
        // preview.
        for part in &clause.parts {
            if let Some(filled) = self.fill(part, None, false) {
                if !joined.is_empty() {
                    push_text(&mut joined, &clause.separator);
                }
                joined.extend(filled);
            }
        }
        if !clause.parts.is_empty() && joined.is_empty() {
            if !self.preview {
                return None;
            }
            joined.push(Inline::Figure {
                text: "[chưa có số liệu của cấp nào]".to_owned(), href: String::new()
            });
        }
        let mut inlines = self.fill(&clause.text, Some(&joined), self.preview)?;
        if !clause.footnote.is_empty() {
            let mut content = Vec::new();
            for inner in &clause.footnote {
                if let Some(filled) = self.clause(inner, &mut Vec::new()) {
                    content.extend(filled);
                }
            }
            // A footnote is kept when it carries at least one figure.
            if content.iter().any(|i| matches!(i, Inline::Figure { .. })) {
                let number = footnotes.len() + 1;
                footnotes.push((number, content.clone()));
                inlines.push(Inline::Footnote { number, content });
            }
        }
        Some(inlines)
    }

    /// The body blocks and their footnotes.
    fn body(&self, narrative: &AnnualNarrative) -> (Vec<Block>, Vec<(usize, Vec<Inline>)>) {
        let (figures, layout) = (self.figures, self.layout);
        let mut footnotes: Vec<(usize, Vec<Inline>)> = Vec::new();
        let mut blocks = Vec::new();
        for spec in &layout.blocks {
            match spec {
                BlockSpec::Heading { style, text } => {
                    blocks.push(Block::Heading { style: *style, text: self.words(text) });
                    if *style == HeadingStyle::Title
                        && let Some(note) = &figures.history_note
                    {
                        blocks.push(Block::Paragraph {
                            lead: String::new(),
                            inlines: vec![Inline::Text(note.clone())],
                            placeholder: false,
                        });
                    }
                }
                BlockSpec::Narrative { section, lead } => {
                    let text = narrative.section(section);
                    let paragraphs: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                    if paragraphs.is_empty() {
                        let name = layout.narrative_sections.get(section).cloned().unwrap_or_else(|| section.clone());
                        let placeholder = self.words(&layout.empty_narrative.replace("{section}", &name));
                        blocks.push(Block::Paragraph {
                            lead: lead.clone(),
                            inlines: vec![Inline::Text(placeholder)],
                            placeholder: true,
                        });
                    } else {
                        for (i, paragraph) in paragraphs.into_iter().enumerate() {
                            blocks.push(Block::Paragraph {
                                lead: if i == 0 { lead.clone() } else { String::new() },
                                inlines: vec![Inline::Text(paragraph.to_owned())],
                                placeholder: false,
                            });
                        }
                    }
                }
                BlockSpec::Paragraph { clauses } => {
                    let mut inlines = Vec::new();
                    for clause in clauses {
                        if let Some(filled) = self.clause(clause, &mut footnotes) {
                            for inline in filled {
                                match inline {
                                    Inline::Text(text) => push_text(&mut inlines, &text),
                                    other => inlines.push(other),
                                }
                            }
                        }
                    }
                    if !inlines.is_empty() {
                        blocks.push(Block::Paragraph { lead: String::new(), inlines, placeholder: false });
                    }
                }
                BlockSpec::Targets => {
                    let mut any = false;
                    for target in &figures.targets {
                        let Some(indicator) = figures.catalogue.indicator(&target.indicator_code) else { continue };
                        any = true;
                        let line = layout
                            .target_line
                            .replace("{name}", &indicator.name)
                            .replace("{directive}", &target.directive_number);
                        let mut inlines = Vec::new();
                        for (i, piece) in line.split("{goal}").enumerate() {
                            if i > 0 {
                                inlines.push(Inline::Figure {
                                    text: goal_text(indicator, target, layout),
                                    href: format!("/directives?q={}", target.directive_number),
                                });
                            }
                            push_text(&mut inlines, piece);
                        }
                        blocks.push(Block::Paragraph { lead: String::new(), inlines, placeholder: false });
                    }
                    if !any {
                        blocks.push(Block::Paragraph {
                            lead: String::new(),
                            inlines: vec![Inline::Text(self.words(&layout.no_targets))],
                            placeholder: true,
                        });
                    }
                }
            }
        }
        (blocks, footnotes)
    }
}

fn push_text(out: &mut Vec<Inline>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Inline::Text(last)) = out.last_mut() {
        last.push_str(text);
    } else {
        out.push(Inline::Text(text.to_owned()));
    }
}

pub struct Options {
    /// The issuing date, on the place-and-date line.
    pub date: NaiveDate,
    /// The office of the unit at the report's date.
    pub office: Office,
}

/// "huyện, thành phố": the kinds of the units directly below, in the words of the tree, for
/// sentences such as "làm việc 17 cuộc với 15 huyện, thành phố".
fn below_word(figures: &Figures) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for child in &figures.children {
        if !kinds.contains(&child.kind.as_str()) {
            kinds.push(&child.kind);
        }
    }
    if kinds.is_empty() { "đơn vị cấp dưới".to_owned() } else { kinds.join(", ") }
}

/// Builds the document from the figures, the narrative and the layout template.
pub fn build(figures: &Figures, narrative: &AnnualNarrative, layout: &LayoutSpec, options: &Options) -> AnnualDocument {
    let unit = &figures.unit;
    let short = if unit.short_name.trim().is_empty() { unit.name.clone() } else { unit.short_name.clone() };
    let year = figures.year;
    let mut words: HashMap<&'static str, String> = HashMap::new();
    words.insert("year", year.to_string());
    words.insert("next_year", (year + 1).to_string());
    words.insert("prev_year", (year - 1).to_string());
    words.insert("unit", short.clone());
    words.insert("scope", LayoutSpec::by_level(&layout.scope_word, unit.level).to_owned());
    words.insert("below", below_word(figures));
    let mut filler = Filler { figures, layout, words, preview: false };
    let (blocks, footnotes) = filler.body(narrative);
    filler.preview = true;
    let (preview, preview_footnotes) = filler.body(narrative);

    let recipients: Vec<String> = {
        let typed: Vec<String> = narrative
            .recipients
            .lines()
            .map(|l| l.trim().trim_start_matches('-').trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if typed.is_empty() { options.office.recipients.clone() } else { typed }
    };
    let office = &options.office;
    let place_date = format!("{short}, {}", format::document_date(options.date));
    AnnualDocument {
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        year,
        superior: office.superior.clone(),
        issuer: office.name.clone(),
        number: layout.number_line(office, unit.level),
        place_date,
        title: filler.words(&layout.title),
        blocks,
        recipients,
        on_behalf: if office.on_behalf.trim().is_empty() {
            layout.signature.on_behalf.clone()
        } else {
            office.on_behalf.clone()
        },
        signer_position: if !narrative.signer_position.trim().is_empty() {
            narrative.signer_position.trim().to_owned()
        } else if office.signer_position.trim().is_empty() {
            layout.signature.position.clone()
        } else {
            office.signer_position.clone()
        },
        signer_name: if narrative.signer_name.trim().is_empty() {
            layout.signature.name.clone()
        } else {
            narrative.signer_name.trim().to_owned()
        },
        footnotes,
        preview,
        preview_footnotes,
        office: office.clone(),
        layout: layout.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_template_parses() {
        let layout = LayoutSpec::load().expect("layout template");
        assert_eq!(layout.version, "annual-report-v3");
        assert_eq!(layout.font, "Times New Roman");
        assert!(layout.blocks.len() > 10);
        assert!(layout.superior.is_empty() && layout.recipients.is_empty(), "the heading is the office's");
    }

    fn office(symbol: &str) -> Office {
        let unit = Unit {
            id: 1,
            code: "91".into(),
            name: "Tỉnh An Giang".into(),
            short_name: "An Giang".into(),
            kind: "tỉnh".into(),
            level: Level::Province,
            parent_id: None,
            path: "1".into(),
            valid_from: NaiveDate::from_ymd_opt(2025, 7, 1),
            valid_to: None,
        };
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        Office { symbol: symbol.into(), ..crate::offices::default::derive(&unit, None, None, date) }
    }

    #[test]
    fn both_template_versions_number_with_the_offices_symbol() {
        let v2 = LayoutSpec::load_version("annual-report-v2").expect("v2");
        assert_eq!(v2.number_line(&office("BTGDVTU"), Level::Province), "Số      -BC/BTGDVTU");
        let v1 = LayoutSpec::load_version("annual-report-v1").expect("v1 still loads");
        assert_eq!(v1.version, "annual-report-v1");
        assert_eq!(v1.number_line(&office("BTGDVTU"), Level::Province), "Số      -BC/BTGDVTU");
        assert_eq!(v1.signature.on_behalf, "T/M BAN THƯỜNG VỤ");
        assert!(LayoutSpec::load_version("annual-report-v9").is_err());
    }

    #[test]
    fn changes_say_what_changed_with_the_decimals_asked() {
        let d = |text: &str| text.parse::<Decimal>().expect("decimal");
        assert_eq!(change_words(d("6.6899"), 2, "%", "cuối năm 2019"), "tăng 6,69% so với cuối năm 2019");
        assert_eq!(
            change_words(d("-1.30"), 1, " điểm phần trăm", "cuối năm 2019"),
            "giảm 1,3 điểm phần trăm so với cuối năm 2019"
        );
        assert_eq!(change_words(d("0.004"), 2, "%", "năm 2019"), "không thay đổi so với năm 2019");
    }

    #[test]
    fn v3_places_every_narrative_section_and_v2_still_loads() {
        let v3 = LayoutSpec::load_version("annual-report-v3").expect("v3");
        let sections: Vec<&str> = v3
            .blocks
            .iter()
            .filter_map(|b| match b {
                BlockSpec::Narrative { section, .. } => Some(section.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            sections,
            ["ket_qua", "uu_diem", "han_che", "nguyen_nhan", "bai_hoc", "phuong_huong", "nhiem_vu", "kien_nghi"]
        );
        let narrative =
            AnnualNarrative { uu_diem: "u".into(), bai_hoc: "b".into(), nhiem_vu: "n".into(), ..Default::default() };
        assert_eq!(
            (narrative.section("uu_diem"), narrative.section("bai_hoc"), narrative.section("nhiem_vu")),
            ("u", "b", "n")
        );
        assert_eq!(LayoutSpec::load_version("annual-report-v2").expect("v2").version, "annual-report-v2");
    }

    #[test]
    fn splits_placeholders() {
        assert_eq!(tokens("có {v:A@2|pad} cuộc"), vec![(false, "có "), (true, "v:A@2|pad"), (false, " cuộc")]);
        assert_eq!(tokens("{x}"), vec![(true, "x")]);
    }
}
