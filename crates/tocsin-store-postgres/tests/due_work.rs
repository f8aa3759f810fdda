//! DueWork on a real PostgreSQL: leases hold across replicas (two `PgStore`s on one database),
//! concurrent claims never share a row and pass over each other's locked rows, a release frees
//! only its owner's leases, and finishing work (attempts, mails, post-mortems, digests) does what
//! the SQLite store does.
//!
//! The rows are written with plain SQL, so these tests need no other part of the store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::Timestamp;
use sqlx::{PgPool, Row};
use tocsin_core::incident::IncidentState;
use tocsin_core::notice::{Notice, NoticeEvent};
use tocsin_store::{Attempt, AttemptOutcome, DueWork, SubscriberMailKind};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

/// A fixed instant: tests move time by hand.
fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + seconds).expect("a valid instant")
}

fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// One database, the replicas opened on it, and a pool to write fixtures and read back.
struct Db {
    scratch: PgScratch,
    pool: PgPool,
}

impl Db {
    async fn fresh() -> Db {
        let scratch = PgScratch::create().await;
        // Opening a store migrates the database before the fixtures' pool writes to it.
        let _ = Self::open(&scratch, "setup").await;
        let pool = PgPool::connect(scratch.url()).await.expect("connect");
        Db { scratch, pool }
    }

    async fn open(scratch: &PgScratch, owner: &str) -> PgStore {
        let options = PgOptions {
            lease_owner: owner.to_owned(),
            pool_size: 4,
        };
        PgStore::open(scratch.url(), &options).await.expect("open")
    }

    async fn store(&self, owner: &str) -> PgStore {
        Self::open(&self.scratch, owner).await
    }

    async fn exec(&self, sql: &'static str) {
        sqlx::raw_sql(sql).execute(&self.pool).await.expect(sql);
    }

    async fn incident(&self, id: &str) {
        sqlx::query(
            "INSERT INTO incidents (id, title, severity, state, component, source, opened_at, \
               respond_by, public_title) \
             VALUES ($1, 'Checkout answers 500', 'SEV-1', 'acknowledged', 'checkout', 'test', 0, 0, \
               'Checkout is slow')",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .expect("incident");
    }

    async fn delivery(&self, id: &str, channel: &str, recipient: Option<&str>, due: Timestamp) {
        sqlx::query(
            "INSERT INTO deliveries (id, incident_id, channel, recipient, notice, status, \
               next_attempt_at, created_at) VALUES ($1, 'i1', $2, $3, $4, 'pending', $5, $6)",
        )
        .bind(id)
        .bind(channel)
        .bind(recipient)
        .bind(notice())
        .bind(ms(due))
        .bind(ms(t(0)))
        .execute(&self.pool)
        .await
        .expect("delivery");
    }

    async fn timer(&self, kind: &str, due: Timestamp) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO timers (kind, incident_id, due_at) VALUES ($1, 'i1', $2) RETURNING id",
        )
        .bind(kind)
        .bind(ms(due))
        .fetch_one(&self.pool)
        .await
        .expect("timer")
    }

    /// The lease on a delivery: until when, and whose.
    async fn lease(&self, id: &str) -> (Option<i64>, Option<String>) {
        let row = sqlx::query("SELECT claimed_until, claimed_by FROM deliveries WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .expect("lease");
        (row.get("claimed_until"), row.get("claimed_by"))
    }
}

/// The notice every test delivery carries, as stored.
fn notice() -> String {
    let notice = Notice {
        event: NoticeEvent::Opened,
        incident_id: "i1".into(),
        title: "Checkout answers 500".into(),
        severity: "SEV-1".into(),
        category: None,
        component: None,
        summary: None,
        opened_at: t(0),
        runbook: None,
        actor: None,
        source: None,
    };
    serde_json::to_string(&notice).expect("notice")
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> String) -> BTreeSet<String> {
    items.iter().map(id).collect()
}

