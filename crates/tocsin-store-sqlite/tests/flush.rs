//! Durability of the write path on a real file: a commit is acknowledged only once the
//! flusher has put it on disk, and after a flush fails nothing is acknowledged again.

use std::path::Path;

use tocsin_store::{Commit, IncidentStore};
use tocsin_store_sqlite::{SqliteOptions, SqliteStore};

/// A store on `tocsin.db` in `folder`.
async fn open_in(folder: &Path, options: &SqliteOptions) -> SqliteStore {
    let url = format!("sqlite://{}", folder.join("tocsin.db").display());
    SqliteStore::open(&url, options).await.expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_flush_is_never_acknowledged_and_every_later_write_is_refused() {
    let folder = tempfile::tempdir().expect("tempdir");
    let store = open_in(folder.path(), &SqliteOptions::default()).await;
    store
        .commit(Commit::default())
        .await
        .expect("a commit that reaches the disk is acknowledged");

    // The log moved away under SQLite (which keeps writing to it through its open file): the
    // flusher can no longer reach the file it must flush, as when the disk refuses a flush.
    let log = folder.path().join("tocsin.db-wal");
    let aside = folder.path().join("aside");
    std::fs::rename(&log, &aside).expect("move the log");
    let error = store
        .commit(Commit::default())
        .await
        .expect_err("a commit that was not flushed is not acknowledged");
    assert!(error.to_string().contains("flushing"), "{error}");

    // The file is back, but what the failed flush missed cannot be trusted to be there.
    std::fs::rename(&aside, &log).expect("put the log back");
    let error = store
        .commit(Commit::default())
        .await
        .expect_err("every later write is refused until a restart");
    assert!(error.to_string().contains("restarts"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_synchronous_normal_there_is_no_flusher_to_fail() {
    let folder = tempfile::tempdir().expect("tempdir");
    let options = SqliteOptions {
        synchronous_full: false,
        ..SqliteOptions::default()
    };
    let store = open_in(folder.path(), &options).await;
    std::fs::rename(
        folder.path().join("tocsin.db-wal"),
        folder.path().join("aside"),
    )
    .expect("move the log");
    store
        .commit(Commit::default())
        .await
        .expect("NORMAL acknowledges at COMMIT, as SQLite does");
}
