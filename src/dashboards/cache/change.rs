//! The change a move of a report makes, as dashboards see it: the unit's path, the year, the
//! [`Bases`] whose figures moved and the units of today holding the unit in their history;
//! written to and read from the change log as a payload, announced on [`CHANNEL`].

use crate::dashboards::aggregate::Basis;

/// The PostgreSQL channel on which servers announce that they wrote moves into the change log
/// (see [`crate::dashboards::changes`]).
pub const CHANNEL: &str = "danvan_rollup";

/// Bit set of what a move changed: 1 the figures of the accepted basis, 2 those of the
/// submitted basis (accepted + submitted), 4 a report's state (who sent and when, being
/// corrected, the unit's own report), which dashboards of either basis show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bases(u8);

impl Bases {
    /// The figures of both bases.
    pub const ALL: Bases = Bases(3);
    /// A report's state, not its figures.
    pub const STATE: Bases = Bases(4);

    pub fn of(basis: Basis) -> Bases {
        match basis {
            Basis::Accepted => Bases(1),
            Basis::Submitted => Bases(2),
        }
    }

    /// From the roll-ups' basis numbers (1, 2).
    pub fn from_numbers(numbers: impl IntoIterator<Item = i16>) -> Bases {
        Bases(numbers.into_iter().fold(0, |bits, n| bits | if (1..=2).contains(&n) { 1 << (n - 1) } else { 0 }))
    }

    pub fn with(self, other: Bases) -> Bases {
        Bases(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the figures of `basis` moved.
    pub(super) fn contains(self, basis: Basis) -> bool {
        self.0 & Bases::of(basis).0 != 0
    }

    /// Whether a report's state moved.
    pub(super) fn has_state(self) -> bool {
        self.0 & Bases::STATE.0 != 0
    }
}

/// What a move of a report changed, as dashboards see it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "apply it to the cache after the transaction commits"]
pub struct Change {
    /// A random number naming this change, so that a server applies it once although it reads
    /// its own back from the change log.
    pub id: u64,
    /// The unit's path in the tree (`ltree` text: ids from the province down).
    pub path: String,
    /// The report's year.
    pub year: i32,
    /// The bases whose figures moved, and whether a report's state did.
    pub bases: Bases,
    /// The paths of the units of today whose history holds the unit (an old commune's
    /// successors, its old province's successor): their subtrees' figures moved too.
    pub successors: Vec<String>,
}

impl Change {
    /// A new change (with a fresh id).
    pub fn new(path: String, year: i32, bases: Bases) -> Change {
        Change { id: rand::random(), path, year, bases, successors: Vec::new() }
    }

    /// The same change, also felt by the units of today holding `successors` in their history.
    pub fn with_successors(mut self, successors: Vec<String>) -> Change {
        self.successors = successors;
        self
    }

    /// `ID PATH YEAR BASES [SUCCESSOR,…]`: the change as the change log keeps it.
    pub fn payload(&self) -> String {
        let mut payload = format!("{} {} {} {}", self.id, self.path, self.year, self.bases.0);
        if !self.successors.is_empty() {
            payload.push(' ');
            payload.push_str(&self.successors.join(","));
        }
        payload
    }

    /// The change in a payload; `None` for a malformed one.
    pub fn from_payload(payload: &str) -> Option<Change> {
        let mut words = payload.split(' ');
        let id = words.next()?.parse().ok()?;
        let path = words.next()?.to_owned();
        let year = words.next()?.parse().ok()?;
        let bases = Bases(words.next()?.parse().ok()?);
        let successors = words.next().map(|w| w.split(',').map(str::to_owned).collect()).unwrap_or_default();
        Some(Change { id, path, year, bases, successors })
    }
}

/// `path` is `root` or lies below it.
pub(super) fn under(path: &str, root: &str) -> bool {
    path == root || (path.starts_with(root) && path[root.len()..].starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let moved = Change::new("12.345".to_owned(), 2024, Bases::ALL);
        assert_eq!(Change::from_payload(&moved.payload()), Some(moved.clone()));
        assert_eq!(Change::from_payload("garbage"), None);
    }
}
