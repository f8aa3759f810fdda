//! Monitor history's backend-neutral arithmetic: splitting a window into pieces read from raw
//! results or roll-up aggregates, tallying what the pieces hold, and how roll-up times, spans
//! and counts are stored. Each backend only says how to read a piece (its SQL).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::rows::{Columns, ms, ts};
use crate::{CheckCounts, DailyChecks, LatencyBucket, Result, RollupSpan};

/// The settings row holding the end of what was rolled up (epoch ms, exclusive).
pub const WATERMARK: &str = "rollup_watermark_ms";

/// Raw results rolled up per transaction, at most: an hour of them.
pub const ROLLUP_STEP_MS: i64 = 3_600_000;

/// A duration as whole milliseconds (a duration past `i64` reads as the largest).
pub fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The start of the minute `millis` falls in: roll-ups move in whole minutes.
pub fn floor_minute(millis: i64) -> i64 {
    millis.div_euclid(60_000) * 60_000
}

/// A stored count as `u64` (a negative one, which tocsin never writes, reads as none).
pub fn whole(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// How a span is stored: its width in minutes (the `span` column).
pub fn span_column(span: RollupSpan) -> i64 {
    span.width_ms() / 60_000
}

/// Where one piece of a window is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Raw results with `at` in the piece.
    Raw,
    /// Aggregates of this span starting in the piece.
    Rollup(RollupSpan),
}

/// One piece of a window: `[from, to)` read from `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub source: Source,
    pub from: i64,
    pub to: i64,
}

