//! Data elements: the figures a report asks for (value type, flow or stock, breakdown by
//! organisation, the levels that report it). Pages under `/admin/catalogue/elements`, through
//! the shared flow of [`super::edit`]. A retired element keeps its row and its history.

use askama::Template;
use serde::Deserialize;
use sqlx::{PgExecutor, PgPool};

use super::edit::{Entity, Paths, paths};
use super::forms::{FieldErrors, checked, choice, new_or_existing_code, required, sort_order};
use super::store::{self, SectionRecord};
use super::{Aggregation, DataElement, ValueType};
use crate::units::Level;
use crate::web::Layout;

pub struct Elements;

pub struct ElementGroup {
    section: SectionRecord,
    elements: Vec<DataElement>,
}

#[derive(Template)]
#[template(path = "catalogue/elements.html")]
pub struct ElementListPage {
    layout: Layout,
    groups: Vec<ElementGroup>,
    total: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct ElementForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    section_code: String,
    #[serde(default)]
    unit_of_measure: String,
    #[serde(default)]
    value_type: String,
    #[serde(default)]
    aggregation: String,
    #[serde(default)]
    by_organisation: Option<String>,
    #[serde(default)]
    levels: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: i32,
}

impl ElementForm {
    pub fn has_level(&self, level: &Level) -> bool {
        self.levels.iter().any(|l| l.parse::<Level>().ok() == Some(*level))
    }

    pub fn is_by_organisation(&self) -> bool {
        checked(&self.by_organisation)
    }

    pub fn is_active(&self) -> bool {
        checked(&self.active)
    }
}

#[derive(Template)]
#[template(path = "catalogue/element_form.html")]
pub struct ElementFormPage {
    layout: Layout,
    editing: Option<DataElement>,
    form: ElementForm,
    errors: FieldErrors,
    sections: Vec<SectionRecord>,
    value_types: [(&'static str, &'static str); 4],
    aggregations: [(&'static str, &'static str); 2],
    /// Every level, hamlets included (elements reported by each thôn, tổ dân phố).
    levels: [Level; 4],
}

impl Entity for Elements {
    type Record = DataElement;
    type Form = ElementForm;
    /// The sections an element may belong to.
    type Context = Vec<SectionRecord>;
    type ListPage = ElementListPage;
    type FormPage = ElementFormPage;

    const PATHS: Paths = paths!("elements", "VD_SO_LIEU");
    const NOUN: &'static str = "số liệu";

    fn saved_message(before: &DataElement, after: &DataElement) -> &'static str {
        if before.active && !after.active {
            "Đã lưu: số liệu này thôi được dùng trong báo cáo mới (số liệu cũ vẫn giữ nguyên)."
        } else {
            "Đã lưu thay đổi."
        }
    }

    fn blank_form() -> ElementForm {
        ElementForm {
            value_type: ValueType::Integer.as_str().into(),
            aggregation: Aggregation::Sum.as_str().into(),
            levels: vec!["1".into(), "2".into(), "3".into()],
            active: Some("1".into()),
            ..ElementForm::default()
        }
    }

    fn to_form(e: &DataElement) -> ElementForm {
        ElementForm {
            code: e.code.clone(),
            name: e.name.clone(),
            section_code: e.section_code.clone(),
            unit_of_measure: e.unit_of_measure.clone(),
            value_type: e.value_type.as_str().into(),
            aggregation: e.aggregation.as_str().into(),
            by_organisation: e.by_organisation.then(|| "1".to_owned()),
            levels: e.levels.iter().map(|l| l.to_string()).collect(),
            description: e.description.clone(),
            sort_order: e.sort_order.to_string(),
            active: e.active.then(|| "1".to_owned()),
            version: e.version,
        }
    }

    fn identity(form: &mut ElementForm) -> (&mut String, &mut i32) {
        (&mut form.code, &mut form.version)
    }

    fn check(
        form: &ElementForm,
        code: Option<&str>,
        sections: &Vec<SectionRecord>,
        errors: &mut FieldErrors,
    ) -> DataElement {
        let code = new_or_existing_code(errors, code, &form.code, 48);
        let name = required(errors, "name", &form.name, "Nhập tên số liệu.");
        if !sections.iter().any(|s| s.code == form.section_code) {
            errors.add("section_code", "Chọn mục báo cáo chứa số liệu này.");
        }
        let unit_of_measure =
            required(errors, "unit_of_measure", &form.unit_of_measure, "Nhập đơn vị tính, ví dụ người, cuộc, đơn.");
        let value_type =
            choice(errors, "value_type", &form.value_type, &ValueType::ALL, ValueType::as_str, "Chọn kiểu giá trị.");
        let aggregation = choice(
            errors,
            "aggregation",
            &form.aggregation,
            &Aggregation::ALL,
            Aggregation::as_str,
            "Chọn cách tổng hợp: cộng dồn (luồng) hoặc số cuối kỳ (tồn).",
        );
        let levels: Vec<Level> = Level::ALL.into_iter().filter(|l| form.has_level(l)).collect();
        if levels.is_empty() {
            errors.add("levels", "Chọn ít nhất một cấp báo cáo số liệu này.");
        }
        DataElement {
            code,
            name,
            section_code: form.section_code.clone(),
            unit_of_measure,
            value_type,
            aggregation,
            by_organisation: form.is_by_organisation(),
            levels,
            description: form.description.trim().to_owned(),
            sort_order: sort_order(errors, &form.sort_order),
            active: form.is_active(),
            version: form.version,
        }
    }

    fn form_page(
        layout: Layout,
        editing: Option<DataElement>,
        form: ElementForm,
        errors: FieldErrors,
        sections: Vec<SectionRecord>,
    ) -> ElementFormPage {
        ElementFormPage {
            layout,
            editing,
            form,
            errors,
            sections,
            value_types: ValueType::CHOICES,
            aggregations: Aggregation::CHOICES,
            levels: Level::ALL,
        }
    }

    /// Every element, active or retired, under its section.
    async fn list_page(pool: &PgPool, layout: Layout) -> sqlx::Result<ElementListPage> {
        let sections = store::sections(pool).await?;
        let mut elements = store::elements(pool).await?;
        let total = elements.len();
        let groups = sections
            .into_iter()
            .map(|section| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut elements).into_iter().partition(|e| e.section_code == section.code);
                elements = rest;
                ElementGroup { section, elements: mine }
            })
            .collect();
        Ok(ElementListPage { layout, groups, total })
    }

    async fn context<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<Vec<SectionRecord>> {
        store::sections(db).await
    }
}
