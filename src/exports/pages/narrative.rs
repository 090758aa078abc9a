//! `POST /exports/annual/{unit}/{year}/narrative`: the office's own words for the year saved
//! over the version the user opened. A field over [`MAX_SECTION_CHARS`] (422) or a save made
//! meanwhile by someone else (409) shows the page again with every typed character kept.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::annual::{AnnualPage, load_document};
use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::exports::annual::AnnualNarrative;
use crate::exports::scope::{ExportAddress, UnitDateQuery, parse_unit_date, report_date, unit_query};
use crate::exports::store;
use crate::format;
use crate::replica::routing::ReadPool;
use crate::reports::Period;
use crate::units::{self, Unit};
use crate::web::{AppState, Flash, Layout, render};

/// May edit the annual narrative: the unit's own office, or an administrator of its subtree of
/// today (a unit before the reform is history: its narrative is read-only to its successors).
pub fn may_edit(user: &CurrentUser, unit: &Unit) -> bool {
    let place = Some(Place::from(unit));
    authz::can(user, Action::EnterReport, place) || authz::can(user, Action::AdministerUnit, place)
}

/// The narrative form as posted: the version opened, the texts, the signature and recipients.
#[derive(Debug, Default, Deserialize)]
pub struct NarrativeForm {
    #[serde(default)]
    version: String,
    /// Set only by the explicit "replace the other save" button of the conflict page: the
    /// version the user chose to overwrite.
    #[serde(default)]
    replace: String,
    #[serde(default)]
    ket_qua: String,
    #[serde(default)]
    han_che: String,
    #[serde(default)]
    nguyen_nhan: String,
    #[serde(default)]
    phuong_huong: String,
    #[serde(default)]
    kien_nghi: String,
    #[serde(default)]
    uu_diem: String,
    #[serde(default)]
    bai_hoc: String,
    #[serde(default)]
    nhiem_vu: String,
    #[serde(default)]
    signer_position: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    recipients: String,
}

/// Longest text of one narrative field, in characters.
pub const MAX_SECTION_CHARS: usize = 50_000;

/// The narrative's fields with their labels on the form.
const NARRATIVE_FIELDS: [(&str, &str); 11] = [
    ("ket_qua", "Tình hình chung, kết quả nổi bật"),
    ("uu_diem", "Ưu điểm"),
    ("han_che", "Hạn chế"),
    ("nguyen_nhan", "Nguyên nhân"),
    ("bai_hoc", "Bài học kinh nghiệm"),
    ("phuong_huong", "Phương hướng"),
    ("nhiem_vu", "Nhiệm vụ, giải pháp"),
    ("kien_nghi", "Kiến nghị, đề xuất"),
    ("signer_position", "Chức vụ người ký"),
    ("signer_name", "Họ và tên người ký"),
    ("recipients", "Nơi nhận"),
];

fn narrative_field<'a>(narrative: &'a AnnualNarrative, name: &str) -> &'a str {
    match name {
        "signer_position" => &narrative.signer_position,
        "signer_name" => &narrative.signer_name,
        "recipients" => &narrative.recipients,
        section => narrative.section(section),
    }
}

