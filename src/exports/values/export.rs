//! `GET /exports/values/{unit}/{year}.csv|.xlsx`: the stored values of a subtree for a year in
//! the template, as far as the caller may read them, each with the state of its report.

use axum::extract::{Query, State};
use axum::response::Response;

use super::{CSV_DELIMITER, UTF8_BOM, header};
use crate::auth::authz::{self, Action, Place};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::exports::download::{XLSX_TYPE, attachment, blocking};
use crate::exports::scope::{ExportAddress, UnitDateQuery, unit_for_year};
use crate::exports::xlsx::{DECIMAL_FORMAT, INTEGER_FORMAT, figure_format};
use crate::format;
use crate::replica::routing::ReadPool;
use crate::reports::store::{Status, YearValue, values_of_year};
use crate::web::AppState;

/// Whether a value of `unit` from a report in `status` goes into the caller's export.
///
/// Every row needs `ViewData` on its own unit (the report page's rule), so data-entry staff get
/// their own unit only and reviewers their own unit and the units directly below. Values of
/// reports not yet accepted go only to the people who work on those reports: the same rule
/// applied to the caller's data-entry and reviewer roles. Leaders and administrators, who read
/// drafts one report page at a time, export accepted figures only.
fn may_export(user: &CurrentUser, workflow: &CurrentUser, row: &YearValue) -> bool {
    let place = Some(Place { id: row.unit_id, parent_id: row.parent_id, path: &row.path });
    authz::can(user, Action::ViewData, place)
        && (row.status == Status::Accepted || authz::can(workflow, Action::ViewData, place))
}

/// GET /exports/values/{unit}/{year}.csv|.xlsx: the stored values of the subtree for the year
/// that the caller may read (see [`may_export`]), each with the state of its report. Another
/// extension, or a year outside 2000–2100, is a 404; a bad `unit_date` a 422.
pub async fn export_values(
    State(state): State<AppState>,
    read: ReadPool,
    user: CurrentUser,
    ExportAddress { code, year, ext }: ExportAddress,
    Query(query): Query<UnitDateQuery>,
) -> AppResult<Response> {
    if ext != "csv" && ext != "xlsx" {
        return Err(AppError::NotFound);
    }
    let unit = match unit_for_year(&state, &user, &code, year, &query.unit_date).await {
        Ok(unit) => unit,
        Err(response) => return Ok(response),
    };
    let rows = values_of_year(read.pool(), &unit.path, year, &Status::ALL).await?;
    let workflow = CurrentUser {
        roles: user.roles.iter().copied().filter(|r| matches!(r, Role::DataEntry | Role::Reviewer)).collect(),
        ..user.clone()
    };
    let rows: Vec<YearValue> = rows.into_iter().filter(|row| may_export(&user, &workflow, row)).collect();
    let name = format!("Số liệu nhập {year} - {}", unit.short_name);
    let bytes = blocking({
        let ext = ext.clone();
        move || if ext == "csv" { values_csv(&rows) } else { values_workbook(&rows).map_err(anyhow::Error::from) }
    })
    .await?;
    if ext == "csv" {
        Ok(attachment(bytes, "text/csv; charset=utf-8", &format!("{name}.csv")))
    } else {
        Ok(attachment(bytes, XLSX_TYPE, &format!("{name}.xlsx")))
    }
}

/// The CSV as Excel writes and reads it on a Vietnamese machine: a UTF-8 byte order mark (without
/// it Excel reads the letters as Windows-1258), `;` between fields (the list separator there;
/// the decimal mark is the comma) and CRLF line ends.
fn values_csv(rows: &[YearValue]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(CSV_DELIMITER)
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    writer.write_record(header())?;
    for row in rows {
        writer.write_record([
            row.unit_code.clone(),
            row.period(),
            row.element_code.clone(),
            row.organisation_code.clone(),
            format::format_number(row.value, 6),
            row.status.label().to_owned(),
        ])?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The workbook: one sheet `values`, the header in bold and frozen, values as numeric cells.
fn values_workbook(rows: &[YearValue]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("values")?;
    let bold = Format::new().set_bold();
    for (col, title) in header().iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    for (col, width) in [12.0, 10.0, 28.0, 12.0, 16.0, 12.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // Counts and money with thousands separators; figures with decimals with up to six.
    let integer = Format::new().set_num_format(INTEGER_FORMAT);
    let decimal = Format::new().set_num_format(DECIMAL_FORMAT);
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_string(r, 0, &row.unit_code)?;
        sheet.write_string(r, 1, row.period())?;
        sheet.write_string(r, 2, &row.element_code)?;
        sheet.write_string(r, 3, &row.organisation_code)?;
        // XLSX numbers are doubles: exact for the 15 significant digits a figure may have.
        let number = if figure_format(row.value) == INTEGER_FORMAT { &integer } else { &decimal };
        sheet.write_number_with_format(r, 4, crate::figures::to_f64(row.value), number)?;
        sheet.write_string(r, 5, row.status.label())?;
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::exports::values::{Cell, parse_upload};
    use crate::units::UnitId;

    #[test]
    fn the_csv_export_opens_in_excel() {
        let row = YearValue {
            unit_id: UnitId(1),
            parent_id: None,
            path: "1".to_owned(),
            unit_code: "30883".to_owned(),
            unit_name: "Xã Vĩnh Hòa Hưng Nam".to_owned(),
            year: 2023,
            quarter: 1,
            element_code: "DUONG_GTNT_KM".to_owned(),
            organisation_code: String::new(),
            value: Decimal::new(5195, 2),
            status: Status::Accepted,
        };
        let bytes = values_csv(&[row]).expect("csv");
        assert!(bytes.starts_with(UTF8_BOM), "a byte order mark");
        let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
        assert_eq!(
            text,
            "unit_code;period;element_code;organisation;value;status\r\n30883;2023-Q1;DUONG_GTNT_KM;;51,95;Đã duyệt\r\n"
        );
        // And reads back as it was written.
        let rows = parse_upload("x.csv", &bytes).expect("round trip");
        assert_eq!(rows[0].cells.get(4).map(Cell::text).as_deref(), Some("51,95"));
    }
}
