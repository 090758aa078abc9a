//! The annual workbook: indicators by sub-unit with the unit's targets and attainment (sheet
//! 1), and the raw values of every accepted report of the subtree (sheet 2). Numbers are
//! numeric cells with Excel number formats, never text. Figures are exact decimals up to the
//! cell writer, where they become the doubles XLSX stores (exact for the 15 significant digits
//! a typed figure may have).

use rust_decimal::Decimal;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use sqlx::PgPool;

use super::annual::Figures;
use crate::catalogue::Indicator;
use crate::dashboards::aggregate::{self, Totals};
use crate::directives::targets::Attainment;
use crate::figures::to_f64;
use crate::reports::store::{Status, YearValue};
use crate::units::Unit;

/// The values of the accepted reports of the subtree for the year, in tree order.
pub async fn raw_values(pool: &PgPool, unit: &Unit, year: i32) -> sqlx::Result<Vec<YearValue>> {
    crate::reports::store::values_of_year(pool, &unit.path, year, &[Status::Accepted]).await
}

/// Excel's number format for an indicator: a rate is stored as the ratio (0,03125) and shown
/// with Excel's percent format (3,13%), so that formulas on it are right; other values with
/// thousands separators. Excel shows the separators of the reader's own locale (1.234,5 on a
/// Vietnamese machine).
pub fn number_format(indicator: &Indicator) -> &'static str {
    match (indicator.is_percentage(), indicator.decimals) {
        (true, ..=0) => "0%",
        (true, 1) => "0.0%",
        (true, _) => "0.00%",
        (false, ..=0) => "#,##0",
        (false, 1) => "#,##0.0",
        _ => "#,##0.00",
    }
}

/// The number a cell holds for an indicator's value: the ratio for a rate (3,125% → 0,03125,
/// exact in decimals before it becomes the cell's double), the value itself otherwise.
pub fn cell_value(indicator: &Indicator, value: Decimal) -> f64 {
    let stored = if indicator.is_percentage() { value / Decimal::ONE_HUNDRED } else { value };
    to_f64(stored)
}

/// Excel's number format for a stored figure: whole numbers with thousands separators, others
/// with up to six decimals (the most a figure may have).
pub fn figure_format(value: Decimal) -> &'static str {
    if value.fract().is_zero() { INTEGER_FORMAT } else { DECIMAL_FORMAT }
}

/// Counts and money (in đồng): thousands separators.
pub const INTEGER_FORMAT: &str = "#,##0";
/// Figures with decimals (km, ha): thousands separators and up to six decimals.
pub const DECIMAL_FORMAT: &str = "#,##0.######";

fn fill(status: Attainment) -> Color {
    match status {
        Attainment::Met => Color::RGB(0xC6EFCE),
        Attainment::AtRisk => Color::RGB(0xFFEB9C),
        Attainment::Missed => Color::RGB(0xFFC7CE),
        Attainment::NoData | Attainment::Undefined => Color::RGB(0xE7E6E6),
    }
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
}

fn indicators_sheet(sheet: &mut Worksheet, figures: &Figures) -> Result<(), XlsxError> {
    let indicators = &figures.catalogue.indicators;
    sheet.set_name("Chỉ số theo đơn vị")?;
    let header = header_format();
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, "Mã đơn vị", &header)?;
    sheet.write_string_with_format(0, 1, "Đơn vị", &header)?;
    for (i, indicator) in indicators.iter().enumerate() {
        let col = 2 + i as u16;
        sheet.write_string_with_format(0, col, &indicator.name, &header)?;
        sheet.set_column_width(col, 16)?;
    }
    sheet.set_row_height(0, 75)?;
    sheet.set_column_width(0, 11)?;
    sheet.set_column_width(1, 38)?;
    sheet.set_freeze_panes(1, 2)?;

    let mut rows: Vec<(String, String, Totals)> = Vec::new();
    if let Some(own) = figures.parts.get(&figures.unit.path) {
        rows.push((
            figures.unit.code.clone(),
            format!("{} (báo cáo của chính đơn vị)", figures.unit.name),
            own.clone(),
        ));
    }
    for child in &figures.children {
        rows.push((
            child.code.clone(),
            child.name.clone(),
            figures.parts.get(&child.path).cloned().unwrap_or_default(),
        ));
    }
    for child in &figures.not_reported {
        rows.push((child.code.clone(), child.name.clone(), Totals::new()));
    }
    let formats: Vec<Format> = indicators.iter().map(|i| Format::new().set_num_format(number_format(i))).collect();
    let mut row = 1u32;
    let muted = Format::new().set_font_color(Color::RGB(0x595959)).set_align(FormatAlign::Right);
    for (code, name, totals) in &rows {
        sheet.write_string(row, 0, code)?;
        sheet.write_string(row, 1, name)?;
        for (i, indicator) in indicators.iter().enumerate() {
            let col = 2 + i as u16;
            // Zero, undefined and not reported are three different cells: a number, "0/0 (—)"
            // and "chưa báo cáo" (never an empty cell a formula would read as 0).
            match aggregate::reading(indicator, totals) {
                Some(aggregate::Reading { value: Some(value), .. }) => {
                    sheet.write_number_with_format(row, col, cell_value(indicator, value), &formats[i])?;
                }
                Some(r) => {
                    sheet.write_string_with_format(row, col, indicator.format(r.numerator, r.denominator), &muted)?;
                }
                None => {
                    sheet.write_string_with_format(row, col, crate::dashboards::NOT_REPORTED, &muted)?;
                }
            };
        }
        row += 1;
    }
    // Total, target, attainment.
    sheet.write_string_with_format(row, 0, &figures.unit.code, &bold)?;
    sheet.write_string_with_format(row, 1, format!("Tổng {}", figures.unit.name), &bold)?;
    let target_row = row + 1;
    let status_row = row + 2;
    let source_row = row + 3;
    sheet.write_string_with_format(target_row, 1, format!("Chỉ tiêu năm {}", figures.year), &bold)?;
    sheet.write_string_with_format(status_row, 1, "Đánh giá", &bold)?;
    sheet.write_string_with_format(source_row, 1, "Văn bản giao chỉ tiêu", &bold)?;
    for (i, indicator) in indicators.iter().enumerate() {
        let col = 2 + i as u16;
        let value = aggregate::indicator(indicator, &figures.totals).map(|v| v.value);
        let target = figures.this_year_targets.iter().find(|t| t.indicator_code == indicator.code);
        let status = target.map(|t| t.attainment(value));
        let total_format = match status {
            Some(s) => Format::new().set_num_format(number_format(indicator)).set_bold().set_background_color(fill(s)),
            None => Format::new().set_num_format(number_format(indicator)).set_bold(),
        };
        match value {
            Some(v) => sheet.write_number_with_format(row, col, cell_value(indicator, v), &total_format)?,
            None => sheet.write_blank(row, col, &total_format)?,
        };
        if let (Some(target), Some(status)) = (target, status) {
            let unit = if indicator.is_percentage() { "%" } else { indicator.unit.as_str() };
            sheet.write_string(target_row, col, target.wording(unit, indicator.decimals.clamp(0, 2) as usize))?;
            sheet.write_string_with_format(
                status_row,
                col,
                status.label(),
                &Format::new().set_background_color(fill(status)),
            )?;
            sheet.write_string(source_row, col, &target.directive_number)?;
        }
    }
    Ok(())
}

