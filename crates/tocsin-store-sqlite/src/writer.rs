//! The sqlx writer: the write turn it shares with `write::Writer`, and its one connection
//! never handed out inside a transaction nobody owns.
//!
//! Both writing connections take one async lock, the write turn, before they write, so in one
//! process they never contend for SQLite's lock. It is a plain lock rather than the sqlx pool's
//! connection because sqlx tests every connection it gets back with a round trip to its worker
//! thread: the decisions' writer, which never runs anything on that connection, would pay two
//! thread hand-offs per commit for nothing.
//!
//! When a write fails with SQLITE_FULL or SQLITE_IOERR (at COMMIT, or at a statement SQLite
//! answers by rolling the whole transaction back), SQLite is back in autocommit mode but sqlx
//! still counts the transaction as open: its COMMIT failed, and the ROLLBACK queued when the
//! `Transaction` dropped fails too ("no transaction is active"). From then on every `begin()` on
//! that connection is a `SAVEPOINT`, and the first transaction dropped without committing (a
//! refused acknowledge link, a failed batch) leaves SQLite inside a transaction for good: every
//! later "commit" only releases a savepoint inside it, reports success, and is rolled back when
//! the connection closes. So on every return to the pool the writer is checked against both
//! views; one that is not in clean autocommit is rolled back and discarded, and the pool opens a
//! fresh connection for the next decision.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use sqlx::SqlitePool;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::sqlite::SqliteConnection;

/// The write turn: whoever holds it is the only writer of this process.
pub(crate) type WriteTurn = Arc<tokio::sync::Mutex<()>>;

/// The sqlx writer pool (one connection), used only while holding the write turn.
#[derive(Debug, Clone)]
pub(crate) struct SqlxWriter {
    pool: SqlitePool,
    turn: WriteTurn,
}

impl SqlxWriter {
    pub(crate) fn new(pool: SqlitePool, turn: WriteTurn) -> Self {
        SqlxWriter { pool, turn }
    }

    /// Waits for the write turn; the pool is used through the returned guard, which gives the
    /// turn back when dropped (keep it alive as long as a transaction begun on it).
    pub(crate) async fn turn(&self) -> Turned<'_> {
        Turned {
            _turn: self.turn.lock().await,
            pool: &self.pool,
        }
    }
}

/// The sqlx writer pool while its holder has the write turn.
pub(crate) struct Turned<'a> {
    _turn: tokio::sync::MutexGuard<'a, ()>,
    pool: &'a SqlitePool,
}

impl Deref for Turned<'_> {
    type Target = SqlitePool;

    fn deref(&self) -> &SqlitePool {
        self.pool
    }
}

type Check<'c, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'c>>;

/// `after_release` hook: `Ok(true)` keeps the connection, `Ok(false)` closes it.
pub(super) fn release_if_clean()
-> impl for<'c> Fn(&'c mut SqliteConnection, PoolConnectionMetadata) -> Check<'c, bool>
+ Send
+ Sync
+ 'static {
    move |conn, _meta| Box::pin(check_clean(conn))
}

/// Whether the connection is in clean autocommit (see the module comment); rolls back if not.
async fn check_clean(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    // SQLite's own view (what `sqlite3_get_autocommit` reports): BEGIN fails inside a
    // transaction. Being a command on the connection, it also runs after any ROLLBACK a
    // dropped transaction queued, so sqlx's count below is settled.
    let sqlite_in_transaction = match sqlx::raw_sql("BEGIN").execute(&mut *conn).await {
        Ok(_) => {
            sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await?;
            false
        }
        Err(_) => true,
    };
    let sqlx_in_transaction = conn.is_in_transaction();
    if !sqlite_in_transaction && !sqlx_in_transaction {
        return Ok(true);
    }
    tracing::error!(
        sqlite_in_transaction,
        sqlx_in_transaction,
        "the database writer was left inside a transaction after a failed write; \
         rolling it back and opening a fresh connection so later commits reach the disk"
    );
    if sqlite_in_transaction {
        // Closing rolls back as well; doing it here first says so in the log if it cannot.
        if let Err(error) = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await {
            tracing::error!(%error, "rolling back the abandoned transaction failed; closing the connection");
        }
    }
    Ok(false)
}

/// A page limit for the writer, standing in for a full disk in tests: 0 is none. Kept outside
/// the connection so a writer opened after a failure is as full as the one it replaces.
#[derive(Debug, Clone, Default)]
pub(super) struct PageCap(Arc<AtomicU32>);

impl PageCap {
    pub(super) fn set(&self, pages: u32) {
        self.0.store(pages, Ordering::SeqCst);
    }

    /// The `PRAGMA` that applies the current limit (SQLite's own maximum when there is none).
    pub(super) fn pragma(&self) -> String {
        match self.0.load(Ordering::SeqCst) {
            0 => "PRAGMA max_page_count = 4294967294".to_owned(),
            pages => format!("PRAGMA max_page_count = {pages}"),
        }
    }

    /// `after_connect` hook: a fresh writer gets the limit too (a no-op unless a test set one).
    pub(super) fn apply_on_connect(
        &self,
    ) -> impl for<'c> Fn(&'c mut SqliteConnection, PoolConnectionMetadata) -> Check<'c, ()>
    + Send
    + Sync
    + 'static {
        let cap = self.clone();
        move |conn, _meta| {
            let cap = cap.clone();
            Box::pin(async move {
                if cap.0.load(Ordering::SeqCst) != 0 {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(cap.pragma()))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        }
    }
}
