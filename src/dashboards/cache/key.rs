//! What a cache entry is for ([`Key`]: a subtree, a basis, the years of reports it reads and
//! what it holds), and which moves of reports make it stale.

use super::change::{Change, under};
use crate::dashboards::aggregate::{self, Basis};
use crate::reports::Period;
use crate::units::UnitId;

/// What an entry holds, and over what it was computed: the keys are built from validated
/// parameters only (a parsed period, a basis, a unit path from the database, a known indicator).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The subtree's root path; `None` for the country.
    pub(super) root: Option<String>,
    pub(super) basis: Basis,
    /// The years of reports the entry reads, first and last.
    pub(super) years: (i32, i32),
    pub(super) what: What,
}

/// What kind of entry a [`Key`] names, with what else shapes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum What {
    Parts(Period),
    /// One child's subtree totals (the key's root is the child): from its roll-up, or read live
    /// below level 2 (see `aggregate::live_parts_of`).
    Subtree(Period),
    /// A rolled-up root's own reports, read live (see `aggregate::live_parts_of`).
    Own(Period),
    /// Flows per old commune (see `aggregate::flows_by_commune`).
    Communes(Period),
    /// The children with roll-ups of a root, or none when the root is read live.
    Children,
    /// The children without roll-ups of a rolled-up root, read live.
    LiveChildren,
    /// Something a dashboard reads from metadata only (targets, sub-units, the calendar, the
    /// agenda): a name and its validated argument.
    Metadata(&'static str, String),
    Quarterly(Period, usize),
    /// A live subtree's quarters with its counted predecessors' before it existed (see
    /// `aggregate::quarterly_across`).
    QuarterlyAcross(Period, usize),
    /// The reporting state (submitted when, being corrected) of these units' own reports for the
    /// period's last quarter (see `reports::store::overview`): a dashboard's unit and the units
    /// directly below it.
    Reporting(Period, Vec<UnitId>),
    Dashboard(String),
    Catalogue,
    /// A unit code (as typed) resolved at a date.
    Unit(String, chrono::NaiveDate),
}

impl Key {
    /// A whole dashboard page body: `variant` names what else shapes it (ranking indicator,
    /// sort, date), `years` every year of reports it reads.
    pub fn dashboard(root: Option<&str>, basis: Basis, years: (i32, i32), variant: String) -> Key {
        Key { root: root.map(str::to_owned), basis, years, what: What::Dashboard(variant) }
    }

    /// Whether `change` may have moved what the entry holds.
    pub(super) fn affected_by(&self, change: &Change) -> bool {
        if matches!(
            self.what,
            What::Catalogue | What::Unit(..) | What::Children | What::LiveChildren | What::Metadata(..)
        ) {
            return false;
        }
        if let What::Reporting(_, units) = &self.what {
            // Only these units' own reports are read, and their state shows whatever the
            // basis: the moved report's unit is the last id of the change's path.
            let moved = aggregate::root_id(&change.path);
            return moved.is_some_and(|id| units.contains(&id)) && (self.years.0..=self.years.1).contains(&change.year);
        }
        let holds_unit = match &self.root {
            None => true,
            Some(root) => under(&change.path, root) || change.successors.iter().any(|s| under(s, root)),
        };
        // A whole page shows the reports' state whatever its basis; figures only their basis's.
        let shown =
            change.bases.contains(self.basis) || (matches!(self.what, What::Dashboard(_)) && change.bases.has_state());
        holds_unit && (self.years.0..=self.years.1).contains(&change.year) && shown
    }
}

