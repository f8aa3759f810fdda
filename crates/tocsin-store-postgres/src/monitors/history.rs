//! Reading a monitor's checks across the tiers they live in: what was rolled up from the
//! aggregates (the coarsest that fits whole in the middle of a window, finer ones toward its
//! start), what was not from the raw results.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};
use tocsin_store::rows::{ms, ts};
use tocsin_store::{CheckCounts, DailyChecks, LatencyBucket, Result, RollupSpan};

use super::rollups::{read_watermark, span_column};

/// Where one piece of a window is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Raw results with `at` in the piece.
    Raw,
    /// Aggregates of this span starting in the piece.
    Rollup(RollupSpan),
}

/// One piece of a window: `[from, to)` read from `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    source: Source,
    from: i64,
    to: i64,
}

fn floor_to(millis: i64, width: i64) -> i64 {
    millis.div_euclid(width).saturating_mul(width)
}

fn ceil_to(millis: i64, width: i64) -> i64 {
    let floor = floor_to(millis, width);
    if floor == millis {
        floor
    } else {
        floor.saturating_add(width)
    }
}

/// The pieces that hold each check of `[from, to)` exactly once. `edge` is the roll-up
/// watermark: every result before it is in every aggregate and none after it is, so an aggregate
/// that starts before the edge holds only checks before it. `spans` are the aggregates to use,
/// finest first; left of them, raw results.
fn cover(from: i64, to: i64, edge: Option<i64>, spans: &[RollupSpan]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if from >= to {
        return pieces;
    }
    let Some(edge) = edge else {
        pieces.push(Piece {
            source: Source::Raw,
            from,
            to,
        });
        return pieces;
    };
    let rolled_to = to.min(edge);
    if from < rolled_to {
        tile(from, rolled_to, to >= edge, spans, &mut pieces);
    }
    let raw_from = from.max(edge);
    if raw_from < to {
        pieces.push(Piece {
            source: Source::Raw,
            from: raw_from,
            to,
        });
    }
    pieces
}

/// Covers `[lo, hi)` of rolled-up time with whole aggregates of the coarsest span that fits,
/// then the edges with finer ones, and what is left under the finest with raw results.
/// `open_right`: `hi` is the watermark, so the aggregate straddling it holds only checks before.
fn tile(lo: i64, hi: i64, open_right: bool, spans: &[RollupSpan], pieces: &mut Vec<Piece>) {
    let Some((&span, finer)) = spans.split_last() else {
        if lo < hi {
            pieces.push(Piece {
                source: Source::Raw,
                from: lo,
                to: hi,
            });
        }
        return;
    };
    let width = span.width_ms();
    let first = ceil_to(lo, width);
    let end = if open_right {
        ceil_to(hi, width)
    } else {
        floor_to(hi, width)
    };
    if first >= end {
        tile(lo, hi, open_right, finer, pieces);
        return;
    }
    tile(lo, first, false, finer, pieces);
    pieces.push(Piece {
        source: Source::Rollup(span),
        from: first,
        to: end,
    });
    if !open_right {
        tile(end, hi, false, finer, pieces);
    }
}

/// Checks, failures and latency of a set of checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    checks: u64,
    failures: u64,
    latency_sum: u64,
    latency_max: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.checks = self.checks.saturating_add(other.checks);
        self.failures = self.failures.saturating_add(other.failures);
        self.latency_sum = self.latency_sum.saturating_add(other.latency_sum);
        self.latency_max = self.latency_max.max(other.latency_max);
    }

    fn read(row: &PgRow) -> Result<Tally> {
        let whole = |name: &str| -> Result<u64> {
            let value: Option<i64> = row.try_get(name)?;
            Ok(value.map_or(0, |value| u64::try_from(value).unwrap_or(0)))
        };
        Ok(Tally {
            checks: whole("checks")?,
            failures: whole("failures")?,
            latency_sum: whole("latency_sum")?,
            latency_max: whole("latency_max")?,
        })
    }
}

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
        self.span.push(match piece.source {
            Source::Raw => 0,
            Source::Rollup(span) => span_column(span),
        });
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
    for (group, (from, to)) in windows.iter().enumerate() {
        for piece in cover(*from, *to, snapshot.edge, &RollupSpan::ALL) {
            pieces.push(group, piece);
        }
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
        let group: i64 = row.try_get("grp")?;
        if let Some(tally) = usize::try_from(group)
            .ok()
            .and_then(|group| tallies.get_mut(group))
        {
            tally.add(Tally::read(row)?);
        }
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
    Ok(CheckCounts {
        total: tally.checks,
        ok: tally.checks.saturating_sub(tally.failures),
    })
}

