//! Reading a monitor's checks across the tiers they live in: what was rolled up from the
//! aggregates (the coarsest that fits whole in the middle of a window, finer ones toward its
//! start), what was not from the raw results.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::{Row, Sqlite, Transaction};
use tocsin_store::history::{
    Piece, Source, Tally, WATERMARK, cover, cover_windows, daily_checks, day_windows,
    latency_buckets, nesting_spans, slice_width, span_column,
};
use tocsin_store::{CheckCounts, DailyChecks, LatencyBucket, Result, StoreError};

use crate::SqliteStore;
use crate::rows::ms;

/// The pieces bound as one JSON list of `[group, span, from, to]` (span 0: raw results).
fn pieces_json(pieces: &[(usize, Piece)]) -> Result<String> {
    let list: Vec<[i64; 4]> = pieces
        .iter()
        .map(|(group, piece)| {
            [
                i64::try_from(*group).unwrap_or(i64::MAX),
                piece.span_column(),
                piece.from,
                piece.to,
            ]
        })
        .collect();
    serde_json::to_string(&list).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The read of one monitor's history: its key and the watermark, in one snapshot, so a
/// roll-up committing meanwhile cannot count a check twice.
struct Snapshot<'c> {
    tx: Transaction<'c, Sqlite>,
    key: Option<i64>,
    edge: Option<i64>,
}

impl SqliteStore {
    async fn snapshot(&self, monitor_id: &str) -> Result<Snapshot<'static>> {
        let mut tx = self.reader.begin().await?;
        let key: Option<i64> = sqlx::query_scalar("SELECT key FROM monitors WHERE id = ?")
            .bind(monitor_id)
            .fetch_optional(&mut *tx)
            .await?;
        let edge: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(WATERMARK)
            .fetch_optional(&mut *tx)
            .await?;
        let edge = edge.and_then(|value| value.parse::<i64>().ok());
        Ok(Snapshot { tx, key, edge })
    }

    /// The tally of each window, in order.
    async fn tallies(&self, monitor_id: &str, windows: &[(i64, i64)]) -> Result<Vec<Tally>> {
        let mut tallies = vec![Tally::default(); windows.len()];
        let mut snapshot = self.snapshot(monitor_id).await?;
        let Some(key) = snapshot.key else {
            return Ok(tallies);
        };
        let list = pieces_json(&cover_windows(windows, snapshot.edge))?;
        // Each piece is one seek into the monitor's key range of one table.
        for sql in [
            "SELECT json_extract(p.value, '$[0]') AS grp, sum(r.checks) AS checks, \
               sum(r.failures) AS failures, sum(r.latency_sum) AS latency_sum, \
               max(r.latency_max) AS latency_max \
             FROM json_each(?1) p CROSS JOIN check_rollups r ON r.monitor = ?2 \
               AND r.span = json_extract(p.value, '$[1]') \
               AND r.start >= json_extract(p.value, '$[2]') AND r.start < json_extract(p.value, '$[3]') \
             WHERE json_extract(p.value, '$[1]') != 0 GROUP BY grp",
            "SELECT json_extract(p.value, '$[0]') AS grp, count(*) AS checks, \
               sum(1 - c.ok) AS failures, sum(c.latency_ms) AS latency_sum, \
               max(c.latency_ms) AS latency_max \
             FROM json_each(?1) p CROSS JOIN check_results c ON c.monitor = ?2 \
               AND c.at >= json_extract(p.value, '$[2]') AND c.at < json_extract(p.value, '$[3]') \
             WHERE json_extract(p.value, '$[1]') = 0 GROUP BY grp",
        ] {
            let rows = sqlx::query(sql)
                .bind(&list)
                .bind(key)
                .fetch_all(&mut *snapshot.tx)
                .await?;
            for row in &rows {
                Tally::add_to_group(&mut tallies, row)?;
            }
        }
        snapshot.tx.commit().await?;
        Ok(tallies)
    }

    pub(super) async fn check_counts_sql(
        &self,
        monitor_id: &str,
        since: Timestamp,
    ) -> Result<CheckCounts> {
        let tally = self
            .tallies(monitor_id, &[(ms(since), i64::MAX)])
            .await?
            .pop()
            .unwrap_or_default();
        Ok(tally.counts())
    }

    pub(super) async fn daily_checks_sql(
        &self,
        monitor_id: &str,
        day_starts: &[Timestamp],
    ) -> Result<Vec<DailyChecks>> {
        let tallies = self.tallies(monitor_id, &day_windows(day_starts)).await?;
        Ok(daily_checks(day_starts, tallies))
    }

    pub(super) async fn latency_buckets_sql(
        &self,
        monitor_id: &str,
        since: Timestamp,
        bucket: Duration,
    ) -> Result<Vec<LatencyBucket>> {
        let width = slice_width(bucket);
        let since = ms(since);
        let mut snapshot = self.snapshot(monitor_id).await?;
        let Some(key) = snapshot.key else {
            return Ok(Vec::new());
        };
        let spans = nesting_spans(width);
        let mut slices: BTreeMap<i64, Tally> = BTreeMap::new();
        for piece in cover(since, i64::MAX, snapshot.edge, &spans) {
            // Grouped in SQL by slice, so a day of 10-second checks is a few dozen rows.
            let rows = match piece.source {
                Source::Raw => sqlx::query(
                    "SELECT (at - ?1) / ?2 AS slice, count(*) AS checks, sum(1 - ok) AS failures, \
                           sum(latency_ms) AS latency_sum, max(latency_ms) AS latency_max \
                         FROM check_results WHERE monitor = ?3 AND at >= ?4 AND at < ?5 \
                         GROUP BY slice",
                )
                .bind(since)
                .bind(width)
                .bind(key)
                .bind(piece.from)
                .bind(piece.to)
                .fetch_all(&mut *snapshot.tx)
                .await?,
                Source::Rollup(span) => {
                    sqlx::query(
                        "SELECT (start - ?1) / ?2 AS slice, sum(checks) AS checks, \
                           sum(failures) AS failures, sum(latency_sum) AS latency_sum, \
                           max(latency_max) AS latency_max \
                         FROM check_rollups WHERE monitor = ?3 AND span = ?4 \
                           AND start >= ?5 AND start < ?6 GROUP BY slice",
                    )
                    .bind(since)
                    .bind(width)
                    .bind(key)
                    .bind(span_column(span))
                    .bind(piece.from)
                    .bind(piece.to)
                    .fetch_all(&mut *snapshot.tx)
                    .await?
                }
            };
            for row in &rows {
                let slice: i64 = row.try_get("slice")?;
                slices.entry(slice).or_default().add(Tally::read(row)?);
            }
        }
        snapshot.tx.commit().await?;
        latency_buckets(since, width, slices)
    }
}
