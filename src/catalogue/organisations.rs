//! Organisations (Mặt trận, Hội Nông dân, …): the bodies whose figures a data element may be
//! broken down by. Pages under `/admin/catalogue/organisations`, through the shared flow of
//! [`super::edit`].

use askama::Template;
use serde::Deserialize;
use sqlx::{PgExecutor, PgPool};

use super::edit::{Entity, Paths, paths};
use super::forms::{FieldErrors, checked, new_or_existing_code, required, sort_order};
use super::store::{self, OrganisationRecord};
use crate::web::Layout;

pub struct Organisations;

#[derive(Template)]
#[template(path = "catalogue/organisations.html")]
pub struct OrganisationListPage {
    layout: Layout,
    organisations: Vec<OrganisationRecord>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OrganisationForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: i32,
}

#[derive(Template)]
#[template(path = "catalogue/organisation_form.html")]
pub struct OrganisationFormPage {
    layout: Layout,
    editing: Option<OrganisationRecord>,
    form: OrganisationForm,
    errors: FieldErrors,
}

impl Entity for Organisations {
    type Record = OrganisationRecord;
    type Form = OrganisationForm;
    type Context = ();
    type ListPage = OrganisationListPage;
    type FormPage = OrganisationFormPage;

    const PATHS: Paths = paths!("organisations", "VD_TO_CHUC");
    const NOUN: &'static str = "tổ chức";

    fn blank_form() -> OrganisationForm {
        OrganisationForm { active: Some("1".into()), ..OrganisationForm::default() }
    }

    fn to_form(o: &OrganisationRecord) -> OrganisationForm {
        OrganisationForm {
            code: o.code.clone(),
            name: o.name.clone(),
            short_name: o.short_name.clone(),
            sort_order: o.sort_order.to_string(),
            active: o.active.then(|| "1".to_owned()),
            version: o.version,
        }
    }

    fn identity(form: &mut OrganisationForm) -> (&mut String, &mut i32) {
        (&mut form.code, &mut form.version)
    }

    fn check(form: &OrganisationForm, code: Option<&str>, _: &(), errors: &mut FieldErrors) -> OrganisationRecord {
        OrganisationRecord {
            code: new_or_existing_code(errors, code, &form.code, 32),
            name: required(errors, "name", &form.name, "Nhập tên đầy đủ của tổ chức."),
            short_name: required(errors, "short_name", &form.short_name, "Nhập tên ngắn (dùng trong bảng số liệu)."),
            sort_order: sort_order(errors, &form.sort_order),
            active: checked(&form.active),
            version: form.version,
        }
    }

    fn form_page(
        layout: Layout,
        editing: Option<OrganisationRecord>,
        form: OrganisationForm,
        errors: FieldErrors,
        _: (),
    ) -> OrganisationFormPage {
        OrganisationFormPage { layout, editing, form, errors }
    }

    async fn list_page(pool: &PgPool, layout: Layout) -> sqlx::Result<OrganisationListPage> {
        Ok(OrganisationListPage { layout, organisations: store::organisations(pool).await? })
    }

    async fn context<'c>(_: impl PgExecutor<'c>) -> sqlx::Result<()> {
        Ok(())
    }
}
