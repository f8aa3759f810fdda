//! Maintenance windows: `[[maintenance]]`, one-off or recurring, and when each is in force.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::cron::Cron;

/// `[[maintenance]]`: a time during which the monitors it covers do not page, and the status
/// page shows their components as under maintenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Identifier, like `"db-upgrade"`. Required and unique.
    pub id: String,
    /// What is being done, shown on the status page, like `"Database upgrade"`. Default: the id.
    pub title: String,
    /// Monitor ids it covers (`[[monitor]]` ids).
    pub monitors: Vec<String>,
    /// Status-page components it covers: every monitor of these components, and the components
    /// themselves on the status page. At least one of `monitors` and `components` is required.
    pub components: Vec<String>,
    /// When it is in force: `from` + `until` (one-off), or `schedule` + `duration` (recurring).
    pub when: MaintenanceWhen,
}

/// When a maintenance window is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintenanceWhen {
    /// `from = 2026-12-01T02:00:00+03:00`, `until = 2026-12-01T03:00:00+03:00` (TOML date-times
    /// with an offset, unquoted; `until` after `from`).
    Once {
        /// Start, inclusive.
        from: Timestamp,
        /// End, exclusive.
        until: Timestamp,
    },
    /// `schedule = "0 2 * * 0"` (5-field cron in the organisation's time zone: when each
    /// window starts) and `duration = "1h"` (how long each lasts, at most 7 days).
    Recurring {
        /// When each window starts.
        schedule: Cron,
        /// How long each window lasts.
        duration: Duration,
    },
}

/// One occurrence of a window: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, inclusive.
    pub start: Timestamp,
    /// End, exclusive.
    pub end: Timestamp,
}

impl Window {
    /// True when `at` falls inside.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

impl Maintenance {
    /// True when this window covers the monitor (by id, or by the monitor's component).
    pub fn covers_monitor(&self, monitor_id: &str, component: Option<&str>) -> bool {
        self.monitors.iter().any(|id| id == monitor_id)
            || component.is_some_and(|component| self.components.iter().any(|c| c == component))
    }

    /// The occurrence in force at `at`, if any. `tz` is the organisation's time zone, in which
    /// a recurring `schedule` is read.
    pub fn window_at(&self, at: Timestamp, tz: &TimeZone) -> Option<Window> {
        match &self.when {
            MaintenanceWhen::Once { from, until } => {
                let window = Window {
                    start: *from,
                    end: *until,
                };
                window.contains(at).then_some(window)
            }
            MaintenanceWhen::Recurring { schedule, duration } => {
                // The latest start at or before `at` within one duration is the one in force
                // (later starts win when occurrences overlap: they end later).
                let length = signed(*duration);
                let earliest = at.checked_sub(length).ok()?;
                let mut minute = floor_to_minute(at);
                while minute > earliest {
                    if schedule.matches(minute.to_zoned(tz.clone()).datetime()) {
                        let end = minute.checked_add(length).ok()?;
                        let window = Window { start: minute, end };
                        return window.contains(at).then_some(window);
                    }
                    minute = minute.checked_sub(1.minute()).ok()?;
                }
                None
            }
        }
    }

    /// The occurrences that overlap `[from, until)`, in order. Recurring windows are scanned a
    /// minute at a time, so keep the range to days, not years.
    pub fn windows_between(&self, from: Timestamp, until: Timestamp, tz: &TimeZone) -> Vec<Window> {
        match &self.when {
            MaintenanceWhen::Once {
                from: start,
                until: end,
            } => {
                if *start < until && from < *end {
                    vec![Window {
                        start: *start,
                        end: *end,
                    }]
                } else {
                    Vec::new()
                }
            }
            MaintenanceWhen::Recurring { schedule, duration } => {
                let length = signed(*duration);
                let Ok(mut minute) = from.checked_sub(length) else {
                    return Vec::new();
                };
                minute = floor_to_minute(minute);
                let mut windows = Vec::new();
                while minute < until {
                    if schedule.matches(minute.to_zoned(tz.clone()).datetime())
                        && let Ok(end) = minute.checked_add(length)
                        && end > from
                    {
                        windows.push(Window { start: minute, end });
                    }
                    match minute.checked_add(1.minute()) {
                        Ok(next) => minute = next,
                        Err(_) => break,
                    }
                }
                windows
            }
        }
    }
}

fn signed(duration: Duration) -> SignedDuration {
    SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX)
}

fn floor_to_minute(at: Timestamp) -> Timestamp {
    let seconds = at.as_second();
    Timestamp::from_second(seconds - seconds.rem_euclid(60)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn weekly() -> Maintenance {
        Maintenance {
            id: "db".into(),
            title: "Database upgrade".into(),
            monitors: vec!["database".into()],
            components: vec!["api".into()],
            when: MaintenanceWhen::Recurring {
                // Sundays 02:00 Riyadh (UTC+3) = Saturday 23:00 UTC.
                schedule: Cron::parse("0 2 * * 0").unwrap(),
                duration: Duration::from_secs(3600),
            },
        }
    }

    fn riyadh() -> TimeZone {
        TimeZone::get("Asia/Riyadh").unwrap()
    }

    #[test]
    fn a_recurring_window_is_in_force_from_its_start_until_just_before_its_end() {
        let window = weekly();
        // 2026-11-29 is a Sunday.
        assert_eq!(
            window.window_at(ts("2026-11-28T22:59:59Z"), &riyadh()),
            None
        );
        let expected = Window {
            start: ts("2026-11-28T23:00:00Z"),
            end: ts("2026-11-29T00:00:00Z"),
        };
        assert_eq!(
            window.window_at(ts("2026-11-28T23:00:00Z"), &riyadh()),
            Some(expected)
        );
        assert_eq!(
            window.window_at(ts("2026-11-28T23:59:59Z"), &riyadh()),
            Some(expected)
        );
        assert_eq!(
            window.window_at(ts("2026-11-29T00:00:00Z"), &riyadh()),
            None
        );
    }

    #[test]
    fn a_one_off_window_is_half_open() {
        let window = Maintenance {
            when: MaintenanceWhen::Once {
                from: ts("2026-12-01T00:00:00Z"),
                until: ts("2026-12-01T01:00:00Z"),
            },
            ..weekly()
        };
        assert!(
            window
                .window_at(ts("2026-12-01T00:00:00Z"), &riyadh())
                .is_some()
        );
        assert!(
            window
                .window_at(ts("2026-12-01T01:00:00Z"), &riyadh())
                .is_none()
        );
        assert_eq!(
            window
                .windows_between(
                    ts("2026-11-30T00:00:00Z"),
                    ts("2026-12-02T00:00:00Z"),
                    &riyadh()
                )
                .len(),
            1
        );
    }

    #[test]
    fn the_next_week_lists_each_weekly_occurrence_once() {
        let windows = weekly().windows_between(
            ts("2026-11-27T00:00:00Z"),
            ts("2026-12-11T00:00:00Z"),
            &riyadh(),
        );
        let starts: Vec<Timestamp> = windows.iter().map(|w| w.start).collect();
        assert_eq!(
            starts,
            vec![ts("2026-11-28T23:00:00Z"), ts("2026-12-05T23:00:00Z")]
        );
    }

    #[test]
    fn coverage_is_by_monitor_id_or_component() {
        let window = weekly();
        assert!(window.covers_monitor("database", None));
        assert!(window.covers_monitor("api-health", Some("api")));
        assert!(!window.covers_monitor("api-health", Some("payments")));
    }
}
