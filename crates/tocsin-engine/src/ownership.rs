//! Replicas sharing the probes (several tocsin processes on one PostgreSQL): every few seconds
//! a replica says it is alive and holds its share of the probed monitors — the monitor count
//! divided by the replicas alive, rounded up — with leases in the store. Its in-memory
//! schedule (`schedule.rs`) keeps exactly what it holds: a monitor another replica took leaves
//! it, one this replica took joins it at its next slot. A replica that dies stops renewing; its
//! monitors' leases end and the others take them at their next round. On a single node (SQLite)
//! none of this runs: the one process probes every monitor.

use std::time::Duration;

use jiff::Timestamp;

use crate::{Engine, EngineError};

impl Engine {
    /// How long a replica holds its monitors without renewing them (`server.lease`): how long
    /// a dead replica's monitors go unprobed at most, beside one renewal period.
    pub(crate) fn lease(&self) -> Duration {
        self.config().server.lease
    }

    /// When a claim taken now ends: `server.lease` among replicas, where a dead replica's work
    /// waits that long for another; `one_node` on a single node, where nobody else would take it
    /// and a restart releases it at once.
    pub(crate) fn claim_until(&self, now: Timestamp, one_node: Duration) -> Timestamp {
        let lease = if self.store.shared() {
            self.lease()
        } else {
            one_node
        };
        crate::probes::add(now, lease)
    }

    /// How often a replica renews its monitors and takes or gives up its share: three times a
    /// lease, so one late renewal loses nothing.
    pub(crate) fn renew_every(&self) -> Duration {
        self.lease() / 3
    }

    /// Among replicas: whether this process still holds the row `key` of `queue` (a page or a
    /// mail it is about to send), renewed for the lease and the longest a send may take beyond
    /// it. A replica stalled past its lease finds the work another's now and leaves it; on a
    /// single node it always holds its own.
    pub(crate) async fn still_holds(
        &self,
        queue: tocsin_store::Queue,
        key: &str,
        now: Timestamp,
    ) -> bool {
        if !self.store.shared() {
            return true;
        }
        let until = crate::probes::add(now, self.lease() + tocsin_notify::TIMEOUT);
        match self.store.still_holds(queue, key, now, until).await {
            Ok(held) => held,
            Err(error) => {
                // Unsure: leave it; whoever holds it sends it, or it is due again when the
                // lease ends.
                tracing::warn!(%key, %error, "could not confirm this replica still holds its work; leaving it");
                false
            }
        }
    }

    /// Among replicas: whether work whose lease [`Engine::still_holds`] renewed at `renewed_at`
    /// can still be sent inside it, the longest send included: no more than `server.lease` has
    /// passed since. On a single node always.
    pub(crate) fn lease_covers_a_send(&self, renewed_at: Timestamp) -> bool {
        !self.store.shared() || self.now() <= crate::probes::add(renewed_at, self.lease())
    }

    /// Holds this replica's share of the probed monitors and makes the schedule follow it;
    /// only the monitors new to it are read. Does nothing on a single node.
    pub(crate) async fn hold_share(&self) -> Result<(), EngineError> {
        if !self.store.shared() {
            return Ok(());
        }
        // Checks made since the last batch write go to the store first, so a replica taking a
        // monitor this one lets go (or loses) reads where it really stands.
        let _ = self.flush_checks().await;
        let now = self.now();
        let alive = self
            .store
            .replica_alive(now, crate::probes::before(now, self.lease()))
            .await?;
        let live = self.live();
        let ids = &live.probed;
        let share = ids
            .len()
            .div_ceil(usize::try_from(alive).unwrap_or(1).max(1));
        let held = self
            .store
            .hold_monitors(ids, now, crate::probes::add(now, self.lease()), share)
            .await?;
        let new = self.prober.schedule.not_held(&held.ids);
        let taken = if new.is_empty() {
            Vec::new()
        } else {
            self.store
                .monitors_by_id(&new)
                .await?
                .into_iter()
                .filter_map(|record| {
                    let catch_up = held.lapsed.contains(&record.id);
                    self.resumed(&live, record, now, catch_up)
                })
                .collect()
        };
        let added = self.prober.schedule.hold(&held.ids, taken);
        if added > 0 {
            tracing::debug!(monitors = added, share, alive, "monitors taken over");
        }
        Ok(())
    }
}
