//! A full disk (a page limit on the writer, failing writes with SQLITE_FULL as a full disk does)
//! fails the decision being written, and every decision after the disk has room again is in the
//! file, as a fresh connection (a restarted tocsin) reads it.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sqlx::Connection;
use tocsin_core::check::CheckOutcome;
use tocsin_core::inbound::{Change, ChangeKind};
use tocsin_core::monitor::{MonitorState, MonitorStatus};

use crate::{SqliteOptions, SqliteStore};
use tocsin_store::StoreError;
use tocsin_store::prelude::*;
use tocsin_store::{CheckCommit, Commit};

/// Rows bigger than a page, so each write needs new pages.
const BIG: usize = 64 * 1024;

/// A database file in its own folder, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("tocsin-full-disk-{}", uuid::Uuid::now_v7()));
        Scratch(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("tocsin.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(
        path.to_str().expect("utf-8 path"),
        &SqliteOptions::default(),
    )
    .await
    .expect("open the store")
}

/// A decision that records a deploy; `padding` bytes of details make it as big as wanted.
fn deploy(summary: &str, padding: usize) -> Commit {
    Commit {
        now: Timestamp::UNIX_EPOCH,
        changes: vec![Change {
            source: "integration:ci".to_owned(),
            kind: ChangeKind::Deploy,
            external_id: None,
            summary: summary.to_owned(),
            service: None,
            environment: None,
            commit: None,
            branch: None,
            author: None,
            status: None,
            url: None,
            occurred_at: Timestamp::UNIX_EPOCH,
            details: serde_json::Value::String("x".repeat(padding)),
        }],
        ..Commit::default()
    }
}

/// What a restarted tocsin would find: the deploy summaries in the file, read by a connection
/// of its own (anything only inside the running writer's open transaction is not there).
async fn summaries_on_disk(path: &Path) -> Vec<String> {
    let mut fresh = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open the file afresh");
    let summaries = sqlx::query_scalar("SELECT summary FROM changes ORDER BY seq")
        .fetch_all(&mut fresh)
        .await
        .expect("read the changes");
    fresh.close().await.expect("close");
    summaries
}

fn is_disk_full(error: &StoreError) -> bool {
    matches!(error, StoreError::Database(sqlx::Error::Database(db)) if db.code().as_deref() == Some("13"))
}

async fn fill_the_disk(store: &SqliteStore) {
    let pages = store.page_count_for_tests().await.expect("page count");
    store
        .limit_pages_for_tests(Some(pages + 2))
        .await
        .expect("limit the pages");
}

#[tokio::test]
async fn decisions_after_a_full_disk_clears_reach_the_file() {
    let scratch = Scratch::new();
    let store = open(&scratch.db()).await;
    let with_link = |summary: &str| Commit {
        consume_token: Some("ack-link-nonce".to_owned()),
        ..deploy(summary, 10)
    };
    store
        .commit(with_link("before"))
        .await
        .expect("room on disk");

    fill_the_disk(&store).await;
    for attempt in ["while full 1", "while full 2"] {
        let error = store
            .commit(deploy(attempt, BIG))
            .await
            .expect_err("a full disk fails the decision");
        assert!(is_disk_full(&error), "{attempt}: {error}");
    }
    store.limit_pages_for_tests(None).await.expect("room again");

    // An acknowledge link clicked twice: its transaction is abandoned, as any refused one is.
    let again = store.commit(with_link("second click")).await;
    assert!(matches!(again, Err(StoreError::TokenUsed)), "{again:?}");
    store
        .commit(deploy("after 1", BIG))
        .await
        .expect("room on disk again");
    store
        .commit(deploy("after 2", 10))
        .await
        .expect("room on disk again");

    assert_eq!(
        summaries_on_disk(&scratch.db()).await,
        ["before", "after 1", "after 2"],
        "every decision answered Ok after the disk had room is in the file; the failed ones are not"
    );
}

#[tokio::test]
async fn check_batches_refused_by_a_full_disk_are_written_by_a_later_flush() {
    let scratch = Scratch::new();
    let store = open(&scratch.db()).await;
    store
        .sync_monitors(&[("web".to_owned(), Timestamp::UNIX_EPOCH)])
        .await
        .expect("monitors");
    let check = |second: i64, error: String| CheckCommit {
        run_started_at: None,
        monitor_id: "web".to_owned(),
        at: Timestamp::from_second(second).expect("timestamp"),
        outcome: Some(CheckOutcome {
            ok: false,
            status: Some(503),
            latency_ms: 5,
            error: Some(error),
            degraded: None,
        }),
        state: MonitorState {
            status: MonitorStatus::Pending,
            since: None,
            failures: 1,
            failing_since: None,
            last_check_at: Some(Timestamp::from_second(second).expect("timestamp")),
            last_latency_ms: Some(5),
            last_error: None,
        },
        next_check_at: Timestamp::from_second(second + 5).expect("timestamp"),
    };
    let batch: Vec<CheckCommit> = (1..=3).map(|s| check(s, "x".repeat(BIG))).collect();
    let with_link = || Commit {
        consume_token: Some("ack-link-nonce".to_owned()),
        ..deploy("acknowledged", 10)
    };
    store.commit(with_link()).await.expect("room on disk");

    fill_the_disk(&store).await;
    let error = store
        .record_checks(&batch)
        .await
        .expect_err("a full disk fails the batch");
    assert!(is_disk_full(&error), "{error}");
    // The link clicked again meanwhile: its transaction is abandoned, not failed by the disk.
    let again = store.commit(with_link()).await;
    assert!(matches!(again, Err(StoreError::TokenUsed)), "{again:?}");
    store.limit_pages_for_tests(None).await.expect("room again");

    // The engine flushes the buffered batch again, with newer results after it.
    store
        .record_checks(&batch)
        .await
        .expect("room on disk again");
    store
        .record_checks(&[check(4, "timed out".to_owned())])
        .await
        .expect("room on disk again");
    drop(store);

    let mut fresh =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", scratch.db().display()))
            .await
            .expect("open the file afresh");
    let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM check_results")
        .fetch_one(&mut fresh)
        .await
        .expect("count");
    assert_eq!(checks, 4, "the retried batch and the next one are on disk");
}

#[tokio::test]
async fn an_in_memory_database_outlives_the_writer_it_replaces() {
    let store = SqliteStore::open("sqlite::memory:", &SqliteOptions::default())
        .await
        .expect("open");
    let with_link = |summary: &str| Commit {
        consume_token: Some("ack-link-nonce".to_owned()),
        ..deploy(summary, 10)
    };
    store.commit(with_link("before")).await.expect("room");
    fill_the_disk(&store).await;
    let error = store
        .commit(deploy("while full", BIG))
        .await
        .expect_err("a full database fails the decision");
    assert!(is_disk_full(&error), "{error}");
    store.limit_pages_for_tests(None).await.expect("room again");
    let again = store.commit(with_link("second click")).await;
    assert!(matches!(again, Err(StoreError::TokenUsed)), "{again:?}");
    store.commit(deploy("after", 10)).await.expect("room again");

    let summaries: Vec<String> = store
        .changes(None, 10)
        .await
        .expect("changes")
        .into_iter()
        .map(|change| change.change.summary)
        .collect();
    assert_eq!(summaries, ["after", "before"], "newest first");
}
