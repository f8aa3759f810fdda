//! Incidents and intake: deciding and committing, and reading incidents, their timelines, deliveries and changes back.

use async_trait::async_trait;
use jiff::Timestamp;

use tocsin_core::decide::Situation;
use tocsin_core::incident::{Incident, TimelineEvent};

use crate::*;

/// Incidents and intake: deciding and committing, and reading incidents, their timelines, deliveries and changes back.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Answers when the database does (for `/healthz`).
    async fn ping(&self) -> Result<()>;

    /// How many times other processes sharing the database have changed incidents or their
    /// timelines, as far as this store has heard: a counter that moves, for caches to compare.
    /// One process owns a single-node store, so it stays 0 there.
    fn changes_elsewhere(&self) -> u64 {
        0
    }

    /// The incident with this id, with its alerts (an empty situation when there is none).
    /// Reads every alert: for the callers that show them; the rest ask for [`Self::incident`].
    async fn situation_for_incident(&self, incident_id: &str) -> Result<Situation>;

    /// The incident with this id, without its alerts: a storm's 100,000 cost nothing here.
    async fn incident(&self, incident_id: &str) -> Result<Option<tocsin_core::incident::Incident>>;

    /// Commits one decision and everything that goes with it, in one transaction.
    async fn commit(&self, commit: Commit) -> Result<()>;

    /// Decides a batch in ONE transaction: for each item, reads its situation (seeing the
    /// items before it), asks `decider`, and writes the commit. The group commit behind
    /// durable, fast ingest; also the way every decision avoids reading stale state.
    ///
    /// With `hand_over_until`, the deliveries the decisions create are written leased to this
    /// store's owner until then and returned in [`Transacted::handed`]: the first send of a new
    /// page needs no claim of its own. Without it they are written unleased, for any claim.
    ///
    /// It may return once the commit is made and visible but before it is on disk (the SQLite
    /// writer flushes beside the next commit): the caller answers, sends and reports nothing
    /// of it before [`Transacted::durable`] says it is on disk.
    async fn transact(
        &self,
        items: Vec<Item>,
        hand_over_until: Option<Timestamp>,
        decider: &mut Decider<'_>,
    ) -> Result<Transacted>;

    /// Recent changes of a kind (newest first), e.g. the last deploys.
    async fn changes(
        &self,
        kind: Option<tocsin_core::inbound::ChangeKind>,
        limit: u32,
    ) -> Result<Vec<ChangeRecord>>;

    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>>;

    async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>>;

    async fn deliveries(
        &self,
        incident_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>>;

    /// Whether an acknowledge link's nonce was already consumed.
    async fn token_used(&self, nonce: &str) -> Result<bool>;

    /// Forgets the records that only guard against replays, once no replay could pass anyway:
    /// senders' delivery ids seen before `deliveries_before` (their signatures' time windows
    /// refuse them by then) and acknowledge-link nonces used before `nonces_before` (their links
    /// have expired). Both tables grow with what outsiders send. Returns the rows removed.
    async fn prune_replay_guards(
        &self,
        deliveries_before: Timestamp,
        nonces_before: Timestamp,
    ) -> Result<u64>;

    /// When a signal or change from `source` (like `integration:sentry`) last arrived.
    async fn last_signal_at(&self, source: &str) -> Result<Option<Timestamp>>;

    /// Incidents opened in `[from, until)`, oldest first (the review and the metrics).
    async fn incidents_opened(&self, from: Timestamp, until: Timestamp) -> Result<Vec<Incident>>;

    /// Changes matching `query` (service, kind, window), newest first.
    async fn changes_in(&self, query: &ChangeQuery) -> Result<Vec<ChangeRecord>>;
}
