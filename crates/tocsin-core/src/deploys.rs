//! What a rollback returns to: the deploy of a service that was live when an incident began, and
//! the last successful deploy of that service before it.
//!
//! Hosts report each state of one deployment as its own change with the same deployment id
//! (Railway: `building`, `deploying`, `success`, later `removed`; GitHub: `created`,
//! `in_progress`, `success`). Only a state that says the deployment went live counts, so the
//! broken deployment's own `building` row is never mistaken for "the deploy before it".

use jiff::Timestamp;

use crate::inbound::{Change, ChangeKind};

/// Status words (compared without case) that mean a deployment went live: Railway's `success`
/// (`active` in its newer wording, `deployed` in some webhook types), GitHub's `success`, and the
/// words people write in the generic format and `tocsin change record`.
pub const LIVE_STATES: [&str; 5] = ["success", "succeeded", "successful", "deployed", "active"];

/// Whether this change is a deployment reaching a live state.
pub fn went_live(change: &Change) -> bool {
    change.kind == ChangeKind::Deploy
        && change.status.as_deref().is_some_and(|status| {
            LIVE_STATES
                .iter()
                .any(|live| status.trim().eq_ignore_ascii_case(live))
        })
}

/// Which deploys count: one service's, optionally one environment's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Compared exactly with each change's `service`.
    pub service: &'a str,
    /// When set, only deploys to this environment count.
    pub environment: Option<&'a str>,
}

impl Scope<'_> {
    fn holds(&self, change: &Change) -> bool {
        change.service.as_deref() == Some(self.service)
            && self
                .environment
                .is_none_or(|environment| change.environment.as_deref() == Some(environment))
    }
}

/// The live deploy at an instant and the one a rollback returns to. Each is the record of the
/// state in which that deployment went live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deploys<'a> {
    pub live: &'a Change,
    /// The last successful deploy of the same service and environment that went live before
    /// `live`, with another deployment id; `None` when there was none.
    pub previous: Option<&'a Change>,
}