/// Why a narrative save was not stored; the form is shown again with the typed text.
#[derive(Debug, Default)]
pub struct NarrativeProblem {
    /// A message above the form.
    pub message: String,
    /// Field name → message shown next to it.
    pub fields: Vec<(&'static str, String)>,
    /// On a conflict: the version now stored (the "replace" button names it) and the stored
    /// text of each field that differs from the typed one, as (label, text).
    pub conflict: Option<(i32, Vec<(&'static str, String)>)>,
}

/// Shows the annual page again with the typed narrative and what went wrong.
#[allow(clippy::too_many_arguments)]
async fn narrative_again(
    state: &AppState,
    layout: Layout,
    unit: Unit,
    year: i32,
    unit_date: Option<NaiveDate>,
    typed: AnnualNarrative,
    problem: NarrativeProblem,
    status: StatusCode,
) -> AppResult<Response> {
    let read = ReadPool::primary_only(state.pool.clone());
    let (document, _, _) = load_document(state, &read, unit, year, units::today(), report_date(year, None)).await?;
    let default_recipients = document.office.recipients.join("\n");
    let default_position = document.office.signer_position.clone();
    let page = AnnualPage {
        layout,
        date_input: units::today().format("%Y-%m-%d").to_string(),
        date_query: unit_query(unit_date),
        unit_query: unit_query(unit_date),
        unit_date: unit_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        doc: document,
        narrative: typed,
        can_edit: true,
        default_recipients,
        default_position,
        problem: Some(problem),
    };
    crate::error::page_with_status(status, render(&page))
}

/// POST /exports/annual/{unit}/{year}/narrative. Saves only over the version the user opened
/// (or the one named by the explicit "replace" button); otherwise, and when a field is too
/// long, the form comes back with every typed character kept.
pub async fn save_narrative(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    ExportAddress { code, year, ext }: ExportAddress,
    Query(query): Query<UnitDateQuery>,
    Form(form): Form<NarrativeForm>,
) -> AppResult<Response> {
    if !ext.is_empty() {
        return Err(AppError::NotFound);
    }
    let unit_date = match parse_unit_date(&query.unit_date) {
        Ok(date) => date,
        Err(bad) => return Ok(bad.into_response()),
    };
    let on = unit_date.unwrap_or_else(|| Period::Year { year }.end_date());
    let unit = units::queries::resolve(&state.pool, code.as_str(), on).await?.ok_or(AppError::NotFound)?;
    if !may_edit(&user, &unit) {
        return Err(AppError::Forbidden);
    }
    let back = format!("/exports/annual/{}/{year}{}", unit.code, unit_query(unit_date));
    let opened: i32 = form.version.trim().parse().unwrap_or(0);
    let expected: i32 = form.replace.trim().parse().unwrap_or(opened);
    // Word's control characters become the breaks they meant (see `text::from_word`).
    let clean = |text: &str| -> String { crate::text::from_word(text).trim().to_owned() };
    let mut typed = AnnualNarrative {
        ket_qua: clean(&form.ket_qua),
        han_che: clean(&form.han_che),
        nguyen_nhan: clean(&form.nguyen_nhan),
        phuong_huong: clean(&form.phuong_huong),
        kien_nghi: clean(&form.kien_nghi),
        uu_diem: clean(&form.uu_diem),
        bai_hoc: clean(&form.bai_hoc),
        nhiem_vu: clean(&form.nhiem_vu),
        signer_position: clean(&form.signer_position),
        signer_name: clean(&form.signer_name),
        recipients: clean(&form.recipients),
        version: opened,
    };
    let too_long: Vec<(&'static str, String)> = NARRATIVE_FIELDS
        .iter()
        .filter_map(|(name, _)| {
            let length = narrative_field(&typed, name).chars().count();
            (length > MAX_SECTION_CHARS).then(|| {
                (
                    *name,
                    format!(
                        "Phần này dài {} ký tự, vượt quá giới hạn {} ký tự. Hãy rút gọn rồi lưu lại; chưa có gì được lưu.",
                        format::integer(i64::try_from(length).unwrap_or(i64::MAX)),
                        format::integer(MAX_SECTION_CHARS as i64)
                    ),
                )
            })
        })
        .collect();
    if !too_long.is_empty() {
        let problem = NarrativeProblem {
            message: "Chưa lưu: có phần dài quá giới hạn (xem thông báo cạnh ô). Nội dung bạn đã gõ vẫn còn dưới đây."
                .to_owned(),
            fields: too_long,
            conflict: None,
        };
        return narrative_again(
            &state,
            layout,
            unit,
            year,
            unit_date,
            typed,
            problem,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }

    let mut tx = state.pool.begin().await?;
    // The first save inserts only if nobody did meanwhile: a concurrent first save waits on the
    // unique key and then inserts nothing, so it gets the conflict below.
    let inserted = expected == 0 && store::insert_first(&mut tx, unit.id, year, &typed, user.id).await?;
    let existing = if inserted { None } else { store::lock(&mut tx, unit.id, year).await? };
    let updated = match &existing {
        Some(current) if current.version == expected => {
            store::update(&mut tx, unit.id, year, &typed, user.id, expected).await?
        }
        _ => false,
    };
    if !inserted && !updated {
        tx.rollback().await.ok();
        let current = existing.unwrap_or_default();
        let differing: Vec<(&'static str, String)> = NARRATIVE_FIELDS
            .iter()
            .filter(|(name, _)| narrative_field(&current, name) != narrative_field(&typed, name))
            .map(|(name, label)| (*label, narrative_field(&current, name).to_owned()))
            .collect();
        let problem = NarrativeProblem {
            message: format!(
                "Chưa lưu: nội dung báo cáo năm đã được người khác lưu trong lúc bạn soạn (nay là phiên bản {}). \
                 Nội dung bạn đã gõ vẫn còn trong các ô dưới đây; phần khác với bản vừa lưu được liệt kê ngay sau đây \
                 để bạn đối chiếu.",
                current.version
            ),
            fields: Vec::new(),
            conflict: Some((current.version, differing)),
        };
        return narrative_again(&state, layout, unit, year, unit_date, typed, problem, StatusCode::CONFLICT).await;
    }
    typed.version = expected + 1;
    audit::record(
        &mut *tx,
        &user.actor(),
        Entry {
            action: if inserted { "create" } else { "update" },
            entity: "annual_narrative",
            entity_id: format!("{}/{year}", unit.code),
            unit_id: Some(unit.id),
            before: existing.as_ref().and_then(|n| serde_json::to_value(n).ok()),
            after: serde_json::to_value(&typed).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu nội dung báo cáo tổng kết năm.").redirect(&back))
}
