//! Replicas sharing the probes on a real PostgreSQL: three replicas hold disjoint shares that
//! together cover every monitor; when one stops renewing, the other two take its monitors once
//! its leases end, and a replica that comes back gets its share again as the others let go.

use std::collections::BTreeSet;

use jiff::Timestamp;
use tocsin_store::{DueWork, MonitorStore};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

const MONITORS: usize = 100;
const LEASE_S: i64 = 15;

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + seconds).expect("a valid instant")
}

async fn replica(database: &PgScratch, name: &str) -> PgStore {
    let options = PgOptions {
        lease_owner: name.to_owned(),
        ..PgOptions::default()
    };
    PgStore::open(database.url(), &options).await.expect("open")
}

/// One renewal of `store` at `at`, as the engine's round does it; the ids it holds.
async fn renew(store: &PgStore, ids: &[String], at: Timestamp) -> BTreeSet<String> {
    let alive = store
        .replica_alive(at, t(at.as_second() - 1_790_000_000 - LEASE_S))
        .await
        .expect("alive");
    let share = ids.len().div_ceil(alive as usize);
    store
        .hold_monitors(ids, at, t(at.as_second() - 1_790_000_000 + LEASE_S), share)
        .await
        .expect("hold")
        .ids
        .into_iter()
        .collect()
}

/// Renews every store in turn for `rounds` rounds of 5 s from `from`; each one's last holding.
async fn settle(
    stores: &[&PgStore],
    ids: &[String],
    from: i64,
    rounds: i64,
) -> Vec<BTreeSet<String>> {
    let mut held = vec![BTreeSet::new(); stores.len()];
    for round in 0..rounds {
        for (index, store) in stores.iter().enumerate() {
            held[index] = renew(store, ids, t(from + round * 5)).await;
        }
    }
    held
}

fn assert_disjoint_cover(held: &[BTreeSet<String>], ids: &[String]) {
    let mut seen = BTreeSet::new();
    for share in held {
        for id in share {
            assert!(seen.insert(id.clone()), "{id} is held by two replicas");
        }
    }
    assert_eq!(
        seen.len(),
        ids.len(),
        "every monitor is held by some replica"
    );
}

#[tokio::test]
async fn three_replicas_share_the_monitors_and_two_take_over_when_one_stops() {
    let database = PgScratch::create().await;
    let (a, b, c) = (
        replica(&database, "a").await,
        replica(&database, "b").await,
        replica(&database, "c").await,
    );
    let ids: Vec<String> = (0..MONITORS).map(|n| format!("m{n:03}")).collect();
    let synced: Vec<(String, Timestamp)> = ids.iter().map(|id| (id.clone(), t(30))).collect();
    a.sync_monitors(&synced).await.expect("sync");

    let held = settle(&[&a, &b, &c], &ids, 0, 3).await;
    assert_disjoint_cover(&held, &ids);
    for share in &held {
        // None above the rounded-up share, so none far below it.
        assert!(
            (32..=34).contains(&share.len()),
            "an even share: {}",
            share.len()
        );
    }

    // c stops renewing at 10 s. Until its leases end (25 s) and it counts as gone, a and b keep
    // their shares and never take its monitors.
    let during = settle(&[&a, &b], &ids, 15, 2).await;
    assert_eq!(during[0], held[0]);
    assert_eq!(during[1], held[1]);
    // Then they take everything between them.
    let after = settle(&[&a, &b], &ids, 30, 2).await;
    assert_disjoint_cover(&after, &ids);
    assert_eq!(after[0].len(), 50);
    assert_eq!(after[1].len(), 50);

    // c comes back: a and b let go of what is beyond their share, and c takes it.
    let back = settle(&[&a, &b, &c], &ids, 50, 3).await;
    assert_disjoint_cover(&back, &ids);
    for share in &back {
        assert!(
            (32..=34).contains(&share.len()),
            "an even share again: {}",
            share.len()
        );
    }
}

#[tokio::test]
async fn replicas_renewing_at_once_never_hold_a_monitor_together() {
    let database = PgScratch::create().await;
    let mut stores = Vec::new();
    for name in ["a", "b", "c"] {
        stores.push(replica(&database, name).await);
    }
    let ids: Vec<String> = (0..MONITORS).map(|n| format!("m{n:03}")).collect();
    let synced: Vec<(String, Timestamp)> = ids.iter().map(|id| (id.clone(), t(30))).collect();
    stores[0].sync_monitors(&synced).await.expect("sync");
    for round in 0..5 {
        let at = t(round * 5);
        let holdings =
            futures_util::future::join_all(stores.iter().map(|store| renew(store, &ids, at))).await;
        let mut seen = BTreeSet::new();
        for share in &holdings {
            for id in share {
                assert!(seen.insert(id.clone()), "{id} held twice in round {round}");
            }
        }
    }
}

