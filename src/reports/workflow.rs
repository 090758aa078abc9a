//! The report workflow: the statuses a report goes through (nháp → đã gửi → trả lại → đã
//! duyệt), the moves that are legal between them, and the one way a draft is saved and
//! audited, whether it comes from the form, the JSON API or an import of values.
//!
//! ```text
//!   Nháp ──gửi──▶ Đã gửi ──duyệt──▶ Đã duyệt
//!                  │  ▲                 │
//!            trả lại  gửi          mở lại
//!                  ▼  │                 │
//!                 Trả lại ◀─────────────┘
//! ```
//!
//! Handlers call these functions and draw what they return; the SQL is in [`super::store`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgConnection;

use super::store::{self, BatchError, Draft, Report, Save, SaveError};
use super::{Period, Quarter};
use crate::audit::{self, Actor, Entry};
use crate::auth::CurrentUser;
use crate::auth::UserId;
use crate::dashboards::cache::Change;
use crate::units::Unit;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// Where a report stands. Stored as its word (`reports.status`, `report_events.from_status`
    /// and `to_status`, the columns' CHECK) and read at that boundary (`status AS "status:
    /// Status"`): a word outside the four is a decoding error, never a draft.
    pub enum Status: "trạng thái báo cáo" {
        Draft = "nhap" => "Nháp",
        Submitted = "da_gui" => "Đã gửi",
        Returned = "tra_lai" => "Trả lại",
        Accepted = "da_duyet" => "Đã duyệt",
    }
}

impl Status {
    /// The CSS class of the state badge.
    pub fn css(self) -> &'static str {
        match self {
            Status::Draft => "state-nhap",
            Status::Submitted => "state-da-gui",
            Status::Returned => "state-tra-lai",
            Status::Accepted => "state-da-duyet",
        }
    }

    /// The unit's staff may change the report (save a draft, submit it).
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }
}

/// What moves a report from one status to another: the unit submits, the level above
/// accepts, returns or reopens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Submit,
    Accept,
    Return,
    Reopen,
}

impl Move {
    /// A reviewer's action as the form posts it (`accept`, `return`, `reopen`).
    pub fn review(action: &str) -> Option<Move> {
        match action {
            "accept" => Some(Move::Accept),
            "return" => Some(Move::Return),
            "reopen" => Some(Move::Reopen),
            _ => None,
        }
    }

    /// The audit log's action for this move.
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Submit => "submit",
            Move::Accept => "accept",
            Move::Return => "return",
            Move::Reopen => "reopen",
        }
    }

    /// The legal transitions: where this move takes a report in status `from`, or `None`
    /// when it does not apply there.
    pub fn target(self, from: Status) -> Option<Status> {
        match (self, from) {
            (Move::Submit, Status::Draft | Status::Returned) => Some(Status::Submitted),
            (Move::Accept, Status::Submitted) => Some(Status::Accepted),
            (Move::Return, Status::Submitted) => Some(Status::Returned),
            (Move::Reopen, Status::Accepted) => Some(Status::Returned),
            _ => None,
        }
    }

    /// This move on a report in status `from`, if it is legal there.
    pub fn check(self, from: Status) -> Option<Transition> {
        self.target(from).map(|to| Transition { step: self, to })
    }
}

/// A move checked against the report's status: only [`Move::check`] and [`check_review`]
/// make one, so [`make_move`] never records an illegal transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    step: Move,
    to: Status,
}

impl Transition {
    pub fn step(self) -> Move {
        self.step
    }

    /// Where the move takes the report.
    pub fn to(self) -> Status {
        self.to
    }
}

/// What a reviewer wrote with a move: a general remark, and remarks on figures by field key.
#[derive(Debug, Clone, Default)]
pub struct Remarks {
    pub general: String,
    pub fields: BTreeMap<String, String>,
}

