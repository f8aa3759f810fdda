//! Uptime from outage intervals, exact to the millisecond: each interval is clipped to the
//! window, overlapping ones are merged, and only the time a monitor was watched counts.

use jiff::Timestamp;

use crate::status::Uptime;

/// One outage of a monitor: down from its first failed check until the check that found it
/// answering again (`None` while it is still down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub from: Timestamp,
    pub until: Option<Timestamp>,
}

/// A monitor's record for uptime: since when it is watched and its outages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorHistory {
    /// Its first check; `None` when it was never checked.
    pub monitored_since: Option<Timestamp>,
    pub outages: Vec<Outage>,
}

/// Watched time and down time within a window, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measured {
    pub monitored_ms: i64,
    pub down_ms: i64,
}

impl Measured {
    /// The share of the watched time it was up; `None` when it was not watched at all.
    pub fn fraction(self) -> Option<f64> {
        // Milliseconds fit an f64 exactly for hundreds of thousands of years.
        #[allow(clippy::cast_precision_loss)]
        (self.monitored_ms > 0).then(|| {
            (self.monitored_ms - self.down_ms.clamp(0, self.monitored_ms)) as f64
                / self.monitored_ms as f64
        })
    }

    pub fn plus(self, other: Measured) -> Measured {
        Measured {
            monitored_ms: self.monitored_ms.saturating_add(other.monitored_ms),
            down_ms: self.down_ms.saturating_add(other.down_ms),
        }
    }
}

/// How long a monitor was watched and down within `[from, to)`. The caller passes `to` no later
/// than now; an outage still open counts as down until `to`.
pub fn measure(history: &MonitorHistory, from: Timestamp, to: Timestamp) -> Measured {
    let Some(since) = history.monitored_since else {
        return Measured::default();
    };
    let start = from.max(since).as_millisecond();
    let end = to.as_millisecond();
    if end <= start {
        return Measured::default();
    }
    let mut spans: Vec<(i64, i64)> = history
        .outages
        .iter()
        .map(|outage| {
            let down_from = outage.from.as_millisecond().max(start);
            let down_until = outage.until.map_or(end, Timestamp::as_millisecond).min(end);
            (down_from, down_until)
        })
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort_unstable();
    let mut down_ms = 0i64;
    let mut covered_until = start;
    for (a, b) in spans {
        let a = a.max(covered_until);
        if b > a {
            down_ms += b - a;
            covered_until = b;
        }
    }
    Measured {
        monitored_ms: end - start,
        down_ms,
    }
}

/// A component's uptime per day (`day_starts` are `n + 1` boundaries of `n` days) and over the
/// whole window, from the histories of its monitors. A day's share is the monitors' up time over
/// their watched time that day (so a monitor added mid-day counts from its first check); days
/// after `now` are cut at `now`, and a day nobody watched is `None`.
pub fn daily(monitors: &[MonitorHistory], day_starts: &[Timestamp], now: Timestamp) -> Uptime {
    let mut whole = Measured::default();
    let days = day_starts
        .windows(2)
        .map(|day| {
            let end = day[1].min(now);
            let measured = monitors
                .iter()
                .map(|history| measure(history, day[0], end))
                .fold(Measured::default(), Measured::plus);
            whole = whole.plus(measured);
            measured.fraction()
        })
        .collect();
    Uptime {
        days,
        overall: whole.fraction(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("valid timestamp")
    }

    fn outage(from: &str, until: Option<&str>) -> Outage {
        Outage {
            from: at(from),
            until: until.map(at),
        }
    }

    #[test]
    fn two_outages_over_one_day_are_clipped_exactly_at_midnight() {
        let history = MonitorHistory {
            monitored_since: Some(at("2026-11-01T00:00:00Z")),
            outages: vec![
                outage("2026-11-25T23:40:00Z", Some("2026-11-26T00:15:00Z")),
                outage("2026-11-26T23:50:00Z", Some("2026-11-27T00:20:00Z")),
            ],
        };
        let day = measure(
            &history,
            at("2026-11-26T00:00:00Z"),
            at("2026-11-27T00:00:00Z"),
        );
        assert_eq!(day.down_ms, 25 * 60_000);
        assert_eq!(day.fraction(), Some((1440.0 - 15.0 - 10.0) / 1440.0));
    }

    #[test]
    fn an_open_outage_counts_until_the_end_and_overlaps_count_once() {
        let history = MonitorHistory {
            monitored_since: Some(at("2026-11-26T00:00:00Z")),
            outages: vec![
                outage("2026-11-26T01:00:00Z", Some("2026-11-26T02:00:00Z")),
                outage("2026-11-26T01:30:00Z", Some("2026-11-26T02:30:00Z")),
                outage("2026-11-26T10:00:00Z", None),
            ],
        };
        let measured = measure(
            &history,
            at("2026-11-26T00:00:00Z"),
            at("2026-11-26T12:00:00Z"),
        );
        assert_eq!(measured.monitored_ms, 12 * 3_600_000);
        assert_eq!(measured.down_ms, 90 * 60_000 + 2 * 3_600_000);
    }

    #[test]
    fn only_watched_time_counts() {
        let never = MonitorHistory::default();
        let from = at("2026-11-26T00:00:00Z");
        let to = at("2026-11-27T00:00:00Z");
        assert_eq!(measure(&never, from, to).fraction(), None);
        let late = MonitorHistory {
            monitored_since: Some(at("2026-11-26T12:00:00Z")),
            outages: vec![outage("2026-11-26T11:00:00Z", Some("2026-11-26T18:00:00Z"))],
        };
        let measured = measure(&late, from, to);
        assert_eq!(measured.monitored_ms, 12 * 3_600_000);
        assert_eq!(measured.fraction(), Some(0.5));
    }

    #[test]
    fn daily_bars_cut_today_at_now_and_leave_unwatched_days_empty() {
        let history = MonitorHistory {
            monitored_since: Some(at("2026-11-25T00:00:00Z")),
            outages: vec![outage("2026-11-26T06:00:00Z", None)],
        };
        let starts = [
            at("2026-11-24T00:00:00Z"),
            at("2026-11-25T00:00:00Z"),
            at("2026-11-26T00:00:00Z"),
            at("2026-11-27T00:00:00Z"),
        ];
        let uptime = daily(&[history], &starts, at("2026-11-26T12:00:00Z"));
        assert_eq!(uptime.days, vec![None, Some(1.0), Some(0.5)]);
        assert_eq!(uptime.overall, Some(30.0 / 36.0));
    }
}