/// Builders shared by the cache's tests.
#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::dashboards::cache::Bases;

    pub(in crate::dashboards::cache) fn change(path: &str, year: i32, bases: Bases) -> Change {
        Change::new(path.to_owned(), year, bases)
    }

    pub(in crate::dashboards::cache) fn parts_key(root: Option<&str>, year: i32, basis: Basis) -> Key {
        Key { root: root.map(str::to_owned), basis, years: (year, year), what: What::Parts(Period::Year { year }) }
    }

    #[test]
    fn a_change_touches_its_ancestors_years_and_bases_only() {
        let accepted = Bases::of(Basis::Accepted);
        let moved = change("12.345.6789", 2024, accepted);
        assert!(parts_key(None, 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("12"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("12.345"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("12.345.6789"), 2024, Basis::Accepted).affected_by(&moved));
        // Another province, a province whose id starts alike, another year, another basis.
        assert!(!parts_key(Some("13"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(Some("1"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(Some("12.34"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(None, 2023, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(None, 2024, Basis::Submitted).affected_by(&moved));
    }

    #[test]
    fn a_move_touches_whole_pages_of_either_basis_and_figures_of_its_own() {
        // A return: the submitted basis's figures and the report's state moved.
        let returned = change("12.345.6789", 2024, Bases::of(Basis::Submitted).with(Bases::STATE));
        let page = |root: &str, basis: Basis| Key::dashboard(Some(root), basis, (2024, 2024), String::new());
        assert!(page("12.345.6789", Basis::Accepted).affected_by(&returned), "its own report's state shows");
        assert!(page("12.345", Basis::Accepted).affected_by(&returned), "the district's list of who is correcting");
        assert!(page("12.345", Basis::Submitted).affected_by(&returned));
        assert!(!page("12.346", Basis::Accepted).affected_by(&returned), "another district");
        assert!(!parts_key(Some("12.345"), 2024, Basis::Accepted).affected_by(&returned), "figures of the other basis");
        assert!(parts_key(Some("12.345"), 2024, Basis::Submitted).affected_by(&returned));
        // A report without figures: its state alone.
        let empty = change("12.345.6789", 2024, Bases::STATE);
        assert!(page("12.345", Basis::Accepted).affected_by(&empty));
        assert!(!parts_key(Some("12.345"), 2024, Basis::Submitted).affected_by(&empty));
        assert_eq!(Change::from_payload(&empty.payload()).map(|c| c.bases), Some(Bases::STATE));
    }

    #[test]
    fn reporting_states_are_touched_by_moves_of_the_units_they_list_only() {
        let reporting = |root: Option<&str>, units: &[i32]| Key {
            root: root.map(str::to_owned),
            basis: Basis::Accepted,
            years: (2024, 2024),
            what: What::Reporting(Period::Year { year: 2024 }, units.iter().copied().map(UnitId).collect()),
        };
        let submitted = Bases::of(Basis::Submitted);
        let commune = change("12.345.6789", 2024, submitted);
        // The commune's own state shows on its district's dashboard and its own, whatever the basis.
        assert!(reporting(Some("12.345"), &[345, 6788, 6789]).affected_by(&commune));
        assert!(reporting(Some("12.345.6789"), &[6789]).affected_by(&commune));
        // The country and the province list provinces and districts: a commune's move leaves them,
        // even though its province of today (a successor) is one of the country's children.
        let old = change("12.345.6789", 2024, submitted).with_successors(vec!["20".to_owned(), "20.7001".to_owned()]);
        assert!(!reporting(None, &[12, 13, 20]).affected_by(&old));
        assert!(!reporting(Some("12"), &[12, 345, 346]).affected_by(&commune));
        assert!(reporting(None, &[12, 13]).affected_by(&change("12", 2024, submitted)));
        assert!(!reporting(None, &[12, 13]).affected_by(&change("12", 2023, submitted)));
    }

    #[test]
    fn a_change_in_an_old_unit_touches_the_units_of_today_holding_its_history() {
        // Old commune 12.345.6789 went into commune 90.91 of today's province 90.
        let moved =
            change("12.345.6789", 2024, Bases::of(Basis::Accepted)).with_successors(vec!["90.91".into(), "90".into()]);
        assert!(parts_key(Some("90"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("90.91"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(Some("90.92"), 2024, Basis::Accepted).affected_by(&moved), "a sibling of today");
        assert!(!parts_key(Some("91"), 2024, Basis::Accepted).affected_by(&moved));
        let heard = Change::from_payload(&moved.payload()).expect("payload");
        assert_eq!(heard, moved);
    }
}
