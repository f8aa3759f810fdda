//! Stories of retention: raw check results are folded into roll-ups once settled, then pruned
//! when older than kept; the roll-ups stay.

use std::time::Duration;

use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::MonitorState;

use super::Backend;
use super::fixtures::t;
use crate::{CheckCommit, Retention, RollupSpan};

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;

pub async fn old_checks_are_rolled_up_then_pruned(backend: &dyn Backend) {
    let store = backend.open("a").await;
    store
        .sync_monitors(&[("web".to_owned(), t(0))])
        .await
        .expect("sync");
    // One check a minute for ten minutes, the third one failing.
    let checks: Vec<CheckCommit> = (0..10)
        .map(|minute| {
            let at = t(minute * MINUTE);
            let outcome = if minute == 2 {
                CheckOutcome::down(Some(500), 40, "500")
            } else {
                CheckOutcome::up(Some(200), 20)
            };
            CheckCommit {
                run_started_at: None,
                monitor_id: "web".into(),
                at,
                outcome: Some(outcome),
                state: MonitorState::pending(),
                next_check_at: t(minute * MINUTE + MINUTE),
            }
        })
        .collect();
    store.record_checks(&checks).await.expect("record");
    assert_eq!(
        store.recent_checks("web", 100).await.expect("checks").len(),
        10
    );

    let retention = Retention {
        keep_raw_checks: Duration::from_secs(DAY as u64),
        keep_minute_rollups: Duration::from_secs(7 * DAY as u64),
        keep_rollups: Duration::from_secs(90 * DAY as u64),
        settle: Duration::from_secs(MINUTE as u64),
    };
    // A day and more later: everything is rolled up, then the raw results are pruned.
    let later = t(2 * DAY);
    let mut rolled_up = 0;
    let mut pruned = 0;
    for _ in 0..10 {
        let round = store
            .roll_up_and_prune(later, &retention)
            .await
            .expect("housekeeping");
        rolled_up += round.rolled_up;
        pruned += round.pruned_checks;
        if round == Default::default() {
            break;
        }
    }
    assert_eq!(rolled_up, 10, "each result folded in exactly once");
    assert_eq!(pruned, 10, "every raw result older than a day is gone");
    assert!(
        store
            .recent_checks("web", 100)
            .await
            .expect("checks")
            .is_empty()
    );

    let minutes = store
        // Aggregates start on the minute; the first check was mid-minute.
        .rollups("web", RollupSpan::Minute, t(-MINUTE), t(10 * MINUTE))
        .await
        .expect("rollups");
    assert_eq!(minutes.len(), 10, "one aggregate per minute: {minutes:?}");
    assert_eq!(minutes.iter().map(|r| r.checks).sum::<u64>(), 10);
    assert_eq!(minutes.iter().map(|r| r.failures).sum::<u64>(), 1);
    let days = store
        .rollups("web", RollupSpan::Day, t(-DAY), t(DAY))
        .await
        .expect("rollups");
    assert_eq!(
        days.iter().map(|r| r.checks).sum::<u64>(),
        10,
        "the day keeps the count"
    );
}
