//! IncidentStore on PostgreSQL, as the engine uses it: batches decided in one transaction,
//! several replicas deciding the same keys at once, hand-overs and single-use links.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::decide::{Ctx, Decision, Input, Policy, SeverityRule, Situation, decide};
use tocsin_core::incident::{EventKind, Incident, TimelineEvent};
use tocsin_core::signal::{Signal, SignalStatus};
use tocsin_store::plan::StoredSignal;
use tocsin_store::{
    Commit, GroupKey, IncidentFilter, IncidentStore, Item, ItemOutcome, Lookup, StoreError,
    Transacted,
};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + seconds).expect("a valid instant")
}

/// SEV-1 tells `slack` (one delivery per opening); nobody is paged.
fn policy() -> Policy {
    Policy {
        severities: vec![SeverityRule {
            id: "SEV-1".into(),
            respond_within: Duration::from_secs(900),
            notify: vec!["slack".into()],
            pages: false,
            update_every: None,
        }],
        reopen_window: Duration::from_secs(3600),
        ..Policy::default()
    }
}

/// A firing SEV-1 alert of `component`.
fn firing(dedup_key: &str, component: &str) -> Signal {
    Signal {
        source: "integration:intake".into(),
        dedup_key: dedup_key.into(),
        status: SignalStatus::Firing,
        severity: Some("SEV-1".into()),
        title: "Checkout answers 500".into(),
        summary: None,
        category: Some("backend".into()),
        component: Some(component.into()),
        runbook: None,
        occurred_at: t(0),
        details: serde_json::Value::Null,
        labels: Default::default(),
    }
}

/// Looks the signal up by its key, and by its group when `grouped`.
fn item(signal: &Signal, grouped: bool) -> Item {
    Item {
        lookup: Lookup::Key {
            dedup_key: signal.dedup_key.clone(),
            group: grouped.then(|| GroupKey {
                source: signal.source.clone(),
                category: signal.category.clone(),
                component: signal.component.clone(),
                since: t(-300),
            }),
        },
        delivery: None,
    }
}

/// The engine's decision on `signal` in `situation`, with fresh ids.
fn decide_signal(situation: &Situation, signal: &Signal) -> Commit {
    let ctx = Ctx {
        now: t(0),
        new_incident_id: uuid::Uuid::now_v7().to_string(),
        new_alert_id: uuid::Uuid::now_v7().to_string(),
        new_comms_id: uuid::Uuid::now_v7().to_string(),
        quiet: Default::default(),
        on_call: Default::default(),
    };
    let decision =
        decide(&policy(), situation, Input::Signal(signal.clone()), &ctx).expect("decided");
    Commit {
        now: t(0),
        decision,
        signal: Some(StoredSignal::of(signal)),
        ..Commit::default()
    }
}

/// Decides `signals` in one batch.
async fn ingest(
    store: &PgStore,
    signals: &[Signal],
    grouped: bool,
    hand_over_until: Option<Timestamp>,
) -> tocsin_store::Result<Transacted> {
    let items = signals.iter().map(|signal| item(signal, grouped)).collect();
    let mut decider =
        |index: usize, situation: &Situation| Ok(decide_signal(situation, &signals[index]));
    store.transact(items, hand_over_until, &mut decider).await
}

async fn open(database: &PgScratch, owner: &str) -> PgStore {
    let options = PgOptions {
        lease_owner: owner.to_owned(),
        ..PgOptions::default()
    };
    PgStore::open(database.url(), &options).await.expect("open")
}

fn incident_of(outcome: &ItemOutcome) -> &Incident {
    match outcome {
        ItemOutcome::Done(Some(incident)) => incident,
        other => panic!("expected a committed incident, got {other:?}"),
    }
}

