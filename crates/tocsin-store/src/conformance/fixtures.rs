//! What the stories decide: a small policy, signals and the call that decides and commits one
//! through the real pure core, as the engine does.

use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::decide::{Ctx, Input, Policy, SeverityRule, decide};
use tocsin_core::escalation::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};
use tocsin_core::signal::{Signal, SignalStatus};

use crate::plan::StoredSignal;
use crate::{Commit, Item, ItemOutcome, Lookup, Store, Transacted};

/// A fixed instant: stories move time by hand.
pub fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + seconds).expect("a valid instant")
}

/// SEV-1 tells `slack` and pages Ann by SMS and e-mail, then Bo after five minutes.
pub fn policy() -> Policy {
    Policy {
        severities: vec![SeverityRule {
            id: "SEV-1".into(),
            respond_within: Duration::from_secs(900),
            notify: vec!["slack".into()],
            pages: true,
            update_every: None,
        }],
        reopen_window: Duration::from_secs(3600),
        postmortem: None,
        runbooks: Default::default(),
        customer_comms: Default::default(),
        tickets: None,
        label_routes: Vec::new(),
        live_channels: Vec::new(),
        routes: vec![RouteRule {
            category: "backend".into(),
            escalation: Some("backend".into()),
        }],
        escalations: vec![EscalationRule {
            id: "backend".into(),
            repeat: 1,
            steps: vec![
                StepRule {
                    targets: vec![PageTarget::Contact("ann".into())],
                    after: Duration::from_secs(300),
                },
                StepRule {
                    targets: vec![PageTarget::Contact("bo".into())],
                    after: Duration::from_secs(300),
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

/// A firing SEV-1 alert of the backend.
pub fn firing(dedup_key: &str, at: Timestamp) -> Signal {
    Signal {
        source: "integration:conformance".into(),
        dedup_key: dedup_key.into(),
        status: SignalStatus::Firing,
        severity: Some("SEV-1".into()),
        title: "Checkout answers 500".into(),
        summary: None,
        category: Some("backend".into()),
        component: Some("checkout".into()),
        runbook: None,
        occurred_at: at,
        details: serde_json::Value::Null,
        labels: Default::default(),
    }
}

/// Decides `signal` against what `store` holds for its key and commits it, in one transaction.
pub async fn ingest(store: &dyn Store, signal: Signal, now: Timestamp) -> ItemOutcome {
    ingest_as(store, signal, now, None).await
}

/// [`ingest`] with a sender's delivery id (`X-GitHub-Delivery`, `webhook-id`).
pub async fn ingest_as(
    store: &dyn Store,
    signal: Signal,
    now: Timestamp,
    delivery: Option<(&str, &str)>,
) -> ItemOutcome {
    let mut transacted = transact_one(store, signal, now, delivery, None).await;
    assert!(
        transacted.handed.is_empty(),
        "nothing handed over unless asked"
    );
    transacted.outcomes.pop().expect("one outcome per item")
}

/// [`ingest`] asking for the deliveries it creates to be handed over, leased until `until`.
pub async fn ingest_handing_over(
    store: &dyn Store,
    signal: Signal,
    now: Timestamp,
    until: Timestamp,
) -> Transacted {
    transact_one(store, signal, now, None, Some(until)).await
}

async fn transact_one(
    store: &dyn Store,
    signal: Signal,
    now: Timestamp,
    delivery: Option<(&str, &str)>,
    hand_over_until: Option<Timestamp>,
) -> Transacted {
    let policy = policy();
    let item = Item {
        lookup: Lookup::Key {
            dedup_key: signal.dedup_key.clone(),
            group: None,
        },
        delivery: delivery.map(|(source, id)| (source.to_owned(), id.to_owned())),
    };
    let mut decider = |_: usize, situation: &tocsin_core::decide::Situation| {
        let decision = decide(&policy, situation, Input::Signal(signal.clone()), &ctx(now))?;
        Ok(Commit {
            now,
            decision,
            signal: Some(StoredSignal::of(&signal)),
            ..Commit::default()
        })
    };
    store
        .transact(vec![item], hand_over_until, &mut decider)
        .await
        .expect("the commit reaches the database")
}

/// Decides `signals` in one transaction, as one group commit of the engine does: each may join
/// the open incident of its source, category and component that has an alert since `since`.
pub async fn ingest_grouped(
    store: &dyn Store,
    signals: Vec<Signal>,
    now: Timestamp,
    since: Timestamp,
) -> Vec<ItemOutcome> {
    let policy = policy();
    let items = signals
        .iter()
        .map(|signal| Item {
            lookup: Lookup::Key {
                dedup_key: signal.dedup_key.clone(),
                group: Some(crate::GroupKey {
                    source: signal.source.clone(),
                    category: signal.category.clone(),
                    component: signal.component.clone(),
                    since,
                }),
            },
            delivery: None,
        })
        .collect();
    let mut decider = |index: usize, situation: &tocsin_core::decide::Situation| {
        let signal = signals[index].clone();
        let stored = StoredSignal::of(&signal);
        let decision = decide(&policy, situation, Input::Signal(signal), &ctx(now))?;
        Ok(Commit {
            now,
            decision,
            signal: Some(stored),
            ..Commit::default()
        })
    };
    store
        .transact(items, None, &mut decider)
        .await
        .expect("the commit reaches the database")
        .outcomes
}

/// A decision's context at `now` with fresh ids and nobody on call.
pub fn ctx(now: Timestamp) -> Ctx {
    Ctx {
        now,
        new_incident_id: uuid::Uuid::now_v7().to_string(),
        new_alert_id: uuid::Uuid::now_v7().to_string(),
        new_comms_id: uuid::Uuid::now_v7().to_string(),
        quiet: Default::default(),
        on_call: Default::default(),
    }
}

/// The incident an outcome committed.
pub fn incident_of(outcome: ItemOutcome) -> tocsin_core::incident::Incident {
    match outcome {
        ItemOutcome::Done(Some(incident)) => *incident,
        other => panic!("expected a committed incident, got {other:?}"),
    }
}

/// A filter that lists every incident a story makes.
pub fn every_incident() -> crate::IncidentFilter {
    crate::IncidentFilter {
        state: None,
        severity: None,
        limit: 1000,
        before: None,
    }
}

/// Decides `input` against what `lookup` reads, in one transaction.
pub async fn decide_on(
    store: &dyn Store,
    lookup: Lookup,
    input: Input,
    now: jiff::Timestamp,
) -> ItemOutcome {
    let policy = policy();
    let ctx = Ctx {
        now,
        new_incident_id: uuid::Uuid::now_v7().to_string(),
        new_alert_id: uuid::Uuid::now_v7().to_string(),
        new_comms_id: uuid::Uuid::now_v7().to_string(),
        on_call: Default::default(),
        quiet: Default::default(),
    };
    let mut decider = |_: usize, situation: &tocsin_core::decide::Situation| {
        let decision = decide(&policy, situation, input.clone(), &ctx)?;
        Ok(Commit {
            now,
            decision,
            ..Commit::default()
        })
    };
    let item = Item {
        lookup,
        delivery: None,
    };
    store
        .transact(vec![item], None, &mut decider)
        .await
        .expect("the commit reaches the database")
        .outcomes
        .pop()
        .expect("one outcome")
}