#[tokio::test]
async fn a_claim_holds_until_its_lease_ends_then_another_owner_reclaims() {
    let db = Db::fresh().await;
    let (a, b) = (db.store("a").await, db.store("b").await);
    db.incident("i1").await;
    db.delivery("d1", "slack", None, t(0)).await;
    db.delivery("d2", "sms", Some("ann"), t(5)).await;
    db.delivery("later", "sms", Some("ann"), t(100)).await;
    let timer = db.timer("escalate", t(5)).await;
    db.exec("INSERT INTO monitors (id, status, next_check_at) VALUES ('web', 'pending', 0)")
        .await;

    let deliveries = a
        .claim_due_deliveries(t(10), t(40), 100)
        .await
        .expect("claim");
    let claimed: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(claimed, ["d1", "d2"], "the due ones, earliest first");
    assert_eq!(deliveries[1].recipient.as_deref(), Some("ann"));
    assert_eq!(deliveries[1].notice.event, NoticeEvent::Opened);
    assert_eq!(
        db.lease("d1").await,
        (Some(ms(t(40))), Some("a".to_owned()))
    );
    let timers = a.claim_due_timers(t(10), t(40), 100).await.expect("claim");
    assert_eq!(timers.len(), 1);
    assert_eq!((timers[0].id, timers[0].kind.as_str()), (timer, "escalate"));
    assert_eq!(timers[0].due_at, t(5));
    let monitors = a
        .claim_due_monitors(t(10), t(40), 100)
        .await
        .expect("claim");
    assert_eq!(monitors.len(), 1);

    // Within a's lease nobody gets them again, a neither.
    for (store, at) in [(&a, t(20)), (&b, t(39))] {
        assert!(
            store
                .claim_due_deliveries(at, t(90), 100)
                .await
                .expect("claim")
                .is_empty()
        );
        assert!(
            store
                .claim_due_timers(at, t(90), 100)
                .await
                .expect("claim")
                .is_empty()
        );
        assert!(
            store
                .claim_due_monitors(at, t(90), 100)
                .await
                .expect("claim")
                .is_empty()
        );
    }

    // The lease ended (a died): b claims the same work, now leased to b.
    let again = b
        .claim_due_deliveries(t(40), t(70), 100)
        .await
        .expect("claim");
    assert_eq!(
        ids(&again, |d| d.id.clone()),
        ids(&deliveries, |d| d.id.clone())
    );
    assert_eq!(
        db.lease("d2").await,
        (Some(ms(t(70))), Some("b".to_owned()))
    );
    let again = b.claim_due_timers(t(40), t(70), 100).await.expect("claim");
    assert_eq!(
        again.iter().map(|timer| timer.id).collect::<Vec<_>>(),
        [timer]
    );
    assert_eq!(
        b.claim_due_monitors(t(40), t(70), 100)
            .await
            .expect("claim")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_claim_takes_at_most_its_limit_and_only_pending_rows() {
    let db = Db::fresh().await;
    let a = db.store("a").await;
    db.incident("i1").await;
    for (id, due) in [("d3", 3), ("d1", 1), ("d2", 2), ("done", 0)] {
        db.delivery(id, "slack", None, t(due)).await;
    }
    db.exec("UPDATE deliveries SET status = 'sent' WHERE id = 'done'")
        .await;
    let first = a
        .claim_due_deliveries(t(10), t(40), 2)
        .await
        .expect("claim");
    assert_eq!(
        first.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d1", "d2"]
    );
    let rest = a
        .claim_due_deliveries(t(10), t(40), 2)
        .await
        .expect("claim");
    assert_eq!(
        rest.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d3"]
    );
}

/// Two replicas, each with several workers, claim a large queue at once in small batches:
/// every row goes to exactly one claim, and the database agrees on whose it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_share_a_row_and_take_every_row() {
    const ROWS: usize = 400;
    let db = Db::fresh().await;
    db.incident("i1").await;
    sqlx::query(
        "INSERT INTO deliveries (id, incident_id, channel, notice, status, next_attempt_at, created_at) \
         SELECT 'd' || lpad(n::text, 4, '0'), 'i1', 'slack', $2, 'pending', n % 17, 0 \
         FROM generate_series(1, $1) AS n",
    )
    .bind(i64::try_from(ROWS).expect("rows"))
    .bind(notice())
    .execute(&db.pool)
    .await
    .expect("deliveries");
    let stores = [
        ("a", Arc::new(db.store("a").await)),
        ("b", Arc::new(db.store("b").await)),
    ];

    let mut workers = tokio::task::JoinSet::new();
    // All six start claiming together, so a busy machine cannot let one replica's three finish
    // before the other's have begun.
    let start = Arc::new(tokio::sync::Barrier::new(6));
    for (owner, store) in &stores {
        for _ in 0..3 {
            let (owner, store, start) = (*owner, Arc::clone(store), Arc::clone(&start));
            workers.spawn(async move {
                start.wait().await;
                let mut mine = Vec::new();
                loop {
                    let claimed: Vec<String> = store
                        .claim_due_deliveries(t(0), t(3600), 5)
                        .await
                        .expect("claim")
                        .into_iter()
                        .map(|d| d.id)
                        .collect();
                    if claimed.is_empty() {
                        return (owner, mine);
                    }
                    mine.extend(claimed);
                }
            });
        }
    }
    let mut owner_of: BTreeMap<String, String> = BTreeMap::new();
    while let Some(worker) = workers.join_next().await {
        let (owner, claimed) = worker.expect("worker");
        for id in claimed {
            assert!(
                owner_of.insert(id.clone(), owner.to_owned()).is_none(),
                "{id} claimed twice"
            );
        }
    }
    assert_eq!(owner_of.len(), ROWS, "every row claimed");

    let leases: BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT id, claimed_by FROM deliveries")
            .fetch_all(&db.pool)
            .await
            .expect("leases")
            .into_iter()
            .collect();
    assert_eq!(
        leases, owner_of,
        "each row is leased to the replica that got it"
    );
    // How the rows split between the replicas depends on the scheduler (on a busy machine one
    // replica's workers can drain the queue before the other's first connection is up), so the
    // split is not asserted here; that a claim in flight never makes the other replica wait or
    // come back empty is `a_claim_in_flight_is_passed_over_not_waited_for`.
}

/// While one replica's claim holds its rows locked (its statement not yet committed), another
/// replica's claim neither waits for it nor comes back empty: it takes the next free rows.
#[tokio::test]
async fn a_claim_in_flight_is_passed_over_not_waited_for() {
    let db = Db::fresh().await;
    db.incident("i1").await;
    for (id, due) in [("d1", 1), ("d2", 2), ("d3", 3), ("d4", 4)] {
        db.delivery(id, "slack", None, t(due)).await;
    }
    let b = db.store("b").await;

    // Replica a's claim, caught between locking the two earliest rows and committing.
    let mut in_flight = db.pool.begin().await.expect("begin");
    let locked: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM deliveries ORDER BY next_attempt_at, id LIMIT 2 FOR UPDATE",
    )
    .fetch_all(&mut *in_flight)
    .await
    .expect("lock");
    assert_eq!(locked, ["d1", "d2"]);

    let claimed = b
        .claim_due_deliveries(t(10), t(3600), 5)
        .await
        .expect("claim while another claim is in flight");
    assert_eq!(
        claimed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d3", "d4"],
        "the rows another claim holds are passed over, the free ones taken"
    );
    in_flight.rollback().await.expect("rollback");

    // Once that claim is gone, its rows are free to take.
    let rest = b
        .claim_due_deliveries(t(10), t(3600), 5)
        .await
        .expect("claim after");
    assert_eq!(
        rest.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d1", "d2"]
    );
}