/// A replica's cached public pages learn of another replica's incident at its commit.
#[tokio::test]
async fn a_change_committed_by_one_replica_is_heard_by_another() {
    use tocsin_store::IncidentStore;

    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let mut heard = b.watch_changes();
    let before = b.changes_elsewhere();
    let commit = incident_commit();
    a.commit(commit).await.expect("commit");
    tokio::time::timeout(std::time::Duration::from_secs(10), heard.changed())
        .await
        .expect("heard within 10 s")
        .expect("the listener runs");
    assert!(b.changes_elsewhere() > before);
}

/// The per-contact throttle across replicas: a replica counts the pages to the same contact
/// that another replica holds and that were queued first, never its own or later ones.
#[tokio::test]
async fn pages_another_replica_holds_count_for_the_throttle_in_queue_order() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let pool = sqlx::PgPool::connect(database.url())
        .await
        .expect("connect");
    for (id, created, owner) in [("d1", 1, "a"), ("d2", 2, "b"), ("d3", 3, "a")] {
        sqlx::query(
            "INSERT INTO deliveries (id, channel, recipient, notice, status, next_attempt_at, \
               created_at, claimed_until, claimed_by) \
             VALUES ($1, 'sms', 'lena', '{}', 'pending', $2, $2, $3, $4)",
        )
        .bind(id)
        .bind(t(created).as_millisecond())
        .bind(t(60).as_millisecond())
        .bind(owner)
        .execute(&pool)
        .await
        .expect("a delivery");
    }
    let ahead = |store: &PgStore, id: &'static str| {
        let store = store.clone();
        async move {
            store
                .pages_ahead_elsewhere(id, "lena", "sms", t(10))
                .await
                .expect("count")
        }
    };
    assert_eq!(ahead(&a, "d1").await, 0, "nothing queued before it");
    assert_eq!(ahead(&b, "d2").await, 1, "a holds d1, queued first");
    assert_eq!(
        ahead(&a, "d3").await,
        1,
        "b holds d2; a's own d1 is counted by a itself"
    );
    // Once b's lease has ended, its page no longer counts.
    assert_eq!(
        a.pages_ahead_elsewhere("d3", "lena", "sms", t(61))
            .await
            .expect("count"),
        0
    );
}

/// A replica older than the schema does not start on it, and says why.
#[tokio::test]
async fn a_replica_refuses_a_schema_newer_than_it_knows() {
    let database = PgScratch::create().await;
    drop(replica(&database, "new").await);
    let pool = sqlx::PgPool::connect(database.url())
        .await
        .expect("connect");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from a newer tocsin', true, '\\x00', 0)",
    )
    .execute(&pool)
    .await
    .expect("a newer migration");
    let refused = PgStore::open(database.url(), &PgOptions::default())
        .await
        .expect_err("an older replica must not start");
    let message = refused.to_string();
    assert!(message.contains("version 9999"), "{message}");
    assert!(message.contains("newer"), "{message}");
}

/// A decision opening incident `inc-1`.
fn incident_commit() -> tocsin_store::Commit {
    let incident = tocsin_core::incident::Incident {
        id: "inc-1".into(),
        title: "Checkout slow".into(),
        public_title: None,
        severity: "SEV-2".into(),
        state: tocsin_core::incident::IncidentState::Triggered,
        category: None,
        component: None,
        summary: None,
        runbook: None,
        source: "manual".into(),
        opened_at: t(0),
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        respond_by: t(900),
        alert_count: 0,
        escalation: None,
        escalation_step: 0,
        escalation_round: 0,
        escalation_due_at: None,
        escalation_ladder: 0,
        roles: Default::default(),
        merged_into: None,
        snoozed_until: None,
        held_by: None,
        route_escalation: None,
    };
    tocsin_store::Commit {
        now: t(0),
        decision: tocsin_core::decide::Decision {
            incident: Some(incident),
            ..Default::default()
        },
        signal: None,
        check: None,
        fired_timer: None,
        consume_token: None,
        changes: Vec::new(),
    }
}

