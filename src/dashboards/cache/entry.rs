//! What the cache stores: an entry's data ([`Data`]), weighed for the size bound, and its
//! stamps ([`Stamped`]: the metadata generation it was computed in, the epoch up to which no
//! change affects it).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::catalogue::Catalogue;
use crate::dashboards::aggregate::Totals;
use crate::reports::Period;
use crate::units::Unit;
use crate::units::UnitId;

/// A subtree's parts, by path (see [`crate::dashboards::aggregate::parts`]).
pub(super) type Parts = Arc<BTreeMap<String, Totals>>;
/// Totals per quarter (see [`crate::dashboards::aggregate::quarterly`]).
pub(super) type Series = Arc<Vec<(Period, Totals)>>;

/// What an entry holds.
#[derive(Clone)]
pub(super) enum Data {
    Parts(Parts),
    Series(Series),
    Reporting(Arc<Vec<crate::reports::store::OverviewRow>>),
    Dashboard(Arc<crate::dashboards::DashboardBody>),
    Catalogue(Arc<Catalogue>),
    Unit(Unit),
    Subtree(Option<Arc<Totals>>),
    Children(Option<Arc<Vec<(UnitId, String)>>>),
    LiveChildren(Arc<Vec<String>>),
    Metadata(Arc<dyn std::any::Any + Send + Sync>),
}

fn totals_weight(totals: &Totals) -> u64 {
    totals.len() as u64 * 64
}

impl Data {
    /// A rough size in bytes, for the bound.
    pub(super) fn weight(&self) -> u32 {
        let totals = totals_weight;
        let bytes = match self {
            Data::Parts(parts) => parts.values().map(totals).sum::<u64>() + parts.len() as u64 * 64,
            Data::Series(series) => series.iter().map(|(_, t)| totals(t)).sum(),
            Data::Reporting(rows) => rows.len() as u64 * 96,
            Data::Dashboard(_) => 64 * 1024,
            Data::Catalogue(_) => 256 * 1024,
            Data::Unit(_) => 512,
            Data::Subtree(totals) => totals.as_ref().map_or(0, |t| totals_weight(t)),
            Data::Children(children) => children.as_ref().map_or(0, |c| c.len() as u64 * 64),
            Data::LiveChildren(children) => children.len() as u64 * 64,
            Data::Metadata(_) => 8 * 1024,
        };
        u32::try_from(bytes.max(256)).unwrap_or(u32::MAX)
    }
}

/// An entry with what it is known to be fresh for.
pub(super) struct Stamped {
    pub(super) data: Data,
    /// The metadata generation it was computed in.
    pub(super) generation: i64,
    /// No change after this epoch affects it (the epoch read before its figures were read,
    /// moved forward by each check).
    pub(super) verified: AtomicU64,
}
