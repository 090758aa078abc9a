//! A cache in front of the roll-ups: an optimisation, not what makes dashboards fast (a cold
//! view reads the roll-ups within budget on its own).
//!
//! # What invalidates what
//! - A move of a report (accepted, reopened, submitted, returned) is a [`Change`]: the unit's
//!   path, the report's year and the bases whose figures moved. It drops only the entries whose
//!   subtree holds that unit (the unit itself, its ancestors, the country), whose years cover
//!   that year, and whose basis moved; an acceptance in one commune leaves every other province
//!   cached. The server that made the move applies the change right after its commit (so the
//!   user who accepted sees the new figure on the next page); other servers read it from the
//!   change log the move wrote in its transaction (see [`crate::dashboards::changes`]).
//! - Everything else a dashboard shows besides reports (the catalogue, targets, directives,
//!   milestones, the calendar) is metadata that changes rarely: triggers bump the one
//!   `data_generation` row, and an entry computed in an older generation is not used. Report
//!   saves and moves never touch that row, so it is not a row every write must lock.
//!
//! # No stale figure, even mid-computation
//! Changes are numbered (an epoch). An entry remembers the epoch read *before* its figures were
//! read from the database; on each use, the changes numbered after it are checked against the
//! entry's key, and any that affects it sends the request to recompute. A change committed while
//! a computation was running is therefore never hidden by the entry that computation stores.
//! Checked entries move their epoch forward, so the check stays short; the log keeps the last
//! [`LOG_LEN`] changes and an entry older than that is recomputed.
//!
//! # Over a read replica
//! With `--database-read-url`, a request may compute entries on the replica, which replays the
//! primary's changes a moment after the primary heard of them: an entry computed there just after
//! a change was applied could hold the figures from before it, and be kept as if after it. So
//! the cache notes, for its epochs, the primary's write position at or after their changes
//! committed ([`AggregateCache::note_position`]: the change log's reader reads it with every
//! read of the log, [`crate::dashboards::changes`]). A request computes on the replica only if the replica has replayed
//! the position noted for the request's starting epoch ([`AggregateCache::view_for`]), else on
//! the primary; what it computes there is stamped with that starting epoch, not a later one, so
//! changes after it are checked as usual. Cached figures are never older than what the primary
//! had when they were last invalidated.
//!
//! # Bounded, one computation per key
//! [moka](https://docs.rs/moka): entries are weighed by their size and evicted one by one past
//! [`CAPACITY_BYTES`]; concurrent requests for a missing key wait for one computation of it
//! (`try_get_with`), while other keys compute in parallel.
//!
//! # Files
//! - `change`: what a move changes ([`Change`], [`Bases`]) and the channel it is announced on;
//! - `key`: what an entry is for ([`Key`]) and which changes make it stale;
//! - `entry`: what an entry holds, its weight and its stamps;
//! - `aggregate_cache`: the cache ([`AggregateCache`]): entries, epochs, applying changes;
//! - `generation`: the metadata generation, and how long it is trusted ([`GENERATION_TTL`]);
//! - `replica`: the primary's positions per epoch, views on a read replica;
//! - `view`: one request's reads ([`View`]), computed once per key;
//! - `parts`: a subtree's parts, one entry per child.

mod aggregate_cache;
mod change;
mod entry;
mod generation;
mod key;
mod parts;
mod replica;
mod view;

pub use aggregate_cache::{AggregateCache, CAPACITY_BYTES, LOG_LEN};
pub use change::{Bases, CHANNEL, Change};
pub use generation::{GENERATION_CHANNEL, GENERATION_TTL};
pub use key::Key;
pub use view::View;
