//! Silences: made, listed, expired, and the ones in force read before each batch of decisions.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::*;

/// Silences: made, listed, expired, and the ones in force read before each batch of decisions.
#[async_trait]
pub trait SilenceStore: Send + Sync {
    async fn add_silence(&self, silence: &SilenceRecord) -> Result<()>;

    /// The latest `limit` silences by start, newest first, ended ones included.
    async fn silences(&self, limit: u32) -> Result<Vec<SilenceRecord>>;

    /// The silences in force at `now` (started, not ended), oldest first: the first that
    /// matches a signal is the one its timeline names.
    async fn active_silences(&self, now: Timestamp) -> Result<Vec<SilenceRecord>>;

    /// What inhibits lower pages: the open incidents of `severity` on a component that nothing
    /// held back when they opened, newest first, at most `limit`. Read before a batch of
    /// signals (every batch among replicas; on a single node when the engine's kept copy is
    /// stale), so only the two columns it needs (`tocsin_core::noise::holds` says why each).
    async fn inhibiting(
        &self,
        severity: &str,
        limit: u32,
    ) -> Result<Vec<tocsin_core::noise::Holding>>;

    /// Ends a silence at `now` (a silence already ended keeps its end); the silence as it is
    /// afterwards, `None` when there is none with this id.
    async fn expire_silence(&self, id: &str, now: Timestamp) -> Result<Option<SilenceRecord>>;
}
