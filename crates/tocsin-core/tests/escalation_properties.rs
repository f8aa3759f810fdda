//! Properties of the escalation ladder over random sequences of signals, acknowledgements,
//! resolutions, severity changes, timer firings and the passing of time: never a page after an
//! acknowledgement, never an early or skipped step, never two pages with the same key.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use jiff::Timestamp;
use proptest::prelude::*;
use tocsin_core::decide::{Ctx, Decision, Effect, Input, Policy, SeverityRule, Situation, decide};
use tocsin_core::escalation::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};
use tocsin_core::incident::IncidentState;
use tocsin_core::signal::{Signal, SignalStatus};

#[derive(Debug, Clone)]
enum Step {
    Fire,
    Clear,
    Acknowledge,
    Resolve,
    Severity(&'static str),
    EscalationTimer,
    StaleEscalationTimer(u32),
    ResponseTimer,
    Wait(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Fire),
        1 => Just(Step::Clear),
        1 => Just(Step::Acknowledge),
        1 => Just(Step::Resolve),
        1 => prop_oneof![Just("SEV-1"), Just("SEV-4")].prop_map(Step::Severity),
        3 => Just(Step::EscalationTimer),
        1 => (0u32..900).prop_map(Step::StaleEscalationTimer),
        1 => Just(Step::ResponseTimer),
        3 => (0u32..700).prop_map(Step::Wait),
    ]
}

fn policy() -> Policy {
    Policy {
        severities: vec![
            SeverityRule {
                id: "SEV-1".into(),
                respond_within: Duration::from_secs(900),
                notify: vec!["slack".into()],
                pages: true,
                update_every: None,
            },
            SeverityRule {
                id: "SEV-4".into(),
                respond_within: Duration::from_secs(86_400),
                notify: vec![],
                pages: false,
                update_every: None,
            },
        ],
        reopen_window: Duration::from_secs(3600),
        postmortem: None,
        runbooks: Default::default(),
        customer_comms: Default::default(),
        live_channels: vec![],
        routes: vec![RouteRule {
            category: "*".into(),
            escalation: Some("ladder".into()),
        }],
        escalations: vec![EscalationRule {
            id: "ladder".into(),
            repeat: 2,
            steps: vec![
                StepRule {
                    targets: vec![PageTarget::Contact("a".into())],
                    after: Duration::from_secs(300),
                },
                StepRule {
                    targets: vec![
                        PageTarget::Schedule("primary".into()),
                        PageTarget::Contact("b".into()),
                    ],
                    after: Duration::from_secs(120),
                },
                StepRule {
                    targets: vec![PageTarget::Contact("c".into())],
                    after: Duration::from_secs(60),
                },
            ],
        }],
        contacts: ["a", "b", "c"]
            .into_iter()
            .map(|id| ContactRule {
                id: id.into(),
                name: id.to_uppercase(),
                methods: vec!["sms".into(), "email".into()],
            })
            .collect(),
    }
}

fn signal(status: SignalStatus, at: Timestamp) -> Signal {
    Signal {
        source: "monitor:api".into(),
        dedup_key: "monitor:api".into(),
        status,
        severity: Some("SEV-1".into()),
        title: "API is down".into(),
        summary: None,
        category: Some("backend".into()),
        component: None,
        runbook: None,
        occurred_at: at,
        details: serde_json::Value::Null,
    }
}

fn apply(situation: &mut Situation, decision: &Decision) {
    if let Some(incident) = &decision.incident {
        situation.incident = Some(incident.clone());
    }
    for alert in &decision.alerts {
        match situation.alerts.iter_mut().find(|a| a.id == alert.id) {
            Some(existing) => *existing = alert.clone(),
            None => situation.alerts.push(alert.clone()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_ladder_never_pages_after_an_ack_never_early_never_skips_never_twice(steps in proptest::collection::vec(step(), 1..80)) {
        let policy = policy();
        let mut situation = Situation::default();
        let mut now = Timestamp::from_second(1_790_000_000).unwrap();
        let mut keys = HashSet::new();
        let mut serial = 0u64;
        // The last (step, round) paged for the current ladder, to check that steps never skip.
        let mut position: Option<((String, u32), u32, u32)> = None;
        for step in steps {
            serial += 1;
            let ctx = Ctx {
                now,
                new_incident_id: format!("inc-{serial}"),
                new_alert_id: format!("alert-{serial}"),
                on_call: BTreeMap::from([("primary".to_owned(), "b".to_owned())]),
                new_comms_id: format!("comms-{serial}"),
            };
            let before = situation.incident.clone();
            let input = match &step {
                Step::Fire => Input::Signal(signal(SignalStatus::Firing, now)),
                Step::Clear => Input::Signal(signal(SignalStatus::Resolved, now)),
                Step::Acknowledge => Input::Acknowledge { actor: "a".into() },
                Step::Resolve => Input::Resolve { actor: "a".into() },
                Step::Severity(level) => Input::ChangeSeverity { actor: "a".into(), severity: (*level).into() },
                Step::EscalationTimer => match before.as_ref().and_then(|i| i.escalation_due_at) {
                    // The timer fires at its due time (the store fires it once it is due).
                    Some(due) => { now = now.max(due); Input::EscalationDue { due_at: due } }
                    None => continue,
                },
                Step::StaleEscalationTimer(offset) => Input::EscalationDue { due_at: now.saturating_sub(jiff::SignedDuration::from_secs(i64::from(*offset))).unwrap() },
                Step::ResponseTimer => Input::ResponseDue,
                Step::Wait(seconds) => { now = now.saturating_add(jiff::SignedDuration::from_secs(i64::from(*seconds))).unwrap(); continue; }
            };
            let ctx = Ctx { now, ..ctx };
            let Ok(decision) = decide(&policy, &situation, input.clone(), &ctx) else { continue };
            let pages: Vec<_> = decision.effects.iter().filter_map(|effect| match effect {
                Effect::Page { contact, method, ladder, step, round, notice } => Some((notice.incident_id.clone(), *ladder, *step, *round, contact.clone(), method.clone())),
                _ => None,
            }).collect();
            if !pages.is_empty() {
                let after = decision.incident.as_ref().or(before.as_ref()).expect("pages belong to an incident");
                // Never a page for an incident that is acknowledged or resolved afterwards.
                prop_assert_eq!(after.state, IncidentState::Triggered, "paged while {:?} after {:?}", after.state, input);
                // A timer never pages early.
                if let Input::EscalationDue { due_at } = input {
                    prop_assert!(now >= due_at);
                    prop_assert_eq!(before.as_ref().and_then(|i| i.escalation_due_at), Some(due_at), "a stale timer paged");
                }
                // Steps follow one another: the first step of a ladder, or the one after the last.
                let (incident, ladder, step, round, _, _) = pages[0].clone();
                let ladder = (incident, ladder);
                match position {
                    Some((ref current, last_step, last_round)) if *current == ladder => {
                        let next = if step == 0 { (0, last_round + 1) } else { (last_step + 1, last_round) };
                        prop_assert_eq!((step, round), next, "skipped from step {} round {}", last_step, last_round);
                    }
                    _ => prop_assert_eq!((step, round), (0, 0), "a new ladder starts at its first step"),
                }
                position = Some((ladder, step, round));
                for key in pages {
                    prop_assert!(keys.insert(key.clone()), "two pages with the key {:?}", key);
                }
            }
            apply(&mut situation, &decision);
        }
    }
}