#[tokio::test]
async fn release_frees_only_the_owners_leases_on_every_queue() {
    let db = Db::fresh().await;
    let (a, b) = (db.store("a").await, db.store("b").await);
    db.incident("i1").await;
    for (id, due) in [("a1", 1), ("a2", 2), ("b1", 3), ("b2", 4), ("free", 5)] {
        db.delivery(id, "slack", None, t(due)).await;
    }
    db.delivery("legacy", "slack", None, t(0)).await;
    // A lease written before leases had owners.
    db.exec("UPDATE deliveries SET claimed_until = 9999999999999 WHERE id = 'legacy'")
        .await;
    let timer = db.timer("escalate", t(0)).await;
    assert_eq!(
        a.claim_due_deliveries(t(10), t(1000), 2)
            .await
            .expect("claim")
            .len(),
        2
    );
    assert_eq!(
        a.claim_due_timers(t(10), t(1000), 10)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        b.claim_due_deliveries(t(10), t(1000), 2)
            .await
            .expect("claim")
            .len(),
        2
    );

    a.release_leases().await.expect("release");
    for id in ["a1", "a2", "legacy"] {
        assert_eq!(db.lease(id).await, (None, None), "{id} is free again");
    }
    for id in ["b1", "b2"] {
        assert_eq!(
            db.lease(id).await,
            (Some(ms(t(1000))), Some("b".to_owned()))
        );
    }
    // Within b's lease a third replica finds a's work (and the ownerless lease's) due at once.
    let c = db.store("c").await;
    let due = c
        .claim_due_deliveries(t(11), t(40), 100)
        .await
        .expect("claim");
    let due: Vec<&str> = due.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(due, ["legacy", "a1", "a2", "free"]);
    let timers = c.claim_due_timers(t(11), t(40), 100).await.expect("claim");
    assert_eq!(
        timers.iter().map(|timer| timer.id).collect::<Vec<_>>(),
        [timer]
    );
}

