//! What changed between two versions of a report, in words: shown when a save or a review
//! is refused because someone else saved since the person opened the report (the form's
//! conflict page and the API's 409 say the same).

use rust_decimal::Decimal;

use super::entry;
use super::store::{Draft, Snapshot};
use crate::catalogue::Catalogue;
use crate::format;

/// A field key in words: the element's name, and the organisation's code for a breakdown.
fn key_label(catalogue: &Catalogue, key: &str) -> String {
    let (code, org) = entry::split_key(key);
    let name = catalogue.element(code).map(|e| e.name.clone()).unwrap_or_else(|| code.to_owned());
    if org.is_empty() { name } else { format!("{name} — {org}") }
}

fn number_or_empty(value: Option<&Decimal>) -> String {
    value.map(|v| format::format_number(*v, 6)).unwrap_or_else(|| "(trống)".into())
}

/// What changed between the version a person opened and the current one, in words.
pub fn describe_changes(catalogue: &Catalogue, opened: &Snapshot, now: &Snapshot) -> Vec<String> {
    let mut changes = Vec::new();
    let keys: std::collections::BTreeSet<&String> = opened.values.keys().chain(now.values.keys()).collect();
    for key in keys {
        let (before, after) = (opened.values.get(key), now.values.get(key));
        if before != after {
            changes.push(format!(
                "{}: {} → {}",
                key_label(catalogue, key),
                number_or_empty(before),
                number_or_empty(after)
            ));
        }
    }
    for ((_, heading, before), (_, _, after)) in opened.narrative.sections().iter().zip(now.narrative.sections().iter())
    {
        if before != after {
            changes.push(format!("Phần “{heading}” đã được sửa"));
        }
    }
    // The empty snapshot (no version kept) has no status to compare.
    if let (Some(before), Some(after)) = (opened.status, now.status)
        && before != after
    {
        changes.push(format!("Trạng thái: {} → {}", before.label(), after.label()));
    }
    changes
}

/// What saving `mine` over the current version would undo of the other person's save: the
/// figures and sections they changed since `opened` that `mine` sets differently.
pub fn describe_overwrites(catalogue: &Catalogue, opened: &Snapshot, now: &Snapshot, draft: &Draft) -> Vec<String> {
    let mut replaced = Vec::new();
    for key in draft.keys() {
        let (before, after, mine) = (opened.values.get(key), now.values.get(key), draft.values.get(key));
        if before != after && mine != after {
            replaced.push(format!(
                "{} ({} → {})",
                key_label(catalogue, key),
                number_or_empty(after),
                number_or_empty(mine)
            ));
        }
    }
    if let Some(mine) = &draft.narrative {
        let sections = opened.narrative.sections().into_iter().zip(now.narrative.sections()).zip(mine.sections());
        for (((_, heading, before), (_, _, after)), (_, _, typed)) in sections {
            if before != after && typed != after {
                replaced.push(format!("phần “{heading}”"));
            }
        }
    }
    replaced
}