fn every_incident() -> IncidentFilter {
    IncidentFilter {
        state: None,
        severity: None,
        limit: 1000,
        before: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batchs_second_signal_for_a_key_joins_the_incident_its_first_opened() {
    let database = PgScratch::create().await;
    let store = open(&database, "a").await;
    let signal = firing("db-down", "db");
    let transacted = ingest(&store, &[signal.clone(), signal], false, None)
        .await
        .expect("transact");

    let first = incident_of(&transacted.outcomes[0]);
    let second = incident_of(&transacted.outcomes[1]);
    assert_eq!(first.id, second.id, "one incident for the key");
    let listed = store.incidents(&every_incident()).await.expect("incidents");
    assert_eq!(listed.len(), 1, "{listed:?}");
    let situation = store
        .situation_for_incident(&first.id)
        .await
        .expect("situation");
    assert_eq!(situation.alerts.len(), 1, "one alert, seen twice");
    assert_eq!(situation.alerts[0].count, 2);
    let timeline = store.timeline(&first.id).await.expect("timeline");
    let opened = timeline
        .iter()
        .filter(|event| event.kind == EventKind::Opened)
        .count();
    assert_eq!(opened, 1, "opened once: {timeline:?}");
    assert_eq!(
        store
            .deliveries(Some(&first.id), 10)
            .await
            .expect("deliveries")
            .len(),
        1,
        "the channel is told once"
    );
}

/// Two replicas deciding the same new key at once, for many keys: the second always waits for
/// the first and joins its incident. By key alone, and by group (different keys of one
/// component, each the group's first).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deciding_one_new_key_at_once_open_one_incident_per_key() {
    let database = PgScratch::create().await;
    let a = Arc::new(open(&database, "a").await);
    let b = Arc::new(open(&database, "b").await);
    let mut racing = tokio::task::JoinSet::new();
    for n in 0..50 {
        for (store, signal, grouped) in [
            (&a, firing(&format!("key-{n}"), &format!("c{n}")), false),
            (&b, firing(&format!("key-{n}"), &format!("c{n}")), false),
            (&a, firing(&format!("g{n}-a"), &format!("g{n}")), true),
            (&b, firing(&format!("g{n}-b"), &format!("g{n}")), true),
        ] {
            let store = Arc::clone(store);
            racing.spawn(async move {
                let transacted = ingest(&store, &[signal], grouped, None).await;
                (n, grouped, transacted.expect("transact"))
            });
        }
    }
    let mut named = std::collections::BTreeMap::<(i32, bool), Vec<String>>::new();
    while let Some(joined) = racing.join_next().await {
        let (n, grouped, transacted) = joined.expect("task");
        named
            .entry((n, grouped))
            .or_default()
            .push(incident_of(&transacted.outcomes[0]).id.clone());
    }
    for ((n, grouped), ids) in &named {
        assert_eq!(
            ids[0], ids[1],
            "{n} (grouped: {grouped}): both name one incident"
        );
    }
    let incidents = a.incidents(&every_incident()).await.expect("incidents");
    assert_eq!(incidents.len(), 100, "one incident per key and per group");
    for incident in &incidents {
        let situation = b
            .situation_for_incident(&incident.id)
            .await
            .expect("situation");
        // By key: one alert seen twice; by group: the two keys' alerts.
        let seen: u32 = situation.alerts.iter().map(|alert| alert.count).sum();
        assert_eq!(seen, 2, "{:?}", situation.alerts);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handed_over_deliveries_are_leased_to_the_store_owner() {
    let database = PgScratch::create().await;
    let store = open(&database, "replica-7").await;
    let transacted = ingest(&store, &[firing("handed", "web")], false, Some(t(60)))
        .await
        .expect("transact");
    assert_eq!(
        transacted.handed.len(),
        1,
        "the channel's notice is handed over"
    );
    assert_eq!(transacted.handed[0].channel, "slack");
    assert_eq!(transacted.handed[0].attempts, 0);

    let pool = sqlx::PgPool::connect(database.url())
        .await
        .expect("connect");
    let leases: Vec<(String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT id, claimed_by, claimed_until FROM deliveries")
            .fetch_all(&pool)
            .await
            .expect("deliveries");
    assert_eq!(
        leases,
        vec![(
            transacted.handed[0].id.clone(),
            Some("replica-7".to_owned()),
            Some(t(60).as_millisecond())
        )]
    );

    // Without a hand-over, nothing is leased: any replica may claim the delivery.
    let unleased = ingest(&store, &[firing("not-handed", "api")], false, None)
        .await
        .expect("transact");
    assert!(unleased.handed.is_empty());
    let claimed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE claimed_by IS NOT NULL")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(claimed, 1, "only the handed-over delivery is leased");
}

/// An incident's note consuming an acknowledge link's nonce.
fn note_with_token(incident_id: &str, nonce: &str, text: &str) -> Commit {
    Commit {
        now: t(10),
        decision: Decision {
            events: vec![TimelineEvent {
                incident_id: incident_id.to_owned(),
                at: t(10),
                kind: EventKind::Note,
                actor: "ann".to_owned(),
                text: text.to_owned(),
                data: serde_json::Value::Null,
            }],
            ..Decision::default()
        },
        consume_token: Some(nonce.to_owned()),
        ..Commit::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_token_rolls_back_the_whole_commit_and_batch() {
    let database = PgScratch::create().await;
    let store = open(&database, "a").await;
    let opened = ingest(&store, &[firing("db-down", "db")], false, None)
        .await
        .expect("transact");
    let incident = incident_of(&opened.outcomes[0]).id.clone();

    assert!(!store.token_used("n-1").await.expect("token"));
    store
        .commit(note_with_token(&incident, "n-1", "first use"))
        .await
        .expect("the first use commits");
    assert!(store.token_used("n-1").await.expect("token"));
    let again = store
        .commit(note_with_token(&incident, "n-1", "second use"))
        .await;
    assert!(matches!(again, Err(StoreError::TokenUsed)), "{again:?}");

    // In a batch, the used link undoes the items before it too.
    let signal = firing("cache-down", "cache");
    let items = vec![
        item(&signal, false),
        Item {
            lookup: Lookup::Incident(incident.clone()),
            delivery: None,
        },
    ];
    let mut decider = |index: usize, situation: &Situation| {
        Ok(match index {
            0 => decide_signal(situation, &signal),
            _ => note_with_token(&incident, "n-1", "third use"),
        })
    };
    let batch = store.transact(items, None, &mut decider).await;
    assert!(matches!(batch, Err(StoreError::TokenUsed)), "{batch:?}");

    let notes: Vec<String> = store
        .timeline(&incident)
        .await
        .expect("timeline")
        .into_iter()
        .filter(|event| event.kind == EventKind::Note && event.actor == "ann")
        .map(|event| event.text)
        .collect();
    assert_eq!(notes, vec!["first use"], "only the first use wrote");
    let incidents = store.incidents(&every_incident()).await.expect("incidents");
    assert_eq!(
        incidents.len(),
        1,
        "the batch's new incident was rolled back"
    );
}

/// Two replicas whose batches lock the same two incidents in opposite orders (through
/// different keys of each): PostgreSQL aborts one, which runs again from the start and
/// commits; each decision is written once, as decided by the attempt that committed.
#[test]
fn a_deadlock_between_replicas_is_run_again_and_both_commit() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let database = runtime.block_on(PgScratch::create());
    // Incident 1 holds keys k1 and k4, incident 2 holds k2 and k3.
    let (one, two) = runtime.block_on(async {
        let store = open(&database, "setup").await;
        let setup = [
            firing("k1", "one"),
            firing("k2", "two"),
            firing("k3", "two"),
            firing("k4", "one"),
        ];
        let transacted = ingest(&store, &setup, true, None).await.expect("setup");
        let ids: Vec<String> = transacted
            .outcomes
            .iter()
            .map(|outcome| incident_of(outcome).id.clone())
            .collect();
        assert_eq!((&ids[0], &ids[1]), (&ids[3], &ids[2]), "{ids:?}");
        (ids[0].clone(), ids[1].clone())
    });

    // Each replica on a thread of its own, so the barrier blocks nobody else: both hold their
    // first incident before either reads its second.
    let barrier = Arc::new(Barrier::new(2));
    let replica = |owner: &'static str, keys: [&'static str; 2]| {
        let url = database.url().to_owned();
        let barrier = Arc::clone(&barrier);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let options = PgOptions {
                    lease_owner: owner.to_owned(),
                    ..PgOptions::default()
                };
                let store = PgStore::open(&url, &options).await.expect("open");
                let signals = keys.map(|key| firing(key, "any"));
                let items = signals.iter().map(|signal| item(signal, false)).collect();
                let mut calls = 0;
                let mut decider = |index: usize, situation: &Situation| {
                    calls += 1;
                    if calls == 1 {
                        barrier.wait();
                    }
                    Ok(decide_signal(situation, &signals[index]))
                };
                let transacted = store.transact(items, None, &mut decider).await;
                (transacted.expect("transact"), calls)
            })
        })
    };
    let a = replica("a", ["k1", "k2"]);
    let b = replica("b", ["k3", "k4"]);
    let (a, a_calls) = a.join().expect("replica a");
    let (b, b_calls) = b.join().expect("replica b");

    let mut calls = [a_calls, b_calls];
    calls.sort();
    assert_eq!(calls, [2, 3], "one replica decided its first item twice");
    let named = |transacted: &Transacted| -> Vec<String> {
        transacted
            .outcomes
            .iter()
            .map(|outcome| incident_of(outcome).id.clone())
            .collect()
    };
    assert_eq!(named(&a), vec![one.clone(), two.clone()]);
    assert_eq!(named(&b), vec![two.clone(), one.clone()]);
    runtime.block_on(async {
        let store = open(&database, "check").await;
        for id in [&one, &two] {
            let situation = store.situation_for_incident(id).await.expect("situation");
            let counts: Vec<u32> = situation.alerts.iter().map(|alert| alert.count).collect();
            assert_eq!(counts, vec![2, 2], "each key seen twice, not thrice");
        }
    });
}