/// One delivery's attempt as the sender reports it.
fn attempt(delivery_id: &str, at: Timestamp, outcome: AttemptOutcome) -> Attempt {
    Attempt {
        delivery_id: delivery_id.into(),
        incident_id: "i1".into(),
        channel: "slack".into(),
        at,
        http_status: Some(200),
        outcome,
    }
}

/// A delivery's state after its attempts: status, attempts, next attempt, sent at, lease,
/// last error.
type DeliveryState = (String, i64, i64, Option<i64>, Option<i64>, Option<String>);

async fn delivery_state(db: &Db, id: &str) -> DeliveryState {
    sqlx::query_as(
        "SELECT status, attempts, next_attempt_at, sent_at, claimed_until, last_error \
         FROM deliveries WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .expect("delivery")
}

/// The timeline's events of `kind`: their texts.
async fn events(db: &Db, kind: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT text FROM timeline_events WHERE kind = $1 ORDER BY seq")
        .bind(kind)
        .fetch_all(&db.pool)
        .await
        .expect("events")
}

#[tokio::test]
async fn record_attempt_sends_retries_and_gives_up() {
    let db = Db::fresh().await;
    let (a, b) = (db.store("a").await, db.store("b").await);
    db.incident("i1").await;
    for id in ["sent", "retried", "failed"] {
        db.delivery(id, "slack", None, t(0)).await;
    }
    assert_eq!(
        a.claim_due_deliveries(t(1), t(31), 10)
            .await
            .expect("claim")
            .len(),
        3
    );

    // Sent, reported twice (by two replicas): one attempt counted, one "Told slack".
    for store in [&a, &b] {
        store
            .record_attempt(attempt("sent", t(2), AttemptOutcome::Sent))
            .await
            .expect("record");
    }
    assert_eq!(
        delivery_state(&db, "sent").await,
        ("sent".to_owned(), 1, ms(t(0)), Some(ms(t(2))), None, None)
    );
    assert_eq!(events(&db, "notified").await, ["Told slack"]);
    let tries: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT ok, http_status FROM delivery_attempts WHERE delivery_id = 'sent' ORDER BY seq",
    )
    .fetch_all(&db.pool)
    .await
    .expect("attempts");
    assert_eq!(
        tries,
        [(1, Some(200)), (1, Some(200))],
        "each report is kept"
    );

    // Retried: pending again at its next attempt, free of its lease, nothing on the timeline.
    let retry = AttemptOutcome::Retry {
        error: "503".into(),
        next_attempt_at: t(60),
    };
    a.record_attempt(attempt("retried", t(3), retry))
        .await
        .expect("record");
    assert_eq!(
        delivery_state(&db, "retried").await,
        (
            "pending".to_owned(),
            1,
            ms(t(60)),
            None,
            None,
            Some("503".to_owned())
        )
    );

    // Failed for good: the timeline says so.
    let failed = AttemptOutcome::Failed {
        error: "410 gone".into(),
    };
    a.record_attempt(attempt("failed", t(4), failed))
        .await
        .expect("record");
    assert_eq!(
        delivery_state(&db, "failed").await,
        (
            "failed".to_owned(),
            1,
            ms(t(0)),
            None,
            None,
            Some("410 gone".to_owned())
        )
    );
    assert_eq!(
        events(&db, "notify_failed").await,
        ["Could not tell slack: 410 gone"]
    );

    // Only the retried delivery is ever due again, and only at its next attempt.
    assert!(
        b.claim_due_deliveries(t(59), t(90), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let again = b
        .claim_due_deliveries(t(60), t(5000), 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id.as_str(), again[0].attempts), ("retried", 1));
    assert!(
        a.claim_due_deliveries(t(999), t(1999), 10)
            .await
            .expect("claim")
            .is_empty(),
        "sent and failed ones never again (the retried one is b's)"
    );
}

#[tokio::test]
async fn the_throttle_counts_every_replicas_sends_and_postponing_holds_a_page_back() {
    let db = Db::fresh().await;
    let (a, b) = (db.store("a").await, db.store("b").await);
    db.incident("i1").await;
    for (id, channel) in [
        ("s1", "sms"),
        ("s2", "sms"),
        ("e1", "email"),
        ("held", "sms"),
    ] {
        db.delivery(id, channel, Some("ann"), t(0)).await;
    }
    a.claim_due_deliveries(t(1), t(31), 10)
        .await
        .expect("claim");
    let sent = |id: &str, channel: &str, at| Attempt {
        channel: channel.into(),
        ..attempt(id, at, AttemptOutcome::Sent)
    };
    a.record_attempt(sent("s1", "sms", t(5)))
        .await
        .expect("record");
    b.record_attempt(sent("s2", "sms", t(2)))
        .await
        .expect("record");
    b.record_attempt(sent("e1", "email", t(3)))
        .await
        .expect("record");
    let sends = a.page_sends("ann", "sms", t(1)).await.expect("sends");
    assert_eq!(sends, [t(2), t(5)], "both replicas' sends, oldest first");
    assert_eq!(
        b.page_sends("ann", "sms", t(3)).await.expect("sends"),
        [t(5)]
    );

    b.postpone_delivery("held", t(50)).await.expect("postpone");
    assert_eq!(
        delivery_state(&db, "held").await,
        (
            "pending".to_owned(),
            0,
            ms(t(50)),
            None,
            None,
            Some("held back by the per-contact throttle".to_owned())
        )
    );
    assert!(
        a.claim_due_deliveries(t(49), t(99), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        a.claim_due_deliveries(t(50), t(99), 10)
            .await
            .expect("claim")
            .len(),
        1
    );
}

#[tokio::test]
async fn next_due_is_the_earliest_timer_delivery_or_monitor() {
    let db = Db::fresh().await;
    let a = db.store("a").await;
    assert_eq!(a.next_due().await.expect("next"), None, "nothing queued");
    db.incident("i1").await;
    db.delivery("d1", "slack", None, t(30)).await;
    db.timer("escalate", t(20)).await;
    db.exec(
        "INSERT INTO monitors (id, active, status, next_check_at) VALUES ('off', 0, 'up', 0); \
         INSERT INTO monitors (id, status, next_check_at) VALUES ('web', 'up', 1790000040000)",
    )
    .await;
    assert_eq!(a.next_due().await.expect("next"), Some(t(20)));
    db.exec("DELETE FROM timers").await;
    assert_eq!(a.next_due().await.expect("next"), Some(t(30)));
    db.exec("UPDATE deliveries SET status = 'sent'").await;
    assert_eq!(
        a.next_due().await.expect("next"),
        Some(t(40)),
        "the active monitor"
    );
}

#[tokio::test]
async fn ops_gauges_count_incidents_the_outbox_and_due_timers() {
    let db = Db::fresh().await;
    let a = db.store("a").await;
    db.incident("i1").await;
    db.incident("i2").await;
    db.exec("UPDATE incidents SET state = 'triggered' WHERE id = 'i2'")
        .await;
    db.delivery("d1", "slack", None, t(0)).await;
    db.delivery("d2", "slack", None, t(0)).await;
    db.delivery("d3", "email", None, t(0)).await;
    db.exec("UPDATE deliveries SET created_at = 1789999990000 WHERE id = 'd2'")
        .await;
    db.timer("escalate", t(5)).await;
    db.timer("escalate", t(50)).await;
    let gauges = a.ops_gauges(t(10)).await.expect("gauges");
    assert_eq!(
        gauges.incidents_by_state,
        [("acknowledged".to_owned(), 1), ("triggered".to_owned(), 1)]
    );
    let outbox: Vec<(&str, u64, Timestamp)> = gauges
        .outbox_pending
        .iter()
        .map(|channel| {
            (
                channel.channel.as_str(),
                channel.pending,
                channel.oldest_queued_at,
            )
        })
        .collect();
    assert_eq!(outbox, [("email", 1, t(0)), ("slack", 2, t(-10))]);
    assert_eq!(gauges.timers_due, 1);
    assert_eq!(gauges.database_file, None);
}

#[tokio::test]
async fn subscriber_mail_is_claimed_with_its_subscriber_and_update() {
    let db = Db::fresh().await;
    let (a, b) = (db.store("a").await, db.store("b").await);
    db.incident("i1").await;
    db.exec(
        "INSERT INTO timeline_events (seq, incident_id, at, kind, actor, text, data) \
           VALUES (7, 'i1', 1790000001000, 'update', 'ann', 'Fixed soon', \
             '{\"public\": true, \"state\": \"acknowledged\"}'); \
         INSERT INTO subscribers (id, email, locale, created_at, confirmed_at) \
           VALUES (3, 'Eve@example.com', 'de', 1790000000000, 1790000000500); \
         INSERT INTO subscriber_mail (id, subscriber_id, kind, event_seq, status, next_attempt_at, created_at) \
           VALUES ('m-update', 3, 'update', 7, 'pending', 1790000002000, 0), \
                  ('m-confirm', 3, 'confirm', NULL, 'pending', 1790000001000, 0), \
                  ('m-sent', 3, 'confirm', NULL, 'sent', 0, 0)",
    )
    .await;

    let mails = a
        .claim_subscriber_mail(t(5), t(35), 10)
        .await
        .expect("claim");
    assert_eq!(mails.len(), 2);
    let (confirm, update) = (&mails[0], &mails[1]);
    assert_eq!(
        (confirm.id.as_str(), confirm.kind),
        ("m-confirm", SubscriberMailKind::Confirm)
    );
    assert_eq!(confirm.update, None);
    assert_eq!(confirm.subscriber.email, "Eve@example.com");
    assert_eq!(
        confirm.subscriber.confirmed_at,
        Some(Timestamp::from_millisecond(1_790_000_000_500).expect("ms"))
    );
    assert_eq!(update.kind, SubscriberMailKind::Update);
    let mailed = update
        .update
        .as_ref()
        .expect("an update mail carries its update");
    assert_eq!(
        (mailed.update.seq, mailed.update.text.as_str()),
        (7, "Fixed soon")
    );
    assert_eq!(mailed.update.at, t(1));
    assert_eq!(mailed.update.state, Some(IncidentState::Acknowledged));
    assert_eq!(mailed.public_title.as_deref(), Some("Checkout is slow"));
    assert_eq!(mailed.incident_state, IncidentState::Acknowledged);
    assert!(
        b.claim_subscriber_mail(t(6), t(36), 10)
            .await
            .expect("claim")
            .is_empty()
    );

    // Sent once, reported twice: one attempt. Retried: due again at its next attempt.
    for _ in 0..2 {
        a.record_subscriber_mail("m-confirm", t(7), &AttemptOutcome::Sent)
            .await
            .expect("record");
    }
    let retry = AttemptOutcome::Retry {
        error: "421".into(),
        next_attempt_at: t(100),
    };
    a.record_subscriber_mail("m-update", t(7), &retry)
        .await
        .expect("record");
    let states: Vec<(String, String, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, status, attempts, sent_at FROM subscriber_mail ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .expect("mail");
    assert_eq!(
        states[0],
        ("m-confirm".to_owned(), "sent".to_owned(), 1, Some(ms(t(7))))
    );
    assert_eq!(
        states[2],
        ("m-update".to_owned(), "pending".to_owned(), 1, None)
    );
    assert!(
        b.claim_subscriber_mail(t(99), t(130), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let again = b
        .claim_subscriber_mail(t(100), t(130), 10)
        .await
        .expect("claim");
    assert_eq!((again.len(), again[0].attempts), (1, 1));
}

#[tokio::test]
async fn customer_mail_is_claimed_in_its_recipients_locale_or_the_default() {
    let db = Db::fresh().await;
    let a = db.store("a").await;
    db.incident("i1").await;
    db.exec(
        "INSERT INTO comms (id, incident_id, channel, event, audience, default_locale, texts, status, created_at) \
           VALUES ('c1', 'i1', 'mail', 'opened', 'affected', 'en', \
             '{\"en\": {\"subject\": \"Down\", \"body\": \"Sorry\"}, \
               \"de\": {\"subject\": \"Ausfall\", \"body\": \"Entschuldigung\"}}', 'approved', 0); \
         INSERT INTO comms_mail (id, comms_id, recipient, locale, status, next_attempt_at) \
           VALUES ('to-de', 'c1', 'de@example.com', 'de', 'pending', 1), \
                  ('to-fr', 'c1', 'fr@example.com', 'fr', 'pending', 2)",
    )
    .await;
    let mails = a.claim_comms_mail(t(0), t(30), 10).await.expect("claim");
    let got: Vec<(&str, &str, &str, &str)> = mails
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.incident_id.as_str(),
                m.locale.as_str(),
                m.text.subject.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("to-de", "i1", "de", "Ausfall"),
            ("to-fr", "i1", "en", "Down")
        ]
    );
    assert!(
        a.claim_comms_mail(t(1), t(30), 10)
            .await
            .expect("claim")
            .is_empty()
    );

    let failed = AttemptOutcome::Failed {
        error: "550 no such user".into(),
    };
    a.record_comms_mail("to-fr", t(2), &failed)
        .await
        .expect("record");
    let state: (String, i64, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT status, attempts, last_error, claimed_until FROM comms_mail WHERE id = 'to-fr'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("mail");
    assert_eq!(
        state,
        (
            "failed".to_owned(),
            1,
            Some("550 no such user".to_owned()),
            None
        )
    );
}

#[tokio::test]
async fn drills_postmortems_and_digests_are_claimed_once_and_marked_done() {
    let db = Db::fresh().await;
    let (a, b) = (db.store("a").await, db.store("b").await);
    db.incident("i1").await;
    db.exec(
        "INSERT INTO drills (id, trigger, started_at, confirm_by, status) \
           VALUES ('dr1', 'schedule', 0, 1790000000000, 'running'), \
                  ('later', 'admin', 0, 1790000999000, 'running'); \
         INSERT INTO drill_items (drill_id, seq, kind, subject, status, reason) \
           VALUES ('dr1', 2, 'page', 'ann via sms', 'waiting', 'sent'), \
                  ('dr1', 1, 'channel', 'slack', 'pass', 'answered 200'); \
         INSERT INTO postmortems (incident_id, file, due_at, status, created_at) \
           VALUES ('i1', 'i1.md', 0, 'draft', 1790000000000); \
         INSERT INTO review_digests (id, due_at, channel, text, created_at) \
           VALUES ('rv1', 0, 'slack', 'Last week', 1790000000000)",
    )
    .await;

    let drills = a.claim_drills_to_close(t(10), t(40)).await.expect("claim");
    assert_eq!(drills.len(), 1);
    assert_eq!(drills[0].id, "dr1");
    let items: Vec<(i64, &str)> = drills[0]
        .items
        .iter()
        .map(|i| (i.seq, i.subject.as_str()))
        .collect();
    assert_eq!(
        items,
        [(1, "slack"), (2, "ann via sms")],
        "its items, in report order"
    );
    assert!(
        b.claim_drills_to_close(t(11), t(41))
            .await
            .expect("claim")
            .is_empty()
    );

    let postmortems = a
        .claim_unwritten_postmortems(t(10), t(40), 10)
        .await
        .expect("claim");
    assert_eq!(postmortems.len(), 1);
    assert_eq!(
        (postmortems[0].file.as_str(), postmortems[0].written_at),
        ("i1.md", None)
    );
    assert!(
        b.claim_unwritten_postmortems(t(11), t(41), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    a.mark_postmortem_written("i1", t(12)).await.expect("mark");
    assert!(
        b.claim_unwritten_postmortems(t(99), t(129), 10)
            .await
            .expect("claim")
            .is_empty()
    );

    let digests = a
        .claim_unsent_review_digests(t(10), t(40))
        .await
        .expect("claim");
    assert_eq!(digests.len(), 1);
    assert_eq!(
        (digests[0].text.as_str(), digests[0].result.as_deref()),
        ("Last week", None)
    );
    assert!(
        b.claim_unsent_review_digests(t(11), t(41))
            .await
            .expect("claim")
            .is_empty()
    );
    a.record_review_digest("rv1", t(12), "sent")
        .await
        .expect("record");
    assert!(
        b.claim_unsent_review_digests(t(99), t(129))
            .await
            .expect("claim")
            .is_empty()
    );
    let digest: (Option<i64>, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT sent_at, result, claimed_until FROM review_digests WHERE id = 'rv1'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("digest");
    assert_eq!(digest, (Some(ms(t(12))), Some("sent".to_owned()), None));
}
