//! The write path: one rusqlite connection that every decision is written through, in one
//! IMMEDIATE transaction per call, on the thread that asked (no hand-off per statement), with
//! the statements prepared once and cached.
//!
//! Why rusqlite beside sqlx: sqlx's SQLite driver runs each connection on a worker thread and
//! answers one statement at a time over a channel, so a signal's ~8 statements cost ~16 thread
//! hand-offs; measured, that was ~41 % of the CPU per alert. Here the whole batch (situations
//! read, decided, written, committed) runs in one `block_in_place` on a tokio worker, which
//! tokio replaces while it blocks on the fsync. Both drivers link the same libsqlite3-sys.
//!
//! Writes that have not moved here yet still go through the sqlx writer pool. Both take the
//! write turn (`crate::writer::WriteTurn`) before writing and hold it until the commit is done,
//! so in one process the two connections never contend for SQLite's lock (another process on
//! the same file waits on `busy_timeout`, as before).
//!
//! Durable by default (`synchronous_full`): this connection's commits are flushed by the
//! flusher's thread (`flush.rs`) after the write turn is released, so the next transaction is
//! written while the last one reaches the disk; a write returns (or, for the group commit,
//! answers) only once its commit is flushed.

mod decide;
mod error;
mod flush;
mod follow_up;
mod rows;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tocsin_store::{Durable, Result};

use crate::writer::WriteTurn;
use flush::Flusher;

pub(crate) use decide::{HandOver, transact_in, write_commit};
pub(crate) use error::failure;
pub(crate) use follow_up::{add_affected, approve_comms};
pub(crate) use rows::{record_attempt, record_check};

/// How long a write waits for another process's lock on the file before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection: every statement the write path runs, with room.
const STATEMENT_CACHE: usize = 96;

/// The writing connection, the write turn it shares with the sqlx writer pool, and (when
/// durable) the flusher that puts its commits on disk.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    connection: Arc<Mutex<Connection>>,
    turn: WriteTurn,
    flusher: Option<Arc<Flusher>>,
}

impl Writer {
    /// Opens the writing connection on `path` (already created and migrated by the sqlx pool).
    /// `synchronous_full`: every commit is on disk before it is answered (flushed by the
    /// flusher's thread); otherwise SQLite's `synchronous=NORMAL` as it is (the last commits
    /// before a power cut may be lost).
    pub(crate) fn open(path: &Path, synchronous_full: bool, turn: WriteTurn) -> Result<Self> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(failure)?;
        connection.busy_timeout(PATIENCE).map_err(failure)?;
        // NORMAL either way: when durable, the flusher syncs the log after each commit instead
        // of COMMIT syncing it while the write turn is held.
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(failure)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let flusher = if synchronous_full {
            // The log exists from here on: the connection above opened it in WAL mode, and it
            // stays while this connection is open.
            let flusher = Flusher::start(path).map_err(|error| {
                std::io::Error::new(
                    error.kind(),
                    format!("the database's flusher thread did not start: {error}"),
                )
            })?;
            Some(Arc::new(flusher))
        } else {
            None
        };
        Ok(Writer {
            connection: Arc::new(Mutex::new(connection)),
            turn,
            flusher,
        })
    }

    /// Runs `write` in one IMMEDIATE transaction and commits it: all of it reaches the disk or
    /// none of it does, and it returns once the commit is on disk. An error from `write` rolls
    /// back.
    pub(crate) async fn write<T>(
        &self,
        write: impl FnOnce(&Transaction<'_>) -> Result<T> + Send,
    ) -> Result<T> {
        self.write_patiently(PATIENCE, write).await
    }

    /// `write`, waiting at most `patience` for another process's lock on the file.
    pub(crate) async fn write_patiently<T>(
        &self,
        patience: Duration,
        write: impl FnOnce(&Transaction<'_>) -> Result<T> + Send,
    ) -> Result<T> {
        let (written, durable) = self.write_unflushed(patience, write).await?;
        durable.wait().await?;
        Ok(written)
    }

    /// `write`, returning as soon as the commit is made and the write turn released, with when
    /// it will be on disk: the caller answers nothing of it before [`Durable::wait`] returns.
    pub(crate) async fn write_unflushed<T>(
        &self,
        patience: Duration,
        write: impl FnOnce(&Transaction<'_>) -> Result<T> + Send,
    ) -> Result<(T, Durable)> {
        let turn = self.turn.lock().await;
        let written = on_this_thread(|| {
            if let Some(flusher) = &self.flusher
                && flusher.failed()
            {
                // See `flush.rs`: after a failed flush nothing written could be kept.
                return Err(std::io::Error::other(
                    "flushing the database's log to disk failed earlier; tocsin writes nothing more until it restarts",
                )
                .into());
            }
            let mut connection = self
                .connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if patience != PATIENCE {
                connection.busy_timeout(patience).map_err(failure)?;
            }
            let written = in_transaction(&mut connection, write);
            if patience != PATIENCE {
                connection.busy_timeout(PATIENCE).map_err(failure)?;
            }
            // Counted after COMMIT returned, so the flush that covers it begins after it.
            let durable = match &self.flusher {
                Some(flusher) if written.is_ok() => flusher.committed(),
                _ => Durable::default(),
            };
            written.map(|written| (written, durable))
        });
        drop(turn);
        written
    }

    /// Runs a statement outside any transaction (a test's page limit).
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .execute_batch(sql)
            .map_err(failure)
    }
}

/// One IMMEDIATE transaction around `write`, committed when it succeeds.
fn in_transaction<T>(
    connection: &mut Connection,
    write: impl FnOnce(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failure)?;
    let value = write(&tx)?;
    // On a failed COMMIT, dropping the transaction rolls back whatever SQLite still holds
    // open (rusqlite asks SQLite, not its own count), so the connection is left clean.
    tx.commit().map_err(failure)?;
    Ok(value)
}

/// Runs blocking database work on the calling thread: on tokio's multi-threaded runtime the
/// worker hands its other tasks to a fresh worker first, so the HTTP side keeps both cores
/// while this thread waits on the disk. Elsewhere (a single-threaded test runtime) it just runs.
pub(crate) fn on_this_thread<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
