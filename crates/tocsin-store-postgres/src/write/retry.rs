//! One write transaction, run again from the start when PostgreSQL aborts it to break a
//! deadlock or a serialization conflict between replicas.
//!
//! The advisory locks of `locks.rs` are taken in one order, but the row locks a batch takes
//! as it goes (an incident read `FOR UPDATE`, a page's unique key, a delivery id) follow its
//! items: two replicas can still wait on each other, and PostgreSQL then aborts one of them.
//! Nothing of an aborted attempt stays: its writes roll back, and what it returned is dropped,
//! so a batch's outcomes are always those of the attempt that committed.

use std::time::Duration;

use sqlx::{Postgres, Transaction};
use tocsin_store::{Result, StoreError};

/// Attempts at most, the first included.
const ATTEMPTS: u32 = 5;

/// The wait before the second attempt; each later one waits that much longer.
const BACKOFF: Duration = Duration::from_millis(10);

/// PostgreSQL's SQLSTATEs for "this transaction lost; run it again".
const DEADLOCK_DETECTED: &str = "40P01";
const SERIALIZATION_FAILURE: &str = "40001";

/// Counts a write's attempts. A caller runs its transaction in a loop:
///
/// ```ignore
/// let mut attempts = Attempts::default();
/// loop {
///     let mut tx = pool.begin().await?;
///     let done = work(&mut tx).await;
///     if let Some(result) = attempts.settle(tx, done).await {
///         return result;
///     }
/// }
/// ```
///
/// (A loop in the caller, not a helper taking the work as an async closure: the compiler
/// cannot yet prove such a closure's future `Send` for every borrow of the connection, which
/// `async_trait` requires.)
#[derive(Debug)]
pub(crate) struct Attempts {
    /// The attempt being settled, from 1.
    attempt: u32,
}

impl Default for Attempts {
    fn default() -> Self {
        Attempts { attempt: 1 }
    }
}

impl Attempts {
    /// Commits `tx` when `done` succeeded, else rolls it back. `None` when PostgreSQL aborted
    /// it for a deadlock or a serialization failure and attempts are left: the caller runs it
    /// all again, in a new transaction (after a short wait). Otherwise the result to return.
    pub(crate) async fn settle<T>(
        &mut self,
        tx: Transaction<'_, Postgres>,
        done: Result<T>,
    ) -> Option<Result<T>> {
        let done = match done {
            Ok(value) => tx.commit().await.map(|()| value).map_err(StoreError::from),
            Err(error) => {
                // Dropping the transaction would roll it back too, but only when its
                // connection is next used: rolling back now frees its locks at once.
                if let Err(rollback) = tx.rollback().await {
                    tracing::debug!(%rollback, "rolling back a failed write");
                }
                Err(error)
            }
        };
        match done {
            Err(error) if self.attempt < ATTEMPTS && lost_to_another(&error) => {
                tracing::debug!(%error, attempt = self.attempt, "write aborted; running it again");
                tokio::time::sleep(BACKOFF * self.attempt).await;
                self.attempt += 1;
                None
            }
            done => Some(done),
        }
    }
}

/// Whether PostgreSQL aborted the transaction only because another one ran at the same time.
fn lost_to_another(error: &StoreError) -> bool {
    let StoreError::Database(error) = error else {
        return false;
    };
    error
        .as_database_error()
        .and_then(|error| error.code())
        .is_some_and(|code| code == DEADLOCK_DETECTED || code == SERIALIZATION_FAILURE)
}
