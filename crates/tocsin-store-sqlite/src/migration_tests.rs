//! A database written by the last release before bounded history (migrations up to 0015: text
//! monitor ids, per-minute aggregates) opens with every check and aggregate it held, in the new
//! shape, and goes on working.

use std::path::PathBuf;

use jiff::Timestamp;
use sqlx::{ConnectOptions, Connection};
use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::MonitorState;

use crate::{MIGRATOR, SqliteOptions, SqliteStore};
use tocsin_store::prelude::*;
use tocsin_store::{CheckCommit, RollupSpan};

/// The last migration of the old shape.
const BEFORE: i64 = 15;
/// 2026-01-01T00:00:00Z, in epoch milliseconds.
const START: i64 = 1_767_225_600_000;
const MINUTE: i64 = 60_000;

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millisecond(millis).expect("a valid instant")
}

#[tokio::test]
async fn an_old_database_keeps_its_checks_and_aggregates_in_the_new_shape() {
    let scratch =
        Scratch(std::env::temp_dir().join(format!("tocsin-migration-{}", uuid::Uuid::now_v7())));
    std::fs::create_dir_all(&scratch.0).expect("scratch folder");
    let path = scratch.0.join("tocsin.db");
    let mut old = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("old database");
    MIGRATOR
        .run_to(BEFORE, &mut old)
        .await
        .expect("the old shape");
    // Two monitors checked every 30 s for 20 minutes, `api` failing from minute 4 to 6; the
    // last result of `api` twice in one millisecond (two heartbeat pings at once).
    sqlx::raw_sql(
        "INSERT INTO monitors (id, status, next_check_at, first_check_at) VALUES \
           ('api', 'up', 0, 1767225600000), ('web', 'up', 0, 1767225600000);",
    )
    .execute(&mut old)
    .await
    .expect("monitors");
    for id in ["api", "web"] {
        for k in 0..40i64 {
            let failed = id == "api" && (8..12).contains(&k);
            sqlx::query(
                "INSERT INTO check_results (monitor_id, at, ok, status, latency_ms, error) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(START + k * 30_000)
            .bind(!failed)
            .bind(if failed { 503 } else { 200 })
            .bind(20 + k)
            .bind(failed.then_some("status 503"))
            .execute(&mut old)
            .await
            .expect("a check");
        }
    }
    sqlx::query(
        "INSERT INTO check_results (monitor_id, at, ok, status, latency_ms, error) \
         VALUES ('api', ?, 1, 200, 7, NULL)",
    )
    .bind(START + 39 * 30_000)
    .execute(&mut old)
    .await
    .expect("a second check in the same millisecond");
    // The old housekeeping had rolled up the first 15 minutes, into all three spans.
    let rolled = START + 15 * MINUTE;
    for (span, width) in [
        ("minute", MINUTE),
        ("hour", 60 * MINUTE),
        ("day", 1440 * MINUTE),
    ] {
        sqlx::query(
            "INSERT INTO check_rollups (monitor_id, span, start, checks, failures, latency_sum, latency_max) \
             SELECT monitor_id, ?1, (at / ?2) * ?2, count(*), sum(1 - ok), sum(latency_ms), max(latency_ms) \
             FROM check_results WHERE at < ?3 GROUP BY monitor_id, (at / ?2) * ?2",
        )
        .bind(span)
        .bind(width)
        .bind(rolled)
        .execute(&mut old)
        .await
        .expect("aggregates");
    }
    sqlx::query("INSERT INTO settings (name, value) VALUES ('rollup_watermark_ms', ?)")
        .bind(rolled.to_string())
        .execute(&mut old)
        .await
        .expect("watermark");
    old.close().await.expect("close");

    let store = SqliteStore::open(
        path.to_str().expect("utf-8 path"),
        &SqliteOptions::default(),
    )
    .await
    .expect("the migration runs");

    // Every raw result is there, newest first, the two of one millisecond both kept.
    let api = store.recent_checks("api", 100).await.expect("checks");
    assert_eq!(api.len(), 41);
    assert_eq!(api[0].at, at(START + 39 * 30_000));
    assert_eq!(api[1].at, at(START + 39 * 30_000));
    assert_eq!(
        api.iter().filter(|check| !check.outcome.ok).count(),
        4,
        "the failures kept their outcome"
    );
    assert_eq!(
        api.iter()
            .find(|check| !check.outcome.ok)
            .and_then(|check| check.outcome.error.clone())
            .as_deref(),
        Some("status 503")
    );
    // Fifteen minutes of per-minute aggregates are three five-minute ones, sums intact.
    let five = store
        .rollups(
            "api",
            RollupSpan::FiveMinutes,
            at(START),
            at(START + 60 * MINUTE),
        )
        .await
        .expect("five-minute aggregates");
    assert_eq!(
        five.iter()
            .map(|r| (r.start, r.checks, r.failures))
            .collect::<Vec<_>>(),
        [
            (at(START), 10, 2),
            (at(START + 5 * MINUTE), 10, 2),
            (at(START + 10 * MINUTE), 10, 0),
        ]
    );
    assert_eq!(
        five.iter().map(|r| r.latency_sum_ms).sum::<u64>(),
        (0..30).map(|k| 20 + k).sum::<u64>()
    );
    for span in [RollupSpan::Hour, RollupSpan::Day] {
        let rows = store
            .rollups("web", span, at(START), at(START + 1440 * MINUTE))
            .await
            .expect("aggregates");
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].checks, rows[0].failures), (30, 0));
    }
    // Counts join the aggregates (before the watermark) and the raw results (after) once each.
    let counts = store.check_counts("api", at(START)).await.expect("counts");
    assert_eq!((counts.total, counts.ok), (41, 37));

    // The store goes on: a new result lands under the same monitor.
    store
        .record_checks(&[CheckCommit {
            run_started_at: None,
            monitor_id: "web".to_owned(),
            at: at(START + 40 * 30_000),
            outcome: Some(CheckOutcome::up(Some(200), 9)),
            state: MonitorState::pending(),
            next_check_at: at(START + 41 * 30_000),
        }])
        .await
        .expect("a new check");
    assert_eq!(
        store.recent_checks("web", 100).await.expect("checks").len(),
        41
    );
}
