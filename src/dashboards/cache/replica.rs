//! Computing over a read replica: the primary's write positions noted per epoch, and a view on
//! the replica only once it has replayed every change the request must see (see the module
//! docs, "Over a read replica").

use std::sync::atomic::Ordering;

use super::aggregate_cache::AggregateCache;
use super::view::View;

/// How many (epoch, position) notes are kept.
pub(super) const POSITIONS_KEPT: usize = 256;

impl AggregateCache {
    /// Starts noting the primary's positions (see the module docs on replicas).
    pub fn track_positions(&self) {
        self.tracks_positions.store(true, Ordering::SeqCst);
    }

    /// Whether positions are noted.
    pub fn tracks_positions(&self) -> bool {
        self.tracks_positions.load(Ordering::SeqCst)
    }

    /// Notes that every change numbered up to `epoch` committed at or before the primary's
    /// position `position`: `epoch` must have been read before `position` was.
    pub fn note_position(&self, epoch: u64, position: u64) {
        let Ok(mut positions) = self.positions.lock() else { return };
        // The first position noted for an epoch is the smallest that covers it.
        if positions.back().is_some_and(|(noted, _)| *noted >= epoch) {
            return;
        }
        positions.push_back((epoch, position));
        while positions.len() > POSITIONS_KEPT {
            positions.pop_front();
        }
    }

    /// The smallest noted position covering every change numbered up to `epoch`, if any.
    fn position_covering(&self, epoch: u64) -> Option<u64> {
        let positions = self.positions.lock().ok()?;
        positions.iter().find(|(e, _)| *e >= epoch).map(|(_, position)| *position)
    }

    /// [`view`](Self::view) for a routed read: on the replica when the request may use it and
    /// the replica has replayed every change applied before the request started (see the module
    /// docs), else on the primary.
    pub async fn view_for<'a>(&'a self, read: &'a crate::replica::routing::ReadPool) -> sqlx::Result<View<'a>> {
        let start = self.current_epoch();
        if read.may_use_replica()
            && let Some(position) = self.position_covering(start)
            && let Some(pool) = read.replica_at(position)
        {
            let generation = Self::generation(pool).await?;
            return Ok(View { cache: self, pool, generation, start, on_replica: true });
        }
        self.view(read.primary()).await
    }
}