impl Piece {
    /// The piece's source as bound to a query: the span column, 0 for raw results.
    pub fn span_column(&self) -> i64 {
        match self.source {
            Source::Raw => 0,
            Source::Rollup(span) => span_column(span),
        }
    }
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
pub fn cover(from: i64, to: i64, edge: Option<i64>, spans: &[RollupSpan]) -> Vec<Piece> {
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

/// The pieces of every window, each with its window's index (its group), windows in order.
pub fn cover_windows(windows: &[(i64, i64)], edge: Option<i64>) -> Vec<(usize, Piece)> {
    windows
        .iter()
        .enumerate()
        .flat_map(|(group, (from, to))| {
            cover(*from, *to, edge, &RollupSpan::ALL)
                .into_iter()
                .map(move |piece| (group, piece))
        })
        .collect()
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
pub struct Tally {
    pub checks: u64,
    pub failures: u64,
    pub latency_sum: u64,
    pub latency_max: u64,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.checks = self.checks.saturating_add(other.checks);
        self.failures = self.failures.saturating_add(other.failures);
        self.latency_sum = self.latency_sum.saturating_add(other.latency_sum);
        self.latency_max = self.latency_max.max(other.latency_max);
    }

    /// A row of `checks`, `failures`, `latency_sum` and `latency_max` (a NULL sum, of no rows,
    /// is none).
    pub fn read(row: &(impl Columns + ?Sized)) -> Result<Tally> {
        let whole = |name: &str| -> Result<u64> {
            let value: Option<i64> = row.maybe_int(name)?;
            Ok(value.map_or(0, whole))
        };
        Ok(Tally {
            checks: whole("checks")?,
            failures: whole("failures")?,
            latency_sum: whole("latency_sum")?,
            latency_max: whole("latency_max")?,
        })
    }

    /// Adds a row of [`Tally::read`]'s columns to the tally of its window, numbered by its
    /// `grp` column (a row of no window, which tocsin never asks for, is passed over).
    pub fn add_to_group(tallies: &mut [Tally], row: &(impl Columns + ?Sized)) -> Result<()> {
        let group = row.int("grp")?;
        if let Some(tally) = usize::try_from(group)
            .ok()
            .and_then(|group| tallies.get_mut(group))
        {
            tally.add(Tally::read(row)?);
        }
        Ok(())
    }

    /// The tally as the checks and how many passed.
    pub fn counts(&self) -> CheckCounts {
        CheckCounts {
            total: self.checks,
            ok: self.checks.saturating_sub(self.failures),
        }
    }
}

/// The windows between consecutive day starts. The boundaries come from the caller, so a day is
/// a civil day in the page's zone.
pub fn day_windows(day_starts: &[Timestamp]) -> Vec<(i64, i64)> {
    day_starts
        .windows(2)
        .map(|pair| (ms(pair[0]), ms(pair[1])))
        .collect()
}

/// Each day's checks, from the tallies of [`day_windows`] in order.
pub fn daily_checks(day_starts: &[Timestamp], tallies: Vec<Tally>) -> Vec<DailyChecks> {
    day_starts
        .iter()
        .zip(tallies)
        .map(|(start, tally)| {
            let CheckCounts { total, ok } = tally.counts();
            DailyChecks {
                day_start: *start,
                total,
                ok,
            }
        })
        .collect()
}

/// A latency slice's width in milliseconds (at least one).
pub fn slice_width(bucket: Duration) -> i64 {
    duration_ms(bucket).max(1)
}

/// The aggregates that nest in a slice of `width`; none for slices under five minutes.
pub fn nesting_spans(width: i64) -> Vec<RollupSpan> {
    RollupSpan::ALL
        .into_iter()
        .filter(|span| width % span.width_ms() == 0)
        .collect()
}

/// The latency buckets of the slices (numbered from `since`, `width` apart) that hold a check.
pub fn latency_buckets(
    since: i64,
    width: i64,
    slices: BTreeMap<i64, Tally>,
) -> Result<Vec<LatencyBucket>> {
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

    fn raw(from: i64, to: i64) -> Piece {
        Piece {
            source: Source::Raw,
            from,
            to,
        }
    }

    fn rolled(span: RollupSpan, from: i64, to: i64) -> Piece {
        Piece {
            source: Source::Rollup(span),
            from,
            to,
        }
    }

    /// Every instant of the window is read from exactly one piece, and no aggregate read holds
    /// a check outside the window (the one straddling the watermark holds only earlier ones).
    fn assert_exact(from: i64, to: i64, edge: i64, pieces: &[Piece]) {
        let mut cursor = from;
        let mut sorted = pieces.to_vec();
        sorted.sort_by_key(|piece| piece.from);
        for piece in &sorted {
            assert_eq!(piece.from, cursor, "no gap, no overlap: {pieces:?}");
            let covers_to = match piece.source {
                Source::Raw => piece.to,
                Source::Rollup(span) => {
                    assert_eq!(piece.from % span.width_ms(), 0, "{piece:?}");
                    assert_eq!(piece.to % span.width_ms(), 0, "{piece:?}");
                    // Checks of the aggregates read stop at the watermark.
                    piece.to.min(edge)
                }
            };
            cursor = covers_to;
        }
        assert_eq!(cursor, to, "the whole window: {pieces:?}");
    }

    #[test]
    fn a_window_of_three_days_reads_days_in_the_middle_and_finer_aggregates_at_its_start() {
        let from = 10 * DAY + 7 * HOUR + 12 * MIN + 30_000;
        let edge = 13 * DAY + 9 * HOUR + 41 * MIN;
        let pieces = cover(from, i64::MAX, Some(edge), &RollupSpan::ALL);
        assert_eq!(
            pieces,
            [
                raw(from, 10 * DAY + 7 * HOUR + 15 * MIN),
                rolled(
                    RollupSpan::FiveMinutes,
                    10 * DAY + 7 * HOUR + 15 * MIN,
                    10 * DAY + 8 * HOUR
                ),
                rolled(RollupSpan::Hour, 10 * DAY + 8 * HOUR, 11 * DAY),
                // Today's row holds today's checks up to the watermark.
                rolled(RollupSpan::Day, 11 * DAY, 14 * DAY),
                raw(edge, i64::MAX),
            ]
        );
        assert_exact(from, i64::MAX, edge, &pieces);
    }

    #[test]
    fn a_closed_window_reads_finer_aggregates_at_both_ends() {
        let from = 2 * DAY + 30 * MIN; // a civil day in UTC+05:30
        let to = 3 * DAY + 30 * MIN;
        let edge = 9 * DAY;
        let pieces = cover(from, to, Some(edge), &RollupSpan::ALL);
        assert_eq!(
            pieces,
            [
                rolled(RollupSpan::FiveMinutes, from, 2 * DAY + HOUR),
                rolled(RollupSpan::Hour, 2 * DAY + HOUR, 3 * DAY),
                rolled(RollupSpan::FiveMinutes, 3 * DAY, to),
            ]
        );
        assert_exact(from, to, edge, &pieces);
    }

    #[test]
    fn a_window_never_rolled_up_reads_raw_results_only() {
        assert_eq!(cover(5, 50, None, &RollupSpan::ALL), [raw(5, 50)]);
        // Entirely after the watermark.
        assert_eq!(
            cover(5 * HOUR, 6 * HOUR, Some(HOUR), &RollupSpan::ALL),
            [raw(5 * HOUR, 6 * HOUR)]
        );
        // Slices under five minutes: no aggregate nests in them.
        assert_eq!(
            cover(0, 3 * HOUR, Some(HOUR), &[]),
            [raw(0, HOUR), raw(HOUR, 3 * HOUR)]
        );
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
