//! Report sections: the headings a report's data elements are grouped under. Pages under
//! `/admin/catalogue/sections`, through the shared flow of [`super::edit`].

use askama::Template;
use serde::Deserialize;
use sqlx::{PgExecutor, PgPool};

use super::edit::{Entity, Paths, paths};
use super::forms::{FieldErrors, new_or_existing_code, required, sort_order};
use super::store::{self, SectionRecord};
use crate::web::Layout;

pub struct Sections;

#[derive(Template)]
#[template(path = "catalogue/sections.html")]
pub struct SectionListPage {
    layout: Layout,
    sections: Vec<SectionRecord>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SectionForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    version: i32,
}

#[derive(Template)]
#[template(path = "catalogue/section_form.html")]
pub struct SectionFormPage {
    layout: Layout,
    editing: Option<SectionRecord>,
    form: SectionForm,
    errors: FieldErrors,
}

impl Entity for Sections {
    type Record = SectionRecord;
    type Form = SectionForm;
    type Context = ();
    type ListPage = SectionListPage;
    type FormPage = SectionFormPage;

    const PATHS: Paths = paths!("sections", "VD_MUC");
    const NOUN: &'static str = "mục báo cáo";

    fn blank_form() -> SectionForm {
        SectionForm::default()
    }

    fn to_form(s: &SectionRecord) -> SectionForm {
        SectionForm {
            code: s.code.clone(),
            name: s.name.clone(),
            sort_order: s.sort_order.to_string(),
            version: s.version,
        }
    }

    fn identity(form: &mut SectionForm) -> (&mut String, &mut i32) {
        (&mut form.code, &mut form.version)
    }

    fn check(form: &SectionForm, code: Option<&str>, _: &(), errors: &mut FieldErrors) -> SectionRecord {
        SectionRecord {
            code: new_or_existing_code(errors, code, &form.code, 32),
            name: required(errors, "name", &form.name, "Nhập tên mục báo cáo."),
            sort_order: sort_order(errors, &form.sort_order),
            version: form.version,
        }
    }

    fn form_page(
        layout: Layout,
        editing: Option<SectionRecord>,
        form: SectionForm,
        errors: FieldErrors,
        _: (),
    ) -> SectionFormPage {
        SectionFormPage { layout, editing, form, errors }
    }

    async fn list_page(pool: &PgPool, layout: Layout) -> sqlx::Result<SectionListPage> {
        Ok(SectionListPage { layout, sections: store::sections(pool).await? })
    }

    async fn context<'c>(_: impl PgExecutor<'c>) -> sqlx::Result<()> {
        Ok(())
    }
}