/// Checks a reviewer's action on a report in status `from`: the move and where it leads, or
/// why it is refused, in words for the page. Returning needs a remark (general or on a
/// figure), reopening an accepted report a general one.
pub fn check_review(action: &str, from: Status, remarks: &Remarks) -> Result<Transition, &'static str> {
    let not_here = "Thao tác này không áp dụng cho báo cáo ở trạng thái hiện tại.";
    let step = Move::review(action).ok_or(not_here)?;
    let transition = step.check(from).ok_or(not_here)?;
    match step {
        Move::Return if remarks.general.is_empty() && remarks.fields.is_empty() => {
            Err("Ghi ý kiến khi trả lại: chung hoặc cho từng ô số liệu.")
        }
        Move::Reopen if remarks.general.is_empty() => Err("Ghi lý do mở lại báo cáo đã duyệt."),
        _ => Ok(transition),
    }
}

/// Who saves or moves reports, as the reports (last editor, saved versions) and the audit log
/// record it.
#[derive(Debug, Clone)]
pub struct Author {
    /// The account, written as the reports' last editor; `None` from the command line.
    pub user_id: Option<UserId>,
    /// The name kept with each saved version and workflow event.
    pub name: String,
    /// The audit log's actor.
    pub actor: Actor,
}

impl Author {
    /// A signed-in user (on the form, through the API or uploading a file).
    pub fn user(user: &CurrentUser) -> Self {
        Author { user_id: Some(user.id), name: user.username.clone(), actor: user.actor() }
    }

    /// The operator at the command line: no account; the audit log names the command and file.
    pub fn command_line(file_name: &str) -> Self {
        Author {
            user_id: None,
            name: "cli".to_owned(),
            actor: Actor::system("cli").with_client(&format!("danvan import {file_name}")),
        }
    }
}

/// How a report is named in the audit log, whatever wrote the entry: unit code and quarter
/// (`30883/2017-Q1`), which stays readable after the database is restored elsewhere.
pub fn audit_id(unit: &Unit, period: Period) -> String {
    format!("{}/{}", unit.code, period.code())
}

/// Where a draft comes from, which the audit entry tells.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// The report form: the version the person opened, and the version they chose to replace
    /// ("giữ của tôi" on a conflict page), if any.
    Form { opened: i32, overwrote: Option<i32> },
    /// `PUT /api/v1/reports/…`.
    Api,
    /// An import of values; `stored` is what the report held before, for the entry's `before`.
    Import { stored: &'a BTreeMap<String, Decimal> },
}

/// One draft to save.
#[derive(Debug, Clone, Copy)]
pub struct DraftSave<'a> {
    pub unit: &'a Unit,
    pub quarter: Quarter,
    /// The version the caller read, 0 for a report not created yet.
    pub expected_version: i32,
    pub draft: &'a Draft,
    pub origin: Origin<'a>,
}

/// The audit entry of a saved draft.
fn save_entry<'a>(save: &DraftSave<'a>, report: &Report) -> Entry<'a> {
    let values = crate::figures::json_map(&save.draft.values);
    let (action, before, after) = match save.origin {
        Origin::Form { opened, overwrote } => {
            let mut after = json!({"values": values, "version": report.version});
            if let (Some(replaced), Some(map)) = (overwrote.filter(|v| *v != opened), after.as_object_mut()) {
                // Kept for the record: this save replaced another person's, by choice.
                map.insert("overwrote_version".to_owned(), json!(replaced));
                map.insert("opened_version".to_owned(), json!(opened));
            }
            ("save", None, after)
        }
        Origin::Api => ("save", None, json!({"values": values, "version": report.version, "via": "api"})),
        Origin::Import { stored } => {
            let before: BTreeMap<&String, Option<crate::figures::Json>> =
                save.draft.values.keys().map(|key| (key, stored.get(key).copied().map(crate::figures::Json))).collect();
            ("import", serde_json::to_value(&before).ok(), values)
        }
    };
    Entry {
        action,
        entity: "report",
        entity_id: audit_id(save.unit, Period::from(save.quarter)),
        unit_id: Some(save.unit.id),
        before,
        after: Some(after),
    }
}