/// The deploy of `scope` live at `at` — the one whose live state came last at or before `at` —
/// and the one before it. `None` when no deploy of `scope` had gone live by `at`.
///
/// `changes` may hold anything, in any order; a deployment counts from its first live state (a
/// repeated `success` does not move it). Deployments that went live at the same instant are
/// taken in the order they have in `changes`, read as oldest first.
pub fn live_at<'a>(changes: &'a [Change], scope: Scope<'_>, at: Timestamp) -> Option<Deploys<'a>> {
    let mut candidates: Vec<&Change> = changes
        .iter()
        .filter(|change| went_live(change) && scope.holds(change) && change.occurred_at <= at)
        .filter(|change| change.external_id.is_some())
        .collect();
    candidates.sort_by_key(|change| change.occurred_at);
    // One entry per deployment: its first live state.
    let mut deployments: Vec<&Change> = Vec::new();
    for change in candidates {
        if !deployments
            .iter()
            .any(|seen| seen.external_id == change.external_id)
        {
            deployments.push(change);
        }
    }
    let live = deployments.pop()?;
    let previous = deployments
        .into_iter()
        .rev()
        .find(|change| change.environment == live.environment);
    Some(Deploys { live, previous })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + minute * 60).expect("valid")
    }

    fn state(id: &str, status: &str, minute: i64) -> Change {
        Change {
            source: "integration:railway".into(),
            kind: ChangeKind::Deploy,
            external_id: Some(id.into()),
            summary: format!("api to production: {status}"),
            service: Some("api".into()),
            environment: Some("production".into()),
            commit: None,
            branch: None,
            author: None,
            status: Some(status.into()),
            url: None,
            occurred_at: at(minute),
            details: serde_json::Value::Null,
        }
    }

    /// One deployment's states, a minute apart from `minute`.
    fn deployment(id: &str, states: &[&str], minute: i64) -> Vec<Change> {
        states
            .iter()
            .zip(minute..)
            .map(|(status, minute)| state(id, status, minute))
            .collect()
    }

    const API: Scope<'static> = Scope {
        service: "api",
        environment: None,
    };

    fn ids(deploys: Option<Deploys<'_>>) -> (Option<String>, Option<String>) {
        match deploys {
            None => (None, None),
            Some(deploys) => (
                deploys.live.external_id.clone(),
                deploys.previous.and_then(|p| p.external_id.clone()),
            ),
        }
    }

    fn some(live: &str, previous: Option<&str>) -> (Option<String>, Option<String>) {
        (Some(live.into()), previous.map(str::to_owned))
    }

    #[test]
    fn the_previous_deploy_is_another_deployment_not_an_earlier_state_of_the_live_one() {
        let mut changes = deployment("A", &["building", "deploying", "success"], 0);
        changes.extend(deployment("B", &["building", "deploying", "success"], 10));
        assert_eq!(ids(live_at(&changes, API, at(30))), some("B", Some("A")));
    }

    #[test]
    fn a_deploy_that_never_went_live_is_skipped() {
        let mut changes = deployment("A", &["building", "deploying", "success"], 0);
        changes.extend(deployment("F", &["building", "failed"], 5));
        changes.extend(deployment("B", &["building", "deploying", "success"], 10));
        changes.extend(deployment("C", &["building", "deploying", "crashed"], 20));
        assert_eq!(ids(live_at(&changes, API, at(30))), some("B", Some("A")));
    }

    #[test]
    fn the_live_deploy_is_the_one_live_when_the_incident_began() {
        let mut changes = deployment("A", &["building", "deploying", "success"], 0);
        changes.extend(deployment("B", &["building", "deploying", "success"], 10));
        // B went live at minute 12: an incident at minute 11 began under A.
        assert_eq!(ids(live_at(&changes, API, at(11))), some("A", None));
        assert_eq!(ids(live_at(&changes, API, at(12))), some("B", Some("A")));
        assert_eq!(ids(live_at(&changes, API, at(-1))), (None, None));
    }

    #[test]
    fn later_states_of_a_deployment_do_not_move_it() {
        let mut changes = deployment("A", &["building", "deploying", "success"], 0);
        changes.extend(deployment("B", &["building", "deploying", "success"], 10));
        // A's removal after B replaced it, and a repeated `success` of A, arrive later.
        changes.push(state("A", "removed", 13));
        changes.push(state("A", "success", 14));
        changes.reverse(); // the store's order: newest first
        assert_eq!(ids(live_at(&changes, API, at(30))), some("B", Some("A")));
    }

    #[test]
    fn only_the_scope_s_service_and_environment_count() {
        let mut changes = deployment("A", &["success"], 0);
        let mut other = state("W", "success", 5);
        other.service = Some("worker".into());
        let mut staging = state("S", "success", 6);
        staging.environment = Some("staging".into());
        changes.extend([other, staging]);
        changes.extend(deployment("B", &["success"], 10));
        assert_eq!(ids(live_at(&changes, API, at(30))), some("B", Some("A")));
        let production = Scope {
            service: "api",
            environment: Some("production"),
        };
        assert_eq!(
            ids(live_at(&changes, production, at(8))),
            some("A", None),
            "staging's S is not production's deploy"
        );
        assert_eq!(
            ids(live_at(&changes, API, at(8))),
            some("S", None),
            "without an environment, the newest of any; the previous one shares its environment"
        );
    }

    #[test]
    fn one_deploy_ever_has_no_previous() {
        let changes = deployment("A", &["building", "deploying", "success"], 0);
        assert_eq!(ids(live_at(&changes, API, at(30))), some("A", None));
    }

    #[test]
    fn live_states_are_the_hosts_words_for_it_in_any_case() {
        for status in ["success", "SUCCESS", "Deployed", "active", "succeeded"] {
            assert!(went_live(&state("A", status, 0)), "{status}");
        }
        for status in [
            "building",
            "deploying",
            "failed",
            "crashed",
            "removed",
            "in_progress",
        ] {
            assert!(!went_live(&state("A", status, 0)), "{status}");
        }
        let mut merge = state("A", "success", 0);
        merge.kind = ChangeKind::Merge;
        assert!(!went_live(&merge));
    }
}
