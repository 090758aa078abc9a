//! Hamlets under a commune (thôn, ấp, khu phố, tổ dân phố): not in the official GSO lists, so
//! administrators add them with a local code and validity dates. The commune office enters
//! their figures (a hamlet's report, for the elements reported at level 4), so that targets
//! per hamlet ("trên 90% tổ chức ở thôn hoàn thành tốt nhiệm vụ") are measured as "x/y thôn
//! đạt" on the commune's dashboard.
//!
//! A hamlet's code is the commune's code, a dash and its local code (`30883-01`): codes stay
//! unique across the country while the local code is what the commune writes.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;

use super::address::UnitAddress;
use super::code::UnitCode;
use super::queries::{self, Unit, UnitId};
use super::{Level, parse_date, today};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult, FieldErrors, ResultExt};
use crate::web::{AppState, Layout, render};

/// The kinds a hamlet may have, as the unit table spells them.
pub const KINDS: [&str; 4] = ["thôn", "ấp", "khu phố", "tổ dân phố"];

#[derive(Debug, Default, Deserialize)]
pub struct HamletForm {
    #[serde(default)]
    pub local_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub valid_from: String,
}

impl HamletForm {
    /// The empty form to add a hamlet: a thôn unless chosen otherwise.
    fn blank() -> HamletForm {
        HamletForm { kind: "thôn".into(), ..Default::default() }
    }
}

/// A hamlet as parsed from the form.
#[derive(Debug, PartialEq, Eq)]
pub struct NewHamlet {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub valid_from: NaiveDate,
}

