//! When a monitor's next check is due: on a fixed rhythm from its scheduled instant (never from
//! when the check happened to run, so lateness never accumulates), sooner while a failure awaits
//! confirmation.

use std::time::Duration;

use jiff::Timestamp;

use crate::monitor::{MonitorState, MonitorStatus};

/// The next check after one scheduled for `scheduled` that ran at `at` and left `state`. A
/// failure not yet confirmed (failures counted, not down yet) is checked again after
/// `retry_interval`; otherwise after `interval`. If the engine fell behind by more than a step,
/// the missed slots are skipped, keeping the phase.
pub fn next_check(
    scheduled: Timestamp,
    at: Timestamp,
    interval: Duration,
    retry_interval: Duration,
    state: &MonitorState,
) -> Timestamp {
    let confirming = state.failures > 0 && state.status != MonitorStatus::Down;
    let step = if confirming {
        retry_interval.min(interval)
    } else {
        interval
    };
    let step_ms = i64::try_from(step.as_millis()).unwrap_or(i64::MAX).max(1);
    let scheduled_ms = scheduled.as_millisecond();
    let behind = at.as_millisecond().saturating_sub(scheduled_ms);
    let steps = if behind >= step_ms {
        behind / step_ms + 1
    } else {
        1
    };
    let next = scheduled_ms.saturating_add(steps.saturating_mul(step_ms));
    Timestamp::from_millisecond(next).unwrap_or(scheduled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_764_000_000_000 + ms).expect("valid timestamp")
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_next_check_follows_the_schedule_not_the_start_of_the_last_one() {
        let up = MonitorState {
            status: MonitorStatus::Up,
            ..MonitorState::pending()
        };
        // Ran 40 ms late: the next one is still on the minute.
        assert_eq!(next_check(at(0), at(40), MINUTE, MINUTE, &up), at(60_000));
        // Three and a half minutes late: the missed slots are skipped, the phase kept.
        assert_eq!(
            next_check(at(0), at(210_000), MINUTE, MINUTE, &up),
            at(240_000)
        );
    }

    #[test]
    fn an_unconfirmed_failure_is_checked_again_after_the_retry_interval() {
        let failing = MonitorState {
            status: MonitorStatus::Up,
            failures: 1,
            ..MonitorState::pending()
        };
        let retry = Duration::from_secs(10);
        assert_eq!(
            next_check(at(0), at(5), MINUTE, retry, &failing),
            at(10_000)
        );
        let down = MonitorState {
            status: MonitorStatus::Down,
            failures: 3,
            ..MonitorState::pending()
        };
        assert_eq!(next_check(at(0), at(5), MINUTE, retry, &down), at(60_000));
    }
}