pub(super) async fn daily_checks(
    pool: &PgPool,
    monitor_id: &str,
    day_starts: &[Timestamp],
) -> Result<Vec<DailyChecks>> {
    // The boundaries come from the caller, so a day is a civil day in the page's zone.
    let days: Vec<(i64, i64)> = day_starts
        .windows(2)
        .map(|pair| (ms(pair[0]), ms(pair[1])))
        .collect();
    let tallies = tallies(pool, monitor_id, &days).await?;
    Ok(day_starts
        .iter()
        .zip(tallies)
        .map(|(start, tally)| DailyChecks {
            day_start: *start,
            total: tally.checks,
            ok: tally.checks.saturating_sub(tally.failures),
        })
        .collect())
}

pub(super) async fn latency_buckets(
    pool: &PgPool,
    monitor_id: &str,
    since: Timestamp,
    bucket: Duration,
) -> Result<Vec<LatencyBucket>> {
    let width = i64::try_from(bucket.as_millis()).unwrap_or(i64::MAX).max(1);
    let since = ms(since);
    let mut snapshot = snapshot(pool, monitor_id).await?;
    let Some(key) = snapshot.key else {
        return Ok(Vec::new());
    };
    // Only aggregates that nest in a slice; none for slices under five minutes.
    let spans: Vec<RollupSpan> = RollupSpan::ALL
        .into_iter()
        .filter(|span| width % span.width_ms() == 0)
        .collect();
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
    slices
        .into_iter()
        .filter(|(_, tally)| tally.checks > 0)
        .map(|(slice, tally)| {
            Ok(LatencyBucket {
                start: ts(since.saturating_add(slice.saturating_mul(width)))?,
                checks: tally.checks,
                failures: tally.failures,
                // Whole milliseconds, rounded half up: the average needs no finer grain.
                avg_latency_ms: tally
                    .latency_sum
                    .saturating_add(tally.checks / 2)
                    .checked_div(tally.checks)
                    .unwrap_or(0),
                max_latency_ms: tally.latency_max,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;

    /// Every instant of the window is read from exactly one piece, and no aggregate read holds
    /// a check outside the window (the one straddling the watermark holds only earlier ones).
    fn assert_exact(from: i64, to: i64, edge: i64, pieces: &[Piece]) {
        let mut cursor = from;
        let mut sorted = pieces.to_vec();
        sorted.sort_by_key(|piece| piece.from);
        for piece in &sorted {
            assert_eq!(piece.from, cursor, "no gap, no overlap: {pieces:?}");
            cursor = match piece.source {
                Source::Raw => piece.to,
                Source::Rollup(span) => {
                    assert_eq!(piece.from % span.width_ms(), 0, "{piece:?}");
                    assert_eq!(piece.to % span.width_ms(), 0, "{piece:?}");
                    // Checks of the aggregates read stop at the watermark.
                    piece.to.min(edge)
                }
            };
        }
        assert_eq!(cursor, to, "the whole window: {pieces:?}");
    }

    #[test]
    fn any_window_is_covered_exactly() {
        // A deterministic sweep of awkward instants around minute, hour and day edges.
        let instants = [
            0,
            1,
            MIN - 1,
            5 * MIN,
            5 * MIN + 1,
            HOUR - 1,
            HOUR,
            HOUR + 7 * MIN,
            DAY - 3 * MIN,
            DAY,
            DAY + HOUR + 1,
            3 * DAY + 17 * MIN,
        ];
        for &from in &instants {
            for &to in &instants {
                for &edge in &instants {
                    if from < to {
                        let pieces = cover(from, to, Some(edge), &RollupSpan::ALL);
                        assert_exact(from, to, edge, &pieces);
                    }
                }
            }
        }
    }
}
