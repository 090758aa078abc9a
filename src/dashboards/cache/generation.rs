//! The metadata generation: triggers bump the one `data_generation` row whenever what a
//! dashboard shows besides reports changes (the catalogue, targets, directives, milestones, the
//! calendar), and an entry computed in an older generation is not used. Read once per request,
//! and trusted without a round trip for a moment while this server hears the announcements.

use std::sync::atomic::Ordering;

use sqlx::PgPool;

use super::aggregate_cache::AggregateCache;

/// The PostgreSQL channel on which a new metadata generation is announced (by the trigger that
/// bumps it, migration 0022), so that a cached view need not read the generation row each time.
pub const GENERATION_CHANNEL: &str = "danvan_generation";

/// How long a metadata generation read from the database is used without reading it again,
/// while this server listens for announcements and none came: a bound on how late a change
/// made elsewhere can be seen should its announcement be slow. Changes this server makes are
/// seen at once ([`AggregateCache::forget_generation`] after every request that writes).
pub const GENERATION_TTL: std::time::Duration = std::time::Duration::from_millis(250);

/// The generation last read and when the read started; `forgets` counts the times it was
/// forgotten, so that a read overtaken by an announcement does not store a stale value.
#[derive(Default)]
pub(super) struct KnownGeneration {
    forgets: u64,
    value: Option<(i64, std::time::Instant)>,
}

impl AggregateCache {
    /// The metadata generation (see the module docs).
    pub async fn generation(pool: &PgPool) -> sqlx::Result<i64> {
        sqlx::query_scalar!("SELECT value FROM data_generation WHERE id = 1").fetch_one(pool).await
    }

    /// The metadata generation without a round trip when it may be trusted: this server listens
    /// for announcements of new generations, none came since it was read, nothing was written
    /// through this server since, and it was read less than [`GENERATION_TTL`] ago. At
    /// quarter-end a cached dashboard view then costs the database nothing, which leaves the
    /// CPU to the saves. Otherwise it is read from the `data_generation` row.
    pub async fn current_generation(&self, pool: &PgPool) -> sqlx::Result<i64> {
        let listening = self.listening.load(Ordering::SeqCst);
        // The lock is released before any await.
        let trusted = self.known.lock().ok().map(|known| match known.value {
            Some((value, read_at)) if listening && read_at.elapsed() < GENERATION_TTL => Ok(value),
            _ => Err(known.forgets),
        });
        let forgets = match trusted {
            Some(Ok(value)) => return Ok(value),
            Some(Err(forgets)) => forgets,
            None => return Self::generation(pool).await,
        };
        let read_at = std::time::Instant::now();
        let value = Self::generation(pool).await?;
        if let Ok(mut known) = self.known.lock()
            && known.forgets == forgets
        {
            known.value = Some((value, read_at));
        }
        Ok(value)
    }

    /// The next view reads the metadata generation from the database: called when a new one is
    /// announced, when the announcements may have been missed, and after every request that
    /// writes through this server (so its author sees the change on the next page).
    pub fn forget_generation(&self) {
        if let Ok(mut known) = self.known.lock() {
            known.forgets += 1;
            known.value = None;
        }
    }
}