/// A due timer fires once across replicas: the replica whose claim ran out while another fired
/// it writes nothing of its own firing.
#[tokio::test]
async fn a_timer_fired_by_one_replica_is_not_fired_again_by_another() {
    use tocsin_core::incident::{EventKind, TimelineEvent};
    use tocsin_store::{IncidentStore, Item, ItemOutcome, Lookup};

    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    a.commit(incident_commit())
        .await
        .expect("open the incident");
    let pool = sqlx::PgPool::connect(database.url())
        .await
        .expect("connect");
    let timer: i64 = sqlx::query_scalar(
        "INSERT INTO timers (kind, incident_id, due_at) VALUES ('escalate', 'inc-1', $1) RETURNING id",
    )
    .bind(t(60).as_millisecond())
    .fetch_one(&pool)
    .await
    .expect("a timer");
    let firing = move |_: usize, _: &tocsin_core::decide::Situation| {
        let mut commit = tocsin_store::Commit {
            now: t(60),
            decision: tocsin_core::decide::Decision::default(),
            signal: None,
            check: None,
            fired_timer: Some(timer),
            consume_token: None,
            changes: Vec::new(),
        };
        commit.decision.events.push(TimelineEvent {
            incident_id: "inc-1".into(),
            at: t(60),
            kind: EventKind::Escalated,
            actor: "tocsin".into(),
            text: "Escalated to step 2".into(),
            data: serde_json::Value::Null,
        });
        Ok(commit)
    };
    let item = || Item {
        lookup: Lookup::Incident("inc-1".into()),
        delivery: None,
    };
    // Both replicas claimed it (b's claim after a's lease ran out); a fires first.
    let first = a
        .transact(vec![item()], None, &mut firing.clone())
        .await
        .expect("a fires");
    let second = b
        .transact(vec![item()], None, &mut firing.clone())
        .await
        .expect("b's firing is answered");
    assert!(matches!(first.outcomes[0], ItemOutcome::Done(_)));
    assert_eq!(second.outcomes[0], ItemOutcome::Duplicate);
    let escalated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM timeline_events WHERE incident_id = 'inc-1' AND kind = 'escalated'",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(escalated, 1, "escalated once");
}

/// Fencing: a replica about to send still holds its page only while its lease runs, and the
/// check renews it; a replica that stalled past it finds the page gone.
#[tokio::test]
async fn a_replica_holds_its_page_only_while_its_lease_runs() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let pool = sqlx::PgPool::connect(database.url())
        .await
        .expect("connect");
    sqlx::query(
        "INSERT INTO deliveries (id, channel, recipient, notice, status, next_attempt_at, \
           created_at, claimed_until, claimed_by) \
         VALUES ('d1', 'sms', 'lena', '{}', 'pending', 0, 0, $1, 'a')",
    )
    .bind(t(10).as_millisecond())
    .execute(&pool)
    .await
    .expect("a delivery");
    let deliveries = tocsin_store::Queue::Deliveries;
    assert!(
        a.still_holds(deliveries, "d1", t(5), t(30))
            .await
            .expect("check")
    );
    assert!(
        !b.still_holds(deliveries, "d1", t(5), t(30))
            .await
            .expect("check"),
        "not b's"
    );
    // Renewed to 30 s: still a's at 20 s, gone at 31 s, when b may claim and send it.
    assert!(
        a.still_holds(deliveries, "d1", t(20), t(30))
            .await
            .expect("check")
    );
    assert!(
        !a.still_holds(deliveries, "d1", t(31), t(50))
            .await
            .expect("check")
    );
    // b claims it (as `claim_due_deliveries` does: its lease, its name).
    sqlx::query("UPDATE deliveries SET claimed_by = 'b', claimed_until = $1 WHERE id = 'd1'")
        .bind(t(50).as_millisecond())
        .execute(&pool)
        .await
        .expect("b's claim");
    assert!(
        !a.still_holds(deliveries, "d1", t(32), t(50))
            .await
            .expect("check")
    );
    assert!(
        b.still_holds(deliveries, "d1", t(32), t(50))
            .await
            .expect("check")
    );
}

/// A monitor taken from a replica that is gone owes the check it missed; one taken from a
/// replica that is alive but was late to renew (a stall) does not: that one may still be
/// probing it until its next renewal.
#[tokio::test]
async fn a_monitor_taken_from_a_gone_replica_is_marked_for_a_catch_up_check() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let ids = ["m1".to_owned(), "m2".to_owned()];
    let synced: Vec<(String, Timestamp)> = ids.iter().map(|id| (id.clone(), t(30))).collect();
    a.sync_monitors(&synced).await.expect("sync");
    a.replica_alive(t(0), t(-15)).await.expect("alive");
    let held = a
        .hold_monitors(&ids[..1], t(0), t(15), 1)
        .await
        .expect("hold");
    assert_eq!(held.ids.len(), 1);

    // a says it is alive at 18 s but never renewed m1: late, not gone.
    a.replica_alive(t(18), t(3)).await.expect("alive");
    b.replica_alive(t(20), t(5)).await.expect("alive");
    let taken = b
        .hold_monitors(&ids[..1], t(20), t(35), 1)
        .await
        .expect("hold");
    assert_eq!(taken.ids.len(), 1);
    assert!(
        taken.lapsed.is_empty(),
        "a stalled replica's monitor resumes at its slot"
    );

    // b then goes silent; a, alive, takes m1 once b's lease has ended: b is gone.
    a.replica_alive(t(60), t(45)).await.expect("alive");
    let back = a
        .hold_monitors(&ids[..1], t(60), t(75), 1)
        .await
        .expect("hold");
    assert_eq!(back.ids.len(), 1);
    assert!(
        back.lapsed.contains("m1"),
        "a gone replica's missed check is owed"
    );
}