/// A saved draft: the report at its new version and every figure it now holds (read by the
/// save for the version's snapshot, so callers need not read them again).
pub type Saved = store::Saved;

/// Saves drafts and audits each, in the caller's transaction: the one way a draft is written,
/// for the form, the API and the import. [`store::save_many_with_values`] checks each report
/// (stale version, submitted or accepted) and writes them all in a fixed number of statements;
/// the audit entries go in one more. On a refusal nothing is audited: roll the transaction
/// back. Returns the saved drafts in the order of `saves`.
pub async fn save_drafts(
    tx: &mut PgConnection,
    saves: &[DraftSave<'_>],
    author: &Author,
) -> Result<Vec<Saved>, BatchError> {
    let (saved, entries) = write_drafts(&mut *tx, saves, author).await?;
    audit::record_many(&mut *tx, &author.actor, &entries).await?;
    Ok(saved)
}

/// The drafts of [`save_drafts`] written, their audit entries returned for the caller to write
/// (with a submission's, for [`save_and_submit`]).
async fn write_drafts<'a>(
    tx: &mut PgConnection,
    saves: &[DraftSave<'a>],
    author: &Author,
) -> Result<(Vec<Saved>, Vec<Entry<'a>>), BatchError> {
    let batch: Vec<Save<'_>> = saves
        .iter()
        .map(|save| Save {
            unit_id: save.unit.id,
            quarter: save.quarter,
            expected_version: save.expected_version,
            draft: save.draft,
        })
        .collect();
    let saved = store::save_many_with_values(&mut *tx, &batch, (author.user_id, &author.name)).await?;
    let entries = saves.iter().zip(&saved).map(|(save, saved)| save_entry(save, &saved.report)).collect();
    Ok((saved, entries))
}

/// [`save_drafts`] of one draft.
pub async fn save_draft(tx: &mut PgConnection, save: DraftSave<'_>, author: &Author) -> Result<Saved, SaveError> {
    let mut saved = save_drafts(tx, std::slice::from_ref(&save), author).await.map_err(|failure| failure.error)?;
    saved.pop().ok_or(SaveError::Database(sqlx::Error::RowNotFound))
}

/// [`save_draft`] of a signed-in user's draft and, when `submit` holds, its submission in the
/// same transaction: the report form's "Gửi báo cáo". A saved draft is always one that may be
/// submitted (a save refuses any other), so `submit` is the caller's own condition (the figures
/// pass their rules). The save's and the submission's audit entries are written in one statement,
/// in that order: a submission is a dozen statements in one transaction, and each round trip
/// waits its turn for a core at quarter-end (issue 16: submissions p99 < 30 ms). Returns the
/// saved draft and, when it was submitted, what the move changed for dashboards (apply it once
/// the transaction commits).
pub async fn save_and_submit(
    tx: &mut PgConnection,
    save: DraftSave<'_>,
    user: &CurrentUser,
    submit: bool,
) -> Result<(Saved, Option<Change>), SaveError> {
    let author = Author::user(user);
    let (mut saved, mut entries) =
        write_drafts(&mut *tx, std::slice::from_ref(&save), &author).await.map_err(|failure| failure.error)?;
    let saved = saved.pop().ok_or(SaveError::Database(sqlx::Error::RowNotFound))?;
    let mut change = None;
    if submit && let Some(submission) = Move::Submit.check(saved.report.status) {
        let no_remarks = Remarks::default();
        let (moved, entry) =
            record_move(&mut *tx, (save.unit, save.quarter), &saved.report, submission, &no_remarks, user).await?;
        entries.push(entry);
        change = Some(moved);
    }
    audit::record_many(&mut *tx, &author.actor, &entries).await?;
    Ok((saved, change))
}

/// Makes a move checked by [`Move::check`] or [`check_review`]: records the
/// transition and its audit entry in the caller's transaction. Returns what the move changed
/// for dashboards: apply it to the cache once the transaction commits. Only a signed-in
/// user moves a report (imports and the command line save drafts, nothing more).
pub async fn make_move(
    tx: &mut PgConnection,
    (unit, quarter): (&Unit, Quarter),
    report: &Report,
    transition: Transition,
    remarks: &Remarks,
    user: &CurrentUser,
) -> sqlx::Result<Change> {
    let (change, entry) = record_move(&mut *tx, (unit, quarter), report, transition, remarks, user).await?;
    audit::record(&mut *tx, &user.actor(), entry).await?;
    Ok(change)
}

/// The transition of [`make_move`], recorded; its audit entry returned for the caller to write.
async fn record_move(
    tx: &mut PgConnection,
    (unit, quarter): (&Unit, Quarter),
    report: &Report,
    transition: Transition,
    remarks: &Remarks,
    user: &CurrentUser,
) -> sqlx::Result<(Change, Entry<'static>)> {
    let Transition { step, to } = transition;
    let change =
        store::transition(&mut *tx, report, to, (user.id, &user.username), &remarks.general, &remarks.fields).await?;
    let (before, after) = match step {
        Move::Submit => (json!({"status": report.status}), json!({"status": to.as_str()})),
        Move::Accept | Move::Return | Move::Reopen => (
            json!({"status": report.status, "version": report.version}),
            json!({"status": to.as_str(), "remarks": remarks.general, "field_remarks": remarks.fields}),
        ),
    };
    let entry = Entry {
        action: step.as_str(),
        entity: "report",
        entity_id: audit_id(unit, quarter.into()),
        unit_id: Some(unit.id),
        before: Some(before),
        after: Some(after),
    };
    Ok((change, entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transition_table() {
        use Move::*;
        use Status::*;
        let all = [Draft, Submitted, Returned, Accepted];
        let legal: Vec<(Move, Status, Status)> = [Submit, Accept, Return, Reopen]
            .into_iter()
            .flat_map(|m| all.into_iter().filter_map(move |s| m.target(s).map(|to| (m, s, to))))
            .collect();
        assert_eq!(
            legal,
            vec![
                (Submit, Draft, Submitted),
                (Submit, Returned, Submitted),
                (Accept, Submitted, Accepted),
                (Return, Submitted, Returned),
                (Reopen, Accepted, Returned),
            ]
        );
    }

    #[test]
    fn a_review_needs_its_remarks_and_a_status_it_applies_to() {
        let none = Remarks::default();
        let general = Remarks { general: "Sai số".to_owned(), ..Remarks::default() };
        let on_a_field = Remarks { fields: [("GS_TONG".to_owned(), "?".to_owned())].into(), ..Remarks::default() };
        fn to(result: Result<Transition, &'static str>) -> Result<Status, &'static str> {
            result.map(Transition::to)
        }
        assert_eq!(to(check_review("accept", Status::Submitted, &none)), Ok(Status::Accepted));
        assert!(check_review("return", Status::Submitted, &none).is_err_and(|m| m.starts_with("Ghi ý kiến")));
        assert_eq!(to(check_review("return", Status::Submitted, &on_a_field)), Ok(Status::Returned));
        assert!(check_review("reopen", Status::Accepted, &on_a_field).is_err_and(|m| m.starts_with("Ghi lý do")));
        assert_eq!(to(check_review("reopen", Status::Accepted, &general)), Ok(Status::Returned));
        assert!(check_review("accept", Status::Draft, &general).is_err_and(|m| m.contains("không áp dụng")));
        assert!(check_review("submit", Status::Draft, &general).is_err_and(|m| m.contains("không áp dụng")));
        assert!(check_review("return", Status::Accepted, &general).is_err_and(|m| m.contains("không áp dụng")));
    }
}
