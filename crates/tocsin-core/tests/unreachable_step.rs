//! A step whose every page failed for good: the ladder moves on at once, and says why; while any
//! page of the step may still arrive, nothing changes before the step's `after`.

use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::decide::{
    Ctx, Decision, Effect, Input, PageState, Policy, SeverityRule, Situation, TimerKind, decide,
};
use tocsin_core::escalation::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};
use tocsin_core::incident::{EventKind, IncidentState};
use tocsin_core::signal::{Signal, SignalStatus};

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + seconds).unwrap()
}

fn policy(repeat: u32) -> Policy {
    Policy {
        severities: vec![SeverityRule {
            id: "SEV-1".into(),
            respond_within: Duration::from_secs(900),
            notify: vec![],
            pages: true,
            update_every: None,
        }],
        reopen_window: Duration::from_secs(3600),
        postmortem: None,
        runbooks: Default::default(),
        customer_comms: Default::default(),
        tickets: None,
        label_routes: vec![],
        live_channels: vec![],
        routes: vec![RouteRule {
            category: "*".into(),
            escalation: Some("backend".into()),
        }],
        escalations: vec![EscalationRule {
            id: "backend".into(),
            repeat,
            steps: vec![
                StepRule {
                    targets: vec![PageTarget::Schedule("primary".into())],
                    after: Duration::from_secs(1800),
                },
                StepRule {
                    targets: vec![PageTarget::Contact("bo".into())],
                    after: Duration::from_secs(1800),
                },
            ],
        }],
        contacts: vec![
            ContactRule {
                id: "ann".into(),
                name: "Ann".into(),
                methods: vec!["sms".into(), "email".into()],
            },
            ContactRule {
                id: "bo".into(),
                name: "Bo".into(),
                methods: vec!["email".into()],
            },
        ],
    }
}

fn ctx(now: Timestamp) -> Ctx {
    Ctx {
        now,
        new_incident_id: "inc-1".into(),
        new_alert_id: format!("al-{}", now.as_second()),
        new_comms_id: format!("c-{}", now.as_second()),
        on_call: [("primary".to_owned(), "ann".to_owned())]
            .into_iter()
            .collect(),
        quiet: Default::default(),
    }
}

fn fire() -> Input {
    Input::Signal(Signal {
        source: "monitor:api".into(),
        dedup_key: "monitor:api".into(),
        status: SignalStatus::Firing,
        severity: Some("SEV-1".into()),
        title: "API down".into(),
        summary: None,
        category: Some("backend".into()),
        component: None,
        runbook: None,
        occurred_at: t(0),
        details: serde_json::Value::Null,
        labels: Default::default(),
    })
}

fn apply(situation: &mut Situation, decision: &Decision) {
    if let Some(incident) = &decision.incident {
        situation.incident = Some(incident.clone());
    }
    situation.alerts.extend(decision.alerts.iter().cloned());
}

/// An incident paging Ann (step 1) by SMS and e-mail.
fn opened(repeat: u32) -> Situation {
    let mut situation = Situation::default();
    let decision = decide(&policy(repeat), &situation, fire(), &ctx(t(0))).unwrap();
    apply(&mut situation, &decision);
    situation
}

fn page(contact: &str, method: &str, failed: bool, error: Option<&str>) -> PageState {
    PageState {
        contact: contact.into(),
        method: method.into(),
        failed,
        error: error.map(str::to_owned),
    }
}

fn pages(decision: &Decision) -> Vec<(String, u32)> {
    decision
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Page { contact, step, .. } => Some((contact.clone(), *step)),
            _ => None,
        })
        .collect()
}

