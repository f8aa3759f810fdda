//! Monitor up/down logic: `confirm` consecutive failures before *down*, the outage's start kept.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::check::CheckOutcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MonitorStatus {
    /// Not checked yet.
    Pending,
    Up,
    Down,
    /// Answering, but not fully healthy (slow, or a vendor reporting a minor outage). Between up
    /// and down: shown, never paged.
    Degraded,
}

impl MonitorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorStatus::Pending => "pending",
            MonitorStatus::Up => "up",
            MonitorStatus::Down => "down",
            MonitorStatus::Degraded => "degraded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(MonitorStatus::Pending),
            "up" => Some(MonitorStatus::Up),
            "down" => Some(MonitorStatus::Down),
            "degraded" => Some(MonitorStatus::Degraded),
            _ => None,
        }
    }
}

/// What the engine remembers about one monitor between checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorState {
    pub status: MonitorStatus,
    /// When the current status began; for *down*, the first failed check of the outage.
    pub since: Option<Timestamp>,
    /// Failed checks in a row.
    pub failures: u32,
    /// The first failed check of the current run of failures (the outage's start once confirmed).
    pub failing_since: Option<Timestamp>,
    pub last_check_at: Option<Timestamp>,
    pub last_latency_ms: Option<u64>,
    /// Why the last check failed or, for a degraded one, why it is degraded.
    pub last_error: Option<String>,
}

impl MonitorState {
    pub fn pending() -> Self {
        MonitorState {
            status: MonitorStatus::Pending,
            since: None,
            failures: 0,
            failing_since: None,
            last_check_at: None,
            last_latency_ms: None,
            last_error: None,
        }
    }
}

/// A change of status worth telling the engine about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Confirmed down; `since` is the first failed check.
    Down { since: Timestamp, error: String },
    /// Back up after being down.
    Up {
        since: Timestamp,
        down_since: Timestamp,
    },
}

/// Folds one check into the monitor's state. A single success ends an outage; `confirm`
/// consecutive failures (at least 1) start one. A passing check that reports itself degraded
/// makes the monitor *degraded* (ending an outage just as *up* does) and opens nothing.
pub fn observe(
    state: &MonitorState,
    outcome: &CheckOutcome,
    confirm: u32,
    at: Timestamp,
) -> (MonitorState, Option<Transition>) {
    let mut next = state.clone();
    next.last_check_at = Some(at);
    next.last_latency_ms = Some(outcome.latency_ms);
    next.last_error = outcome.error.clone();
    if outcome.ok {
        let healthy = match &outcome.degraded {
            Some(reason) => {
                next.last_error = Some(reason.clone());
                MonitorStatus::Degraded
            }
            None => MonitorStatus::Up,
        };
        next.failures = 0;
        next.failing_since = None;
        let transition = match state.status {
            MonitorStatus::Down => Some(Transition::Up {
                since: at,
                down_since: state.since.unwrap_or(at),
            }),
            _ => None,
        };
        if state.status != healthy {
            next.status = healthy;
            next.since = Some(at);
        }
        return (next, transition);
    }
    next.failures = state.failures.saturating_add(1);
    let failing_since = state.failing_since.unwrap_or(at);
    next.failing_since = Some(failing_since);
    if state.status != MonitorStatus::Down && next.failures >= confirm.max(1) {
        next.status = MonitorStatus::Down;
        next.since = Some(failing_since);
        let error = outcome
            .error
            .clone()
            .unwrap_or_else(|| "check failed".to_owned());
        return (
            next,
            Some(Transition::Down {
                since: failing_since,
                error,
            }),
        );
    }
    (next, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ok: bool) -> CheckOutcome {
        CheckOutcome {
            ok,
            status: Some(if ok { 200 } else { 503 }),
            latency_ms: 3,
            error: (!ok).then(|| "status 503, expected 200-299".to_owned()),
            degraded: None,
        }
    }

    fn slow() -> CheckOutcome {
        CheckOutcome {
            degraded: Some("took 2.5s, more than max_latency 2s".to_owned()),
            ..outcome(true)
        }
    }

    #[test]
    fn a_slow_success_is_degraded_ends_an_outage_and_opens_nothing() {
        let state = MonitorState::pending();
        let (state, t) = observe(&state, &slow(), 1, at(0));
        assert_eq!((state.status, t), (MonitorStatus::Degraded, None));
        assert_eq!(state.since, Some(at(0)));
        assert_eq!(
            state.last_error.as_deref(),
            Some("took 2.5s, more than max_latency 2s")
        );
        // Still degraded: the status began at the first degraded check.
        let (state, t) = observe(&state, &slow(), 1, at(1));
        assert_eq!(
            (state.status, state.since, t),
            (MonitorStatus::Degraded, Some(at(0)), None)
        );
        let (state, t) = observe(&state, &outcome(true), 1, at(2));
        assert_eq!(
            (state.status, state.since, t),
            (MonitorStatus::Up, Some(at(2)), None)
        );
        assert_eq!(state.last_error, None);
        // Down, then a slow answer: the outage ends (resolved), the monitor is degraded.
        let (state, _) = observe(&state, &outcome(false), 1, at(3));
        assert_eq!(state.status, MonitorStatus::Down);
        let (state, t) = observe(&state, &slow(), 1, at(4));
        assert_eq!(state.status, MonitorStatus::Degraded);
        assert_eq!(
            t,
            Some(Transition::Up {
                since: at(4),
                down_since: at(3)
            })
        );
        assert_eq!(
            MonitorStatus::parse("degraded"),
            Some(MonitorStatus::Degraded)
        );
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).expect("valid timestamp")
    }

    #[test]
    fn goes_down_only_after_confirm_failures_and_keeps_the_first_failure_as_start() {
        let state = MonitorState::pending();
        let (state, t) = observe(&state, &outcome(true), 2, at(0));
        assert_eq!((state.status, t), (MonitorStatus::Up, None));
        let (state, t) = observe(&state, &outcome(false), 2, at(1));
        assert_eq!((state.status, t), (MonitorStatus::Up, None));
        let (state, t) = observe(&state, &outcome(false), 2, at(2));
        assert_eq!(state.status, MonitorStatus::Down);
        assert_eq!(
            t,
            Some(Transition::Down {
                since: at(1),
                error: "status 503, expected 200-299".into()
            })
        );
        assert_eq!(state.since, Some(at(1)));
        // Further failures change nothing.
        let (state, t) = observe(&state, &outcome(false), 2, at(3));
        assert_eq!((state.status, t), (MonitorStatus::Down, None));
        let (state, t) = observe(&state, &outcome(true), 2, at(4));
        assert_eq!(state.status, MonitorStatus::Up);
        assert_eq!(
            t,
            Some(Transition::Up {
                since: at(4),
                down_since: at(1)
            })
        );
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let mut state = MonitorState::pending();
        for (i, ok) in [false, true, false, true, false].into_iter().enumerate() {
            let (next, t) = observe(&state, &outcome(ok), 2, at(i as i64));
            assert_eq!(t, None);
            state = next;
        }
        assert_ne!(state.status, MonitorStatus::Down);
    }
}
