//! Quick reads: the reads on the path from a signal to its first page (the card that goes out
//! with an incident's first message), run on the calling thread through rusqlite; and the two
//! helpers every rusqlite query uses (`one`, `all`), the write path's included.
//!
//! Why not the sqlx readers: sqlx runs each SQLite connection on a thread of its own and answers
//! one statement at a time over a channel, so every read waits for that thread to wake and for
//! its answer to wake the caller — ~0.3 ms per read on this project's 2-core machine when idle,
//! which is when a page matters most. Here the statement runs where the caller is (in
//! `block_in_place` on a tokio worker, as the writer does), on a read-only connection that sees
//! every committed write (WAL). Connections are opened when first needed and a few are kept.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags};
use tocsin_store::Result;

use crate::rows::Lite;
use crate::write::{PATIENCE, failure, on_this_thread};

/// Idle connections kept for the next read; more may be open at once under load.
const KEEP: usize = 2;
/// Prepared statements kept per connection: the few queries this path runs.
const STATEMENT_CACHE: usize = 16;

#[derive(Debug)]
pub(crate) struct QuickReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl QuickReads {
    pub(crate) fn new(path: &Path) -> Self {
        QuickReads {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on a read-only connection, on this thread.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let kept = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match kept {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = on_this_thread(|| read(&connection));
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < KEEP {
            idle.push(connection);
        }
        result
    }

    fn open(&self) -> Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(failure)?;
        connection.busy_timeout(PATIENCE).map_err(failure)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(connection)
    }
}

/// The first row a cached query returns, mapped; `None` when it returns none. On a quick
/// reader, or on the writing connection inside its transaction (`write/`).
pub(crate) fn one<T>(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(&Lite<'_, '_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut statement = connection.prepare_cached(sql).map_err(failure)?;
    let mut rows = statement.query(params).map_err(failure)?;
    rows.next()
        .map_err(failure)?
        .map(|row| map(&Lite(row)))
        .transpose()
}

/// Every row a cached query returns, mapped.
pub(crate) fn all<T>(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(&Lite<'_, '_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut statement = connection.prepare_cached(sql).map_err(failure)?;
    let mut rows = statement.query(params).map_err(failure)?;
    let mut mapped = Vec::new();
    while let Some(row) = rows.next().map_err(failure)? {
        mapped.push(map(&Lite(row))?);
    }
    Ok(mapped)
}
