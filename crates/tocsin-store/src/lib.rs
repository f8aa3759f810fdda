//! tocsin-store: the `Store` trait — everything tocsin keeps — and the backend-neutral rules
//! every backend shares. SQL lives only in the backend crates (`tocsin-store-sqlite`). Every decision is committed with [`Store::commit`] in one
//! transaction: state, timeline events, outbox rows and timers together or not at all.

mod actions;
pub mod batch;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
pub mod history;
mod parts;
pub mod plan;
mod queue;
mod review;
pub mod rows;
mod types;

pub use actions::*;
pub use parts::*;
pub use queue::{DEFAULT_LEASE_OWNER, Queue, QueueTable};
pub use review::ReviewDigest;
pub use types::*;
// The records the engine hands on to its callers live in the core; the store keeps them.
pub use tocsin_core::access::Role;
pub use tocsin_core::delivery::{DeliveryRecord, DeliveryStatus};
pub use tocsin_core::drill::*;
pub use tocsin_core::incident_filter::{IncidentFilter, StateFilter};
pub use tocsin_core::monitor_records::{CheckCounts, LatencyBucket, MonitorRecord};
pub use tocsin_core::oncall::OverrideRecord;
pub use tocsin_core::ops_gauges::{OpsGauges, OutboxChannel};
pub use tocsin_core::public_update::PublicUpdate;
pub use tocsin_core::silence::SilenceRecord;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The acknowledge link's nonce was already used; nothing was committed.
    #[error("this link was already used")]
    TokenUsed,
    #[error("the stored data is not what tocsin wrote: {0}")]
    Corrupt(String),
    /// A newer tocsin migrated the database past what this one knows.
    #[error(
        "the database's schema is version {applied}, newer than this tocsin knows (up to {known}): a newer tocsin migrated it; run that version here too"
    )]
    NewerSchema { applied: i64, known: i64 },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A failure of the database's files outside a query (flushing the log to disk, the thread
/// that does it): reported as the database's own I/O error.
impl From<std::io::Error> for StoreError {
    fn from(error: std::io::Error) -> Self {
        StoreError::Database(sqlx::Error::Io(error))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything tocsin keeps, in cohesive parts: a backend implements each part, and `Store` is
/// all of them together (nothing to implement by hand). Shaped for several replicas: due work is
/// claimed with a lease that expires, never held only in memory.
pub trait Store:
    IncidentStore
    + DueWork
    + MonitorStore
    + PeopleStore
    + StatusPageStore
    + FollowUpStore
    + SilenceStore
    + std::fmt::Debug
{
}

impl<T> Store for T where
    T: IncidentStore
        + DueWork
        + MonitorStore
        + PeopleStore
        + StatusPageStore
        + FollowUpStore
        + SilenceStore
        + std::fmt::Debug
{
}

/// The store's traits, for calling any part through an `Arc<dyn Store>`.
pub mod prelude {
    pub use crate::SilenceStore;
    pub use crate::{
        DueWork, FollowUpStore, IncidentStore, MonitorStore, PeopleStore, StatusPageStore, Store,
    };
}
