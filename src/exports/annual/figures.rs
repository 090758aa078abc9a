//! The figures the report quotes, read from the roll-ups, and their wording (changes on the
//! year before, values against targets).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::LayoutSpec;
use crate::catalogue::{Catalogue, Indicator, ValueType};
use crate::dashboards::aggregate::{self, Basis, Totals};
use crate::dashboards::cache::View;
use crate::dashboards::history;
use crate::directives::targets::{self, Target};
use crate::format;
use crate::reports::Period;
use crate::units::{Level, Unit};

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
pub(super) fn history_note(composite: &history::Composite, unit: &Unit, year: i32) -> Option<String> {
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
                if flows_only && catalogue.element(code).is_some_and(|e| e.is_stock()) {
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

    pub(super) fn drill(&self, selector: &str) -> String {
        format!("/dashboards/{}/drill?period={}&{selector}", self.unit.code, self.year)
    }

    pub(super) fn element_text(&self, code: &str, value: Decimal, modifier: &str) -> String {
        let kind = self.catalogue.element(code).map(|e| e.value_type).unwrap_or(ValueType::Decimal);
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
    pub(super) fn totals_at(&self, level: Option<Level>) -> Option<&Totals> {
        match level {
            Some(level) => self.levels.get(&level),
            None => Some(&self.totals),
        }
    }

    /// "cuối năm 2019" for a stock, "năm 2019" for a flow: what a change is measured against.
    pub(super) fn before_label(&self, stock: bool) -> String {
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
pub(super) fn change_words(change: Decimal, decimals: usize, unit: &str, label: &str) -> String {
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
