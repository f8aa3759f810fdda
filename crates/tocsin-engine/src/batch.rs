//! Check results that changed no status, buffered and written in batches — one transaction per
//! batch, off the probe path. A store that is busy or down delays the write (it is retried on
//! the next flush and logged); it never becomes a failed check or a down monitor.

use std::sync::Mutex;

use tocsin_store::CheckCommit;
use tokio::sync::Notify;

use crate::Engine;

/// A batch this large is written without waiting for the next tick.
pub(crate) const BATCH_LIMIT: usize = 500;
/// How often the writer flushes what is buffered (the production loop's tick).
pub(crate) const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Held at most while the store refuses writes (about an hour of 10,000 monitors at 30 s);
/// beyond it the oldest raw results are dropped — the monitor states stay in memory and reach
/// the disk with the next result.
const HOLD_LIMIT: usize = 1_200_000;

#[derive(Debug, Default)]
pub(crate) struct CheckBatch {
    pending: Mutex<Vec<CheckCommit>>,
    /// Wakes the writer when a batch is full.
    pub(crate) full: Notify,
}

impl CheckBatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CheckCommit>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn push(&self, check: CheckCommit) {
        let len = {
            let mut pending = self.lock();
            pending.push(check);
            pending.len()
        };
        if len == BATCH_LIMIT {
            self.full.notify_one();
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn take(&self) -> Vec<CheckCommit> {
        std::mem::take(&mut *self.lock())
    }

    /// Puts a batch that could not be written back in front of what came since.
    fn put_back(&self, mut batch: Vec<CheckCommit>) {
        let mut pending = self.lock();
        batch.append(&mut pending);
        if batch.len() > HOLD_LIMIT {
            let dropped = batch.len() - HOLD_LIMIT;
            batch.drain(..dropped);
            tracing::error!(
                dropped,
                "the store has refused check results for long; dropped the oldest raw results"
            );
        }
        *pending = batch;
    }
}

impl Engine {
    /// Writes every buffered check result in one transaction. On a store error the results stay
    /// buffered for the next flush; the error is logged and returned for the caller to report.
    pub async fn flush_checks(&self) -> Result<usize, crate::EngineError> {
        let batch = self.prober.checks.take();
        if batch.is_empty() {
            return Ok(0);
        }
        let count = batch.len();
        match self.store.record_checks(&batch).await {
            Ok(()) => Ok(count),
            Err(error) => {
                tracing::warn!(%error, count, "writing check results failed; they stay buffered and are retried");
                self.prober.checks.put_back(batch);
                Err(error.into())
            }
        }
    }

    /// Check results waiting for the next batch write.
    pub fn pending_checks(&self) -> usize {
        self.prober.checks.len()
    }
}
