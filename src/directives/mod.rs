//! Directives (văn bản chỉ đạo): their tasks, targets, review milestones and attachments, and
//! the "implements" tree that links a lower level's programme to the upper directive.

pub mod comparator;
pub mod display;
pub mod number;
pub mod pages;
pub mod store;
pub mod targets;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use rust_embed::RustEmbed;
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};

pub use comparator::Comparator;
pub use number::{DirectiveKind, DirectiveNumber, Issuer};
pub use store::{DirectiveId, TaskId};

use crate::text::fold;
use crate::units::{Level, UnitId};

#[derive(RustEmbed)]
#[folder = "reference/demo/directives/"]
#[include = "*.json"]
struct DemoDirectives;

#[derive(Debug, Deserialize)]
struct UnitRef {
    code: String,
    as_of: NaiveDate,
}

#[derive(Debug, Deserialize)]
struct DemoTask {
    number: String,
    text: String,
    #[serde(default)]
    assigned_levels: Vec<Level>,
    #[serde(default)]
    assigned_units: Vec<UnitRef>,
    deadline: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
struct DemoTarget {
    indicator: String,
    comparator: Comparator,
    #[serde(deserialize_with = "crate::figures::deserialize")]
    value: rust_decimal::Decimal,
    #[serde(default, deserialize_with = "crate::figures::option::deserialize")]
    value_max: Option<rust_decimal::Decimal>,
    year: Option<i32>,
    deadline: Option<NaiveDate>,
    scope_level: Option<Level>,
    scope_unit: Option<UnitRef>,
    #[serde(default)]
    per_unit: bool,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct DemoMilestone {
    kind: store::MilestoneKind,
    due_on: NaiveDate,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct DemoDirective {
    number: String,
    kind: DirectiveKind,
    issuer: Issuer,
    issuing_body: String,
    issuing_unit: Option<UnitRef>,
    issued_on: NaiveDate,
    title: String,
    status: store::DirectiveStatus,
    replaced_by: Option<String>,
    #[serde(default)]
    implements: Vec<String>,
    #[serde(default)]
    number_is_assumed: bool,
    #[serde(default)]
    text: String,
    #[serde(default)]
    tasks: Vec<DemoTask>,
    #[serde(default)]
    targets: Vec<DemoTarget>,
    #[serde(default)]
    milestones: Vec<DemoMilestone>,
}

/// What a search over directives matches: number, title, text and issuing body, folded.
pub fn search_key(number: &str, title: &str, body: &str, issuing_body: &str) -> String {
    fold(&format!("{number} {title} {issuing_body} {body}"))
}

async fn unit_id(tx: &mut PgConnection, unit: &UnitRef, what: &str) -> anyhow::Result<UnitId> {
    crate::units::queries::resolve_in(&mut *tx, &unit.code, unit.as_of)
        .await?
        .map(|u| u.id)
        .with_context(|| format!("{what}: không có đơn vị {} ngày {}", unit.code, unit.as_of))
}

/// Loads the demo directives (the four seeds and the documents they cite).
pub async fn load_demo(tx: &mut PgConnection) -> anyhow::Result<()> {
    let mut documents: Vec<DemoDirective> = Vec::new();
    for name in DemoDirectives::iter() {
        let file = DemoDirectives::get(&name).with_context(|| format!("{name}"))?;
        let document: DemoDirective =
            serde_json::from_slice(&file.data).with_context(|| format!("reference/demo/directives/{name}"))?;
        documents.push(document);
    }
    documents.sort_by_key(|d| d.issued_on);
    let mut ids: Vec<(String, NaiveDate, DirectiveId)> = Vec::new();
    for d in &documents {
        let parsed: DirectiveNumber = d.number.parse().map_err(anyhow::Error::msg).with_context(|| d.number.clone())?;
        if parsed.kind != d.kind || parsed.issuer != d.issuer {
            bail!("{}: loại hoặc cơ quan ban hành không khớp số/ký hiệu", d.number);
        }
        let issuing_unit = match &d.issuing_unit {
            Some(unit) => Some(unit_id(tx, unit, &d.number).await?),
            None => None,
        };
        let number = parsed.to_string();
        let new = store::NewDirective {
            number: &number,
            kind: d.kind,
            issuer: d.issuer,
            issuing_body: &d.issuing_body,
            issuing_unit_id: issuing_unit,
            issued_on: d.issued_on,
            title: &d.title,
            body: &d.text,
            status: d.status,
            replaced_by_id: None,
            number_is_assumed: d.number_is_assumed,
        };
        let id = store::insert(&mut *tx, &new).await.with_context(|| d.number.clone())?;
        ids.push((d.number.clone(), d.issued_on, id));
        for (i, task) in d.tasks.iter().enumerate() {
            let mut unit_ids = Vec::with_capacity(task.assigned_units.len());
            for unit in &task.assigned_units {
                unit_ids.push(unit_id(tx, unit, &d.number).await?);
            }
            let new = store::NewTask {
                directive_id: id,
                number: &task.number,
                body: &task.text,
                assigned_levels: &task.assigned_levels,
                deadline: task.deadline,
                sort_order: Some(i as i32),
                unit_ids: &unit_ids,
            };
            store::insert_task(&mut *tx, &new).await?;
        }
        for target in &d.targets {
            let scope_unit = match &target.scope_unit {
                Some(unit) => Some(unit_id(tx, unit, &d.number).await?),
                None => None,
            };
            let new = store::NewTarget {
                directive_id: id,
                indicator_code: &target.indicator,
                comparator: target.comparator,
                value: target.value,
                value_max: target.value_max,
                year: target.year,
                deadline: target.deadline,
                scope_level: target.scope_level,
                scope_unit_id: scope_unit,
                per_unit: target.per_unit,
                description: &target.text,
            };
            store::insert_target(&mut *tx, &new)
                .await
                .with_context(|| format!("{}: chỉ tiêu {}", d.number, target.indicator))?;
        }
        for milestone in &d.milestones {
            store::insert_milestone(&mut *tx, id, milestone.kind, milestone.due_on, &milestone.text).await?;
        }
    }
    // Numbers repeat across decades (two 25-NQ/TW): a link goes to the latest document with
    // that number issued before the one that cites it.
    let find = |number: &str, before: NaiveDate| -> Option<DirectiveId> {
        let canonical = number.parse::<DirectiveNumber>().map(|n| n.to_string()).unwrap_or_else(|_| number.to_owned());
        ids.iter()
            .filter(|(n, on, _)| {
                n.parse::<DirectiveNumber>().map(|x| x.to_string()).unwrap_or_else(|_| n.clone()) == canonical
                    && *on <= before
            })
            .max_by_key(|(_, on, _)| *on)
            .map(|(_, _, id)| *id)
    };
    for d in &documents {
        let Some((_, _, child)) = ids.iter().find(|(n, on, _)| *n == d.number && *on == d.issued_on) else {
            continue;
        };
        for parent in &d.implements {
            let parent_id = find(parent, d.issued_on).with_context(|| format!("{}: không có {parent}", d.number))?;
            store::link(&mut *tx, *child, parent_id).await?;
        }
        if let Some(replacement) = &d.replaced_by {
            let replacement =
                find(replacement, NaiveDate::MAX).with_context(|| format!("{}: không có {replacement}", d.number))?;
            store::set_replaced_by(&mut *tx, *child, replacement).await?;
        }
    }
    Ok(())
}

/// A directive task that applies to a unit.
#[derive(Debug, Clone)]
pub struct AssignedTask {
    pub task_id: TaskId,
    pub directive_id: DirectiveId,
    pub directive_number: String,
    pub directive_title: String,
    pub number: String,
    pub body: String,
    pub deadline: Option<NaiveDate>,
}

/// The tasks assigned to `unit_id`: by level (under the issuing unit, or the whole country for
/// central documents) or by name. Only directives in force on `on` count.
pub async fn tasks_for_unit(pool: &PgPool, unit_id: UnitId, on: NaiveDate) -> sqlx::Result<Vec<AssignedTask>> {
    sqlx::query_as!(
        AssignedTask,
        r#"SELECT t.id AS "task_id: TaskId", d.id AS "directive_id: DirectiveId", d.number AS directive_number,
                d.title AS directive_title, t.number, t.body, t.deadline
         FROM directive_tasks t
         JOIN directives d ON d.id = t.directive_id
         JOIN units u ON u.id = $1
         LEFT JOIN units issuer ON issuer.id = d.issuing_unit_id
         WHERE d.issued_on <= $2 AND d.status = 'hieu_luc'
           AND (EXISTS (SELECT 1 FROM directive_task_units tu WHERE tu.task_id = t.id AND tu.unit_id = u.id)
                OR (u.level = ANY(t.assigned_levels)
                    AND (d.issuing_unit_id IS NULL OR u.path <@ issuer.path)))
         ORDER BY d.issued_on, d.id, t.sort_order"#,
        unit_id as UnitId,
        on,
    )
    .fetch_all(pool)
    .await
}