#[test]
fn when_every_page_of_a_step_failed_the_next_step_is_paged_at_once() {
    let mut situation = opened(0);
    situation.pages = vec![
        page("ann", "sms", true, Some("HTTP 410 Gone")),
        page("ann", "email", true, Some("550 no such user")),
    ];
    // Two minutes in, long before the step's 30 minutes.
    let decision = decide(&policy(0), &situation, Input::PageFailed, &ctx(t(120))).unwrap();
    assert_eq!(pages(&decision), [("bo".to_owned(), 1)]);
    let incident = decision.incident.as_ref().unwrap();
    assert_eq!(incident.escalation_step, 1);
    assert_eq!(incident.escalation_due_at, Some(t(120 + 1800)));
    let why = &decision.events[0];
    assert_eq!(why.kind, EventKind::Escalated);
    assert!(
        why.text
            .contains("Nobody at step 1 of `backend` can be reached")
            && why.text.contains("Ann by sms: HTTP 410 Gone")
            && why.text.contains("Ann by email: 550 no such user")
            && why.text.contains("without waiting 30m"),
        "{}",
        why.text
    );
    assert!(decision.events[1].text.contains("paging Bo (email)"));
    // The step's own timer goes; the next step's is set.
    assert!(decision.effects.iter().any(|effect| matches!(
        effect,
        Effect::CancelTimers {
            kind: TimerKind::Escalate,
            ..
        }
    )));
    assert!(decision.effects.iter().any(|effect| matches!(
        effect,
        Effect::SetTimer { kind: TimerKind::Escalate, due_at, .. } if *due_at == t(1920)
    )));
}

#[test]
fn while_any_page_of_the_step_may_still_arrive_nothing_changes() {
    let mut situation = opened(0);
    for other in [
        page("ann", "email", false, None),
        page("ann", "email", false, Some("connection refused; retrying")),
    ] {
        situation.pages = vec![page("ann", "sms", true, Some("HTTP 410 Gone")), other];
        let decision = decide(&policy(0), &situation, Input::PageFailed, &ctx(t(120))).unwrap();
        assert!(decision.is_empty(), "{decision:?}");
    }
    situation.pages = vec![];
    let decision = decide(&policy(0), &situation, Input::PageFailed, &ctx(t(120))).unwrap();
    assert!(
        decision.is_empty(),
        "a step that paged nobody waits its `after`"
    );
}

#[test]
fn an_acknowledged_or_resolved_incident_does_not_move() {
    for state in [IncidentState::Acknowledged, IncidentState::Resolved] {
        let mut situation = opened(0);
        if let Some(incident) = situation.incident.as_mut() {
            incident.state = state;
        }
        situation.pages = vec![page("ann", "sms", true, None)];
        let decision = decide(&policy(0), &situation, Input::PageFailed, &ctx(t(60))).unwrap();
        assert!(decision.is_empty(), "{state:?}");
    }
}

#[test]
fn failing_at_the_last_step_ends_the_ladder_and_says_why() {
    let mut situation = opened(0);
    situation.pages = vec![
        page("ann", "sms", true, None),
        page("ann", "email", true, None),
    ];
    let second = decide(&policy(0), &situation, Input::PageFailed, &ctx(t(60))).unwrap();
    apply(&mut situation, &second);
    situation.pages = vec![page("bo", "email", true, Some("HTTP 410 Gone"))];
    let last = decide(&policy(0), &situation, Input::PageFailed, &ctx(t(90))).unwrap();
    assert!(pages(&last).is_empty());
    assert!(last.events[0].text.contains("Nobody at step 2"));
    assert!(last.events[1].text.contains("every step of `backend`"));
    assert_eq!(last.incident.unwrap().escalation_due_at, None);
}

#[test]
fn with_repeats_the_ladder_runs_again_from_the_first_step() {
    let mut situation = opened(1);
    situation.pages = vec![
        page("ann", "sms", true, None),
        page("ann", "email", true, None),
    ];
    let second = decide(&policy(1), &situation, Input::PageFailed, &ctx(t(60))).unwrap();
    apply(&mut situation, &second);
    situation.pages = vec![page("bo", "email", true, None)];
    let again = decide(&policy(1), &situation, Input::PageFailed, &ctx(t(90))).unwrap();
    assert_eq!(
        pages(&again),
        [("ann".to_owned(), 0), ("ann".to_owned(), 0)]
    );
    assert_eq!(again.incident.unwrap().escalation_round, 1);
}
