//! Reading a monitor's checks across the tiers they live in: what was rolled up from the
//! aggregates (the coarsest that fits whole in the middle of a window, finer ones toward its
//! start), what was not from the raw results.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::{PgPool, Postgres, Row, Transaction};
use tocsin_store::history::{
    self, Piece, Source, Tally, cover, cover_windows, day_windows, nesting_spans, slice_width,
    span_column,
};
use tocsin_store::rows::ms;
use tocsin_store::{CheckCounts, DailyChecks, LatencyBucket, Result};

use super::rollups::read_watermark;

/// The pieces as four parallel arrays (group, span, from, to; span 0: raw results), bound to
/// the query and read back with `unnest`.
#[derive(Default)]
struct PieceColumns {
    group: Vec<i64>,
    span: Vec<i64>,
    from: Vec<i64>,
    to: Vec<i64>,
}

impl PieceColumns {
    fn push(&mut self, group: usize, piece: Piece) {
        self.group.push(i64::try_from(group).unwrap_or(i64::MAX));
        self.span.push(piece.span_column());
        self.from.push(piece.from);
        self.to.push(piece.to);
    }
}

/// The read of one monitor's history: its key and the watermark, in one snapshot (REPEATABLE
/// READ), so a roll-up committing meanwhile cannot count a check twice.
struct Snapshot {
    tx: Transaction<'static, Postgres>,
    key: Option<i64>,
    edge: Option<i64>,
}

async fn snapshot(pool: &PgPool, monitor_id: &str) -> Result<Snapshot> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let key: Option<i64> = sqlx::query_scalar("SELECT key FROM monitors WHERE id = $1")
        .bind(monitor_id)
        .fetch_optional(&mut *tx)
        .await?;
    let edge = read_watermark(&mut tx).await?;
    Ok(Snapshot { tx, key, edge })
}

/// The tally of each window, in order.
async fn tallies(pool: &PgPool, monitor_id: &str, windows: &[(i64, i64)]) -> Result<Vec<Tally>> {
    let mut tallies = vec![Tally::default(); windows.len()];
    let mut snapshot = snapshot(pool, monitor_id).await?;
    let Some(key) = snapshot.key else {
        return Ok(tallies);
    };
    let mut pieces = PieceColumns::default();
    for (group, piece) in cover_windows(windows, snapshot.edge) {
        pieces.push(group, piece);
    }
    // Each piece is one range of the monitor's key in one table; a group may get a row from
    // each table.
    let rows = sqlx::query(
        "WITH p (grp, span, lo, hi) AS \
           (SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[])) \
         SELECT p.grp, sum(r.checks)::BIGINT AS checks, sum(r.failures)::BIGINT AS failures, \
           sum(r.latency_sum)::BIGINT AS latency_sum, max(r.latency_max) AS latency_max \
         FROM p JOIN check_rollups r ON r.monitor = $5 AND r.span = p.span \
           AND r.start >= p.lo AND r.start < p.hi \
         WHERE p.span <> 0 GROUP BY p.grp \
         UNION ALL \
         SELECT p.grp, count(*) AS checks, sum(1 - c.ok)::BIGINT AS failures, \
           sum(c.latency_ms)::BIGINT AS latency_sum, max(c.latency_ms) AS latency_max \
         FROM p JOIN check_results c ON c.monitor = $5 AND c.at >= p.lo AND c.at < p.hi \
         WHERE p.span = 0 GROUP BY p.grp",
    )
    .bind(&pieces.group)
    .bind(&pieces.span)
    .bind(&pieces.from)
    .bind(&pieces.to)
    .bind(key)
    .fetch_all(&mut *snapshot.tx)
    .await?;
    snapshot.tx.commit().await?;
    for row in &rows {
        Tally::add_to_group(&mut tallies, row)?;
    }
    Ok(tallies)
}

pub(super) async fn check_counts(
    pool: &PgPool,
    monitor_id: &str,
    since: Timestamp,
) -> Result<CheckCounts> {
    let tally = tallies(pool, monitor_id, &[(ms(since), i64::MAX)])
        .await?
        .pop()
        .unwrap_or_default();
    Ok(tally.counts())
}

pub(super) async fn daily_checks(
    pool: &PgPool,
    monitor_id: &str,
    day_starts: &[Timestamp],
) -> Result<Vec<DailyChecks>> {
    let tallies = tallies(pool, monitor_id, &day_windows(day_starts)).await?;
    Ok(history::daily_checks(day_starts, tallies))
}

pub(super) async fn latency_buckets(
    pool: &PgPool,
    monitor_id: &str,
    since: Timestamp,
    bucket: Duration,
) -> Result<Vec<LatencyBucket>> {
    let width = slice_width(bucket);
    let since = ms(since);
    let mut snapshot = snapshot(pool, monitor_id).await?;
    let Some(key) = snapshot.key else {
        return Ok(Vec::new());
    };
    let spans = nesting_spans(width);
    let mut slices: BTreeMap<i64, Tally> = BTreeMap::new();
    for piece in cover(since, i64::MAX, snapshot.edge, &spans) {
        // Grouped in SQL by slice, so a day of 10-second checks is a few dozen rows.
        let (sql, span) = match piece.source {
            Source::Raw => (
                "SELECT (at - $1) / $2 AS slice, count(*) AS checks, sum(1 - ok)::BIGINT AS failures, \
                   sum(latency_ms)::BIGINT AS latency_sum, max(latency_ms) AS latency_max \
                 FROM check_results WHERE monitor = $3 AND at >= $4 AND at < $5 \
                 GROUP BY slice",
                None,
            ),
            Source::Rollup(span) => (
                "SELECT (start - $1) / $2 AS slice, sum(checks)::BIGINT AS checks, \
                   sum(failures)::BIGINT AS failures, sum(latency_sum)::BIGINT AS latency_sum, \
                   max(latency_max) AS latency_max \
                 FROM check_rollups WHERE monitor = $3 AND start >= $4 AND start < $5 AND span = $6 \
                 GROUP BY slice",
                Some(span_column(span)),
            ),
        };
        let mut query = sqlx::query(sql)
            .bind(since)
            .bind(width)
            .bind(key)
            .bind(piece.from)
            .bind(piece.to);
        if let Some(span) = span {
            query = query.bind(span);
        }
        let rows = query.fetch_all(&mut *snapshot.tx).await?;
        for row in &rows {
            let slice: i64 = row.try_get("slice")?;
            slices.entry(slice).or_default().add(Tally::read(row)?);
        }
    }
    snapshot.tx.commit().await?;
    history::latency_buckets(since, width, slices)
}