impl HamletForm {
    /// Parses the form for `commune`; errors are keyed by field, in Vietnamese.
    pub fn parse(&self, commune: &Unit) -> Result<NewHamlet, FieldErrors> {
        let mut errors = FieldErrors::new();
        let local = self.local_code.trim();
        if local.is_empty() || local.len() > 10 || !local.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.set("local_code", "Mã thôn gồm 1–10 chữ cái không dấu hoặc chữ số, ví dụ 01 hoặc A3.".to_owned());
        }
        let name = self.name.trim();
        if name.chars().count() < 3 || name.chars().count() > 120 {
            errors.set("name", "Nhập tên đầy đủ, ví dụ Thôn Tân Lập hoặc Ấp Phước Hòa (3–120 ký tự).".to_owned());
        }
        if !KINDS.contains(&self.kind.as_str()) {
            errors.set("kind", "Chọn loại: thôn, ấp, khu phố hoặc tổ dân phố.".to_owned());
        }
        let valid_from = match self.valid_from.trim() {
            "" => Some(today()),
            text => parse_date(text),
        };
        let valid_from = match valid_from {
            Some(date) if commune.is_valid_on(date) => Some(date),
            Some(_) => {
                errors.set(
                    "valid_from",
                    format!(
                        "{} chỉ có hiệu lực {}: chọn một ngày trong khoảng đó.",
                        commune.name,
                        commune.validity_text()
                    ),
                );
                None
            }
            None => {
                errors.set("valid_from", "Ngày không hợp lệ: nhập theo dạng 01/07/2025.".to_owned());
                None
            }
        };
        match valid_from {
            Some(valid_from) if errors.is_empty() => Ok(NewHamlet {
                code: format!("{}-{}", commune.code, local.to_uppercase()),
                name: name.to_owned(),
                kind: self.kind.clone(),
                valid_from,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "units/hamlets.html")]
struct HamletsPage {
    layout: Layout,
    commune: Unit,
    hamlets: Vec<Unit>,
    may_edit: bool,
    form: HamletForm,
    errors: FieldErrors,
    kinds: [&'static str; 4],
    /// A refused end: the hamlet and the date as typed, shown again in its row.
    ending: Option<(UnitId, String)>,
}

impl HamletsPage {
    /// The end date typed for `hamlet` when it was refused.
    fn typed_end(&self, hamlet: &UnitId) -> Option<&str> {
        self.ending.as_ref().filter(|(id, _)| id == hamlet).map(|(_, typed)| typed.as_str())
    }
}

/// The commune a code means today (hamlets are added to communes of today).
async fn commune(pool: &PgPool, code: &UnitCode) -> AppResult<Unit> {
    let Some(unit) = queries::resolve(pool, code.as_str(), today()).await? else {
        return Err(super::code_not_found(pool, code.as_str(), today()).await);
    };
    if unit.level != Level::Commune {
        return Err(AppError::NotFound);
    }
    Ok(unit)
}

async fn page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    commune: Unit,
    form: HamletForm,
    errors: FieldErrors,
    ending: Option<(UnitId, String)>,
) -> AppResult<Response> {
    let may_edit = authz::can(user, Action::AdministerUnit, Some(Place::from(&commune)));
    let hamlets = queries::children(&state.pool, commune.id).await?;
    let page = HamletsPage { layout, commune, hamlets, may_edit, form, errors, kinds: KINDS, ending };
    let invalid = !page.errors.is_empty();
    crate::error::page_or_invalid(render(&page), invalid)
}

/// GET /units/{code}/hamlets: the commune's hamlets, and the form to add one.
pub async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    UnitAddress(code): UnitAddress,
) -> AppResult<Response> {
    let commune = commune(&state.pool, &code).await?;
    authz::authorize(&user, Action::ViewData, Some(Place::from(&commune)))?;
    page(&state, layout, &user, commune, HamletForm::blank(), FieldErrors::new(), None).await
}

/// POST /units/{code}/hamlets: adds a hamlet (administrators of the commune's subtree).
pub async fn create(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    UnitAddress(code): UnitAddress,
    Form(form): Form<HamletForm>,
) -> AppResult<Response> {
    let commune = commune(&state.pool, &code).await?;
    authz::authorize(&user, Action::AdministerUnit, Some(Place::from(&commune)))?;
    let hamlet = match form.parse(&commune) {
        Ok(hamlet) => hamlet,
        Err(errors) => return page(&state, layout, &user, commune, form, errors, None).await,
    };
    let mut errors = FieldErrors::new();
    let taken = format!("Mã {} đã có thôn khác dùng trong thời gian này.", hamlet.code);
    let inserted = insert(&state.pool, &commune, &hamlet, &user).await;
    match inserted.on_constraint_field("units_code_once_at_a_time", &mut errors, "local_code", taken)? {
        Some(_) => Ok(Redirect::to(&format!("/units/{}/hamlets", commune.code)).into_response()),
        None => page(&state, layout, &user, commune, form, errors, None).await,
    }
}

/// Inserts a hamlet under `commune` and audits it; returns its id.
pub async fn insert(pool: &PgPool, commune: &Unit, hamlet: &NewHamlet, user: &CurrentUser) -> sqlx::Result<UnitId> {
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO units (id, code, name, short_name, kind, level, parent_id, path, valid_from, valid_to, search_key)
         SELECT n.id, $1, $2, $3, $4, 4, c.id, c.path || n.id::text, $5, c.valid_to, $6
         FROM units c, (SELECT nextval('unit_local_ids')::integer AS id) n WHERE c.id = $7
         RETURNING id AS "id: UnitId""#,
        &hamlet.code,
        &hamlet.name,
        super::reference::short_name(&hamlet.name),
        &hamlet.kind,
        hamlet.valid_from,
        format!("{} {}", crate::text::fold(&hamlet.name), hamlet.code),
        commune.id as UnitId,
    )
    .fetch_one(&mut *tx)
    .await?;
    let entry = crate::audit::Entry {
        action: "create",
        entity: "unit",
        entity_id: id.to_string(),
        unit_id: Some(commune.id),
        before: None,
        after: Some(serde_json::json!({"code": hamlet.code, "name": hamlet.name, "kind": hamlet.kind,
                                        "valid_from": hamlet.valid_from})),
    };
    crate::audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// The hamlet in `/units/{code}/hamlets/{id}/end` (the commune is the [`UnitAddress`]).
#[derive(Debug, Deserialize)]
pub struct HamletPath {
    id: UnitId,
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    pub valid_to: String,
}

/// POST /units/{code}/hamlets/{id}/end: the hamlet ends (merged, dissolved) on a date; its
/// reports stay, as history.
pub async fn end(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    UnitAddress(code): UnitAddress,
    Path(HamletPath { id }): Path<HamletPath>,
    Form(form): Form<EndForm>,
) -> AppResult<Response> {
    let commune = commune(&state.pool, &code).await?;
    authz::authorize(&user, Action::AdministerUnit, Some(Place::from(&commune)))?;
    let hamlet =
        queries::by_id(&state.pool, id).await?.filter(|h| h.parent_id == Some(commune.id)).ok_or(AppError::NotFound)?;
    let valid_to = parse_date(&form.valid_to).filter(|d| hamlet.valid_from.is_none_or(|from| from <= *d));
    let mut errors = FieldErrors::new();
    // Its reports stay reachable: the hamlet lasts at least to its latest report's quarter end.
    let too_early = match valid_to {
        Some(date) => crate::reports::store::latest_quarter(&state.pool, hamlet.id)
            .await?
            .filter(|quarter| date < quarter.last_day()),
        None => None,
    };
    let ended = match (valid_to, too_early) {
        (_, Some(quarter)) => {
            let message = format!(
                "{} đã có báo cáo {}: ngày kết thúc phải từ {} trở đi.",
                hamlet.name,
                quarter.label(),
                crate::format::date(quarter.last_day())
            );
            errors.set("valid_to", message);
            None
        }
        (Some(valid_to), None) => {
            let taken = format!(
                "{} không kết thúc được vào ngày này: mã {} đã có thôn khác dùng sau đó.",
                hamlet.name, hamlet.code
            );
            end_on(&state.pool, &commune, &hamlet, valid_to, &user).await.on_constraint_field(
                "units_code_once_at_a_time",
                &mut errors,
                "valid_to",
                taken,
            )?
        }
        (None, _) => {
            let message = format!(
                "Ngày kết thúc của {} không hợp lệ: nhập dạng 31/12/2026, không trước ngày bắt đầu.",
                hamlet.name
            );
            errors.set("valid_to", message);
            None
        }
    };
    match ended {
        Some(()) => Ok(Redirect::to(&format!("/units/{}/hamlets", commune.code)).into_response()),
        None => {
            let ending = Some((hamlet.id, form.valid_to.trim().to_owned()));
            page(&state, layout, &user, commune, HamletForm::blank(), errors, ending).await
        }
    }
}

/// Ends `hamlet` on `valid_to` and audits it.
async fn end_on(
    pool: &PgPool,
    commune: &Unit,
    hamlet: &Unit,
    valid_to: NaiveDate,
    user: &CurrentUser,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!("UPDATE units SET valid_to = $2 WHERE id = $1", hamlet.id as UnitId, valid_to)
        .execute(&mut *tx)
        .await?;
    let entry = crate::audit::Entry {
        action: "update",
        entity: "unit",
        entity_id: hamlet.id.to_string(),
        unit_id: Some(commune.id),
        before: Some(serde_json::json!({"valid_to": hamlet.valid_to})),
        after: Some(serde_json::json!({"valid_to": valid_to})),
    };
    crate::audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::testing;

    fn commune() -> Unit {
        testing::unit(Level::Commune, "30883", "Xã Vĩnh Hòa")
            .id(7)
            .parent(1)
            .valid_from(NaiveDate::from_ymd_opt(2025, 7, 1))
            .build()
    }

    #[test]
    fn parses_a_hamlet_with_a_local_code() {
        let form = HamletForm {
            local_code: " a3 ".into(),
            name: "Thôn Tân Lập".into(),
            kind: "thôn".into(),
            valid_from: "01/07/2025".into(),
        };
        let hamlet = form.parse(&commune()).expect("valid");
        assert_eq!(hamlet.code, "30883-A3");
        assert_eq!(hamlet.valid_from, NaiveDate::from_ymd_opt(2025, 7, 1).expect("date"));
    }

    #[test]
    fn refuses_bad_fields_with_messages_next_to_them() {
        let form = HamletForm {
            local_code: "Thôn 1".into(),
            name: "T".into(),
            kind: "làng".into(),
            valid_from: "30/06/2025".into(),
        };
        let errors = form.parse(&commune()).expect_err("invalid");
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors.get("valid_from").is_some_and(|e| e.contains("01/07/2025 – nay")));
    }
}
