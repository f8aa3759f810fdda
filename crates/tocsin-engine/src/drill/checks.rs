//! The drill's checks that need no sending: is every monitor still being checked, every
//! heartbeat still pinging, every integration still delivering, every contact's numbers recently
//! confirmed. Pure: records and `now` in, one verdict out.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use tocsin_config::{Integration, IntegrationKind, Monitor, MonitorKind};
use tocsin_core::monitor::MonitorStatus;
use tocsin_store::{DrillItemStatus, MonitorRecord};

use crate::probes::add;

/// One verdict: status and why.
pub type Verdict = (DrillItemStatus, String);

/// `90s` → "1m 30s": durations in reasons, as people write them.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (days, hours, minutes, seconds) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

fn age(now: Timestamp, at: Timestamp) -> Duration {
    Duration::try_from(now.duration_since(at)).unwrap_or_default()
}

/// A probed monitor passes with a result within 2 × its interval; a heartbeat with a ping (and
/// not down) within `every + grace`.
pub fn monitor(monitor: &Monitor, record: Option<&MonitorRecord>, now: Timestamp) -> Verdict {
    let (window, what) = match &monitor.kind {
        MonitorKind::Heartbeat { every, grace, .. } => (*every + *grace, "ping"),
        _ => (monitor.interval * 2, "result"),
    };
    let Some(last) = record.and_then(|r| r.state.last_check_at) else {
        return (
            DrillItemStatus::Fail,
            format!("no {what} yet; expected one every {}", human(window)),
        );
    };
    let late = add(last, window) < now;
    if late {
        return (
            DrillItemStatus::Fail,
            format!(
                "last {what} {} ago ({last}), expected within {}",
                human(age(now, last)),
                human(window)
            ),
        );
    }
    if matches!(monitor.kind, MonitorKind::Heartbeat { .. })
        && record.is_some_and(|r| r.state.status == MonitorStatus::Down)
    {
        let error = record
            .and_then(|r| r.state.last_error.clone())
            .unwrap_or_else(|| "down".to_owned());
        return (
            DrillItemStatus::Fail,
            format!("the heartbeat is down: {error}"),
        );
    }
    (
        DrillItemStatus::Pass,
        format!("last {what} {} ago", human(age(now, last))),
    )
}

/// How to make Sentry send something, for the report.
const SENTRY_HINT: &str = "to test it, send a test error from your app (for example \
    `sentry-cli send-event -m \"tocsin drill\"`) with an alert rule that notifies tocsin; the next \
    drill, or Run drill on /drills, verifies it arrived";

/// An integration passes when it delivered a signal or change within its `expect_every`.
pub fn integration(integration: &Integration, last: Option<Timestamp>, now: Timestamp) -> Verdict {
    let sentry = matches!(integration.kind, IntegrationKind::Sentry { .. });
    let Some(window) = integration.expect_every else {
        let mut reason = "not checked: set `expect_every` on the integration".to_owned();
        if sentry {
            reason.push_str("; ");
            reason.push_str(SENTRY_HINT);
        }
        return (DrillItemStatus::Skipped, reason);
    };
    match last {
        Some(last) if add(last, window) >= now => (
            DrillItemStatus::Pass,
            format!("last signal {} ago", human(age(now, last))),
        ),
        other => {
            let mut reason = match other {
                Some(last) => format!(
                    "last signal {} ago ({last}), expected within {}",
                    human(age(now, last)),
                    human(window)
                ),
                None => format!("no signal yet; expected one every {}", human(window)),
            };
            if sentry {
                reason.push_str("; ");
                reason.push_str(SENTRY_HINT);
            }
            (DrillItemStatus::Fail, reason)
        }
    }
}

/// The date a contact's numbers were last confirmed: the later of the configuration's
/// `verified_on` and a confirmation through a drill link.
pub fn verified_on(configured: Option<Date>, confirmed: Option<Date>) -> Option<Date> {
    configured.max(confirmed)
}

/// A contact passes when their numbers were confirmed within `within` (by the calendar of the
/// organisation's zone).
pub fn contact(verified: Option<Date>, within: Duration, tz: &TimeZone, now: Timestamp) -> Verdict {
    let oldest_fresh = add_back(now, within).to_zoned(tz.clone()).date();
    match verified {
        Some(date) if date >= oldest_fresh => (
            DrillItemStatus::Pass,
            format!("numbers confirmed on {date}"),
        ),
        Some(date) => {
            let today = now.to_zoned(tz.clone()).date();
            let days = date.until(today).map(|span| span.get_days()).unwrap_or(0);
            (
                DrillItemStatus::Fail,
                format!(
                    "numbers last confirmed on {date}, {days} days ago (older than {}); asked to confirm them",
                    human(within)
                ),
            )
        }
        None => (
            DrillItemStatus::Fail,
            "numbers never confirmed (no `verified_on`); asked to confirm them".to_owned(),
        ),
    }
}

fn add_back(at: Timestamp, duration: Duration) -> Timestamp {
    at.checked_sub(jiff::SignedDuration::try_from(duration).unwrap_or_default())
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_verified_sixty_days_ago_is_stale_after_thirty() {
        let tz = TimeZone::get("Asia/Riyadh").unwrap();
        let now: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let thirty = Duration::from_secs(30 * 86_400);
        let (status, reason) = contact(Some(jiff::civil::date(2026, 9, 27)), thirty, &tz, now);
        assert_eq!(status, DrillItemStatus::Fail);
        assert!(reason.contains("60 days ago"), "{reason}");
        let (status, _) = contact(Some(jiff::civil::date(2026, 11, 1)), thirty, &tz, now);
        assert_eq!(status, DrillItemStatus::Pass);
        assert_eq!(contact(None, thirty, &tz, now).0, DrillItemStatus::Fail);
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_secs(90)), "1m 30s");
        assert_eq!(human(Duration::from_secs(86_400)), "1d");
    }
}