fn raw_sheet(sheet: &mut Worksheet, raw: &[YearValue], figures: &Figures) -> Result<(), XlsxError> {
    sheet.set_name("Số liệu gốc")?;
    let header = header_format();
    let titles = ["Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Tên chỉ tiêu", "Tổ chức", "Giá trị"];
    let widths = [11.0, 36.0, 11.0, 26.0, 44.0, 10.0, 18.0];
    for (col, (title, width)) in titles.iter().zip(widths).enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &header)?;
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let integer = Format::new().set_num_format(INTEGER_FORMAT);
    let decimal = Format::new().set_num_format(DECIMAL_FORMAT);
    for (i, value) in raw.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string(row, 0, &value.unit_code)?;
        sheet.write_string(row, 1, &value.unit_name)?;
        sheet.write_string(row, 2, value.period())?;
        sheet.write_string(row, 3, &value.element_code)?;
        let element = figures.catalogue.element(&value.element_code);
        sheet.write_string(row, 4, element.map(|e| e.name.as_str()).unwrap_or(""))?;
        sheet.write_string(row, 5, &value.organisation_code)?;
        let format = if figure_format(value.value) == INTEGER_FORMAT { &integer } else { &decimal };
        sheet.write_number_with_format(row, 6, to_f64(value.value), format)?;
    }
    Ok(())
}

/// The workbook bytes.
pub fn annual(figures: &Figures, raw: &[YearValue]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    indicators_sheet(workbook.add_worksheet(), figures)?;
    // Row by row to a temporary file, strings inline: a province's year (about 100 000 rows)
    // is written in a fraction of the time the shared-string table takes.
    raw_sheet(workbook.add_worksheet_with_constant_memory()?, raw, figures)?;
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(factor: i64, decimals: i16) -> Indicator {
        Indicator {
            code: "TL".to_owned(),
            name: "Tỷ lệ".to_owned(),
            numerator: "A".to_owned(),
            denominator: "B".to_owned(),
            factor: Decimal::from(factor),
            decimals,
            display: crate::catalogue::IndicatorDisplay::Ratio,
            unit: "xã".to_owned(),
            sort_order: 0,
            version: 1,
        }
    }

    #[test]
    fn rates_are_ratios_with_a_percent_format() {
        let rate = indicator(100, 2);
        let value = rate.compute(Decimal::ONE, Some(Decimal::from(32))).expect("1/32");
        assert_eq!(cell_value(&rate, value), 0.03125);
        assert_eq!(number_format(&rate), "0.00%");
        assert!(!number_format(&rate).contains('"') && !number_format(&rate).contains('\\'));
        assert_eq!(number_format(&indicator(100, 0)), "0%");
        let count = indicator(1, 0);
        assert_eq!(cell_value(&count, Decimal::from(5714)), 5714.0);
        assert_eq!(number_format(&count), "#,##0");
        assert_eq!(figure_format(Decimal::from(39_480_000_000i64)), "#,##0");
        assert_eq!(figure_format(Decimal::new(461, 1)), "#,##0.######");
    }
}
