//! StatusPageStore on a real PostgreSQL: the page's incidents and public updates, subscribers
//! and their links, and update mail queued once per subscriber and event even when replicas
//! queue at once and timeline events commit out of order.
//!
//! Incidents and timeline events are the intake's to write; here they are plain SQL rows.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sqlx::{PgPool, Row};
use tocsin_core::incident::IncidentState;
use tocsin_store::{StatusPageStore, Subscribed, SubscriberToken, TokenPurpose};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

/// A fixed instant, `seconds` after a base, so tests never depend on the clock.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000).expect("time") + SignedDuration::from_secs(seconds)
}

async fn open(database: &PgScratch) -> PgStore {
    PgStore::open(database.url(), &PgOptions::default())
        .await
        .expect("open")
}

/// A plain connection pool on the test's database, for the rows other parts write.
async fn sql(database: &PgScratch) -> PgPool {
    PgPool::connect(database.url()).await.expect("connect")
}

async fn add_incident(db: &PgPool, id: &str, severity: &str, opened: i64, resolved: Option<i64>) {
    sqlx::query(
        "INSERT INTO incidents (id, title, severity, state, source, opened_at, resolved_at, respond_by) \
         VALUES ($1, $2, $3, $4, 'test', $5, $6, $5)",
    )
    .bind(id)
    .bind(format!("title of {id}"))
    .bind(severity)
    .bind(if resolved.is_some() { "resolved" } else { "triggered" })
    .bind(at(opened).as_millisecond())
    .bind(resolved.map(|r| at(r).as_millisecond()))
    .execute(db)
    .await
    .unwrap();
}

/// Appends a timeline event (on `db`: a pool or an open transaction); returns its seq.
async fn add_event<'c>(
    db: impl sqlx::PgExecutor<'c>,
    incident: &str,
    seconds: i64,
    kind: &str,
    data: &str,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO timeline_events (incident_id, at, kind, actor, text, data) \
         VALUES ($1, $2, $3, 'ana', $4, $5) RETURNING seq",
    )
    .bind(incident)
    .bind(at(seconds).as_millisecond())
    .bind(kind)
    .bind(format!("{kind} at {seconds}"))
    .bind(data)
    .fetch_one(db)
    .await
    .unwrap()
}

const PUBLIC: &str = r#"{"public": true, "state": "acknowledged"}"#;

/// Subscribes and confirms `email`; returns its id.
async fn confirmed(store: &PgStore, db: &PgPool, email: &str) -> i64 {
    store
        .add_subscriber(email, "en", at(0), at(-3600))
        .await
        .unwrap();
    let id = subscriber_id(db, email).await;
    assert!(store.confirm_subscriber(id, at(1)).await.unwrap());
    id
}

async fn subscriber_id(db: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM subscribers WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_one(db)
        .await
        .unwrap()
}

/// `(subscriber_id, event_seq)` of every update mail, sorted.
async fn update_mails(db: &PgPool) -> Vec<(i64, i64)> {
    sqlx::query(
        "SELECT subscriber_id, event_seq FROM subscriber_mail WHERE kind = 'update' ORDER BY 1, 2",
    )
    .fetch_all(db)
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

#[tokio::test]
async fn the_page_shows_open_and_recent_incidents_newest_first() {
    let database = PgScratch::create().await;
    let (store, db) = (open(&database).await, sql(&database).await);
    add_incident(&db, "old-open", "critical", 0, None).await;
    add_incident(&db, "old-done", "critical", 10, Some(20)).await;
    add_incident(&db, "late-fix", "minor", 30, Some(1000)).await;
    add_incident(&db, "b-new", "minor", 2000, Some(2100)).await;
    add_incident(&db, "a-new", "minor", 2000, None).await;

    let shown = store.status_incidents(at(500)).await.unwrap();
    let ids: Vec<&str> = shown.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["b-new", "a-new", "late-fix", "old-open"]);
    assert_eq!(shown[2].resolved_at, Some(at(1000)));
    assert_eq!(shown[2].severity, "minor");
}

#[tokio::test]
async fn public_updates_are_the_public_update_events_newest_first() {
    let database = PgScratch::create().await;
    let (store, db) = (open(&database).await, sql(&database).await);
    add_incident(&db, "one", "critical", 0, None).await;
    add_incident(&db, "two", "critical", 0, None).await;
    add_incident(&db, "three", "critical", 0, None).await;
    let first = add_event(&db, "one", 10, "update", PUBLIC).await;
    add_event(&db, "one", 11, "update", r#"{"public": false}"#).await;
    add_event(&db, "one", 12, "note", r#"{"public": true}"#).await;
    let tie = add_event(&db, "two", 10, "update", r#"{"public": true}"#).await;
    let last = add_event(&db, "two", 20, "update", PUBLIC).await;
    add_event(&db, "three", 30, "update", PUBLIC).await;

    let ids = ["one".to_owned(), "two".to_owned()];
    let updates = store.public_updates(&ids).await.unwrap();
    let seqs: Vec<i64> = updates.iter().map(|u| u.seq).collect();
    assert_eq!(seqs, [last, tie, first], "by time, then seq, newest first");
    assert_eq!(updates[0].incident_id, "two");
    assert_eq!(updates[0].at, at(20));
    assert_eq!(updates[0].text, "update at 20");
    assert_eq!(updates[0].state, Some(IncidentState::Acknowledged));
    assert_eq!(updates[1].state, None, "no state given");
    assert!(store.public_updates(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_subscription_is_confirmed_ended_and_started_over() {
    let database = PgScratch::create().await;
    let (store, db) = (open(&database).await, sql(&database).await);

    let added = store
        .add_subscriber("Reader@Example.com", "en", at(0), at(-3600))
        .await
        .unwrap();
    assert_eq!(added, Subscribed::Queued);
    // Asked again (in another case) within the hour: not asking again yet.
    let again = store
        .add_subscriber("reader@example.COM", "de", at(60), at(60 - 3600))
        .await
        .unwrap();
    assert_eq!(again, Subscribed::Recently);
    let id = subscriber_id(&db, "reader@example.com").await;

    // Its links come back with it.
    let token = SubscriberToken {
        selector: "sel-1".to_owned(),
        verifier_hash: "verifier".to_owned(),
        subscriber_id: id,
        purpose: TokenPurpose::Confirm,
        created_at: at(0),
    };
    store.add_subscriber_token(&token).await.unwrap();
    let (found, subscriber) = store
        .subscriber_token("sel-1")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found, token);
    assert_eq!(subscriber.email, "Reader@Example.com");
    assert_eq!(subscriber.locale, "en");
    assert_eq!(subscriber.created_at, at(0));
    assert_eq!(subscriber.confirmed_at, None);
    assert!(store.subscriber_token("sel-2").await.unwrap().is_none());

    assert!(store.confirm_subscriber(id, at(100)).await.unwrap());
    assert!(
        store.confirm_subscriber(id, at(200)).await.unwrap(),
        "confirming twice is fine"
    );
    let (_, subscriber) = store.subscriber_token("sel-1").await.unwrap().unwrap();
    assert_eq!(
        subscriber.confirmed_at,
        Some(at(100)),
        "the first confirmation stays"
    );
    assert!(subscriber.is_active());
    let confirmed = store
        .add_subscriber("reader@example.com", "en", at(10_000), at(0))
        .await
        .unwrap();
    assert_eq!(confirmed, Subscribed::AlreadyConfirmed);

    // A pending mail is withdrawn when they leave.
    add_incident(&db, "inc", "critical", 0, None).await;
    add_event(&db, "inc", 300, "update", PUBLIC).await;
    assert_eq!(
        store
            .queue_subscriber_updates(&["critical".to_owned()], at(300))
            .await
            .unwrap(),
        1
    );
    assert!(store.unsubscribe(id, at(400)).await.unwrap());
    assert!(
        !store.unsubscribe(id, at(500)).await.unwrap(),
        "already ended"
    );
    assert!(
        !store.confirm_subscriber(id, at(500)).await.unwrap(),
        "nothing to confirm"
    );
    let statuses: Vec<(String, Option<String>)> = sqlx::query(
        "SELECT status, last_error FROM subscriber_mail WHERE subscriber_id = $1 AND status = 'pending'",
    )
    .bind(id)
    .fetch_all(&db)
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect();
    assert!(statuses.is_empty(), "nothing left to send: {statuses:?}");

    // Subscribing again starts over: a fresh confirmation, in the new language.
    let back = store
        .add_subscriber("READER@example.com", "de", at(10_000), at(10_000 - 3600))
        .await
        .unwrap();
    assert_eq!(back, Subscribed::Queued);
    let (_, subscriber) = store.subscriber_token("sel-1").await.unwrap().unwrap();
    assert_eq!(subscriber.id, id, "the same subscriber");
    assert_eq!(subscriber.locale, "de");
    assert_eq!(
        (subscriber.confirmed_at, subscriber.unsubscribed_at),
        (None, None)
    );
    let confirms: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subscriber_mail WHERE subscriber_id = $1 AND kind = 'confirm'",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(confirms, 2, "one when added, one when started over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_adding_one_address_at_once_keep_one_subscriber() {
    let database = PgScratch::create().await;
    let stores = [open(&database).await, open(&database).await];
    let db = sql(&database).await;

    for round in 0..10 {
        let email = format!("racer{round}@example.com");
        let racers: Vec<_> = (0..4)
            .map(|racer| {
                let store = stores[racer % 2].clone();
                let email = if racer % 2 == 0 {
                    email.clone()
                } else {
                    email.to_uppercase()
                };
                tokio::spawn(async move {
                    store
                        .add_subscriber(&email, "en", at(0), at(-3600))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for racer in racers {
            outcomes.push(racer.await.unwrap());
        }
        let queued = outcomes
            .iter()
            .filter(|o| **o == Subscribed::Queued)
            .count();
        assert_eq!(queued, 1, "round {round}: {outcomes:?}");
        let rows: i64 =
            sqlx::query_scalar("SELECT count(*) FROM subscribers WHERE lower(email) = $1")
                .bind(&email)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(rows, 1);
    }
}

#[tokio::test]
async fn updates_are_queued_once_for_each_confirmed_subscriber() {
    let database = PgScratch::create().await;
    let (store, db) = (open(&database).await, sql(&database).await);
    let severities = ["critical".to_owned(), "major".to_owned()];
    assert_eq!(
        store
            .queue_subscriber_updates(&severities, at(0))
            .await
            .unwrap(),
        0
    );

    let ana = confirmed(&store, &db, "ana@example.com").await;
    let bo = confirmed(&store, &db, "bo@example.com").await;
    store
        .add_subscriber("unconfirmed@example.com", "en", at(0), at(-1))
        .await
        .unwrap();
    let gone = confirmed(&store, &db, "gone@example.com").await;
    store.unsubscribe(gone, at(2)).await.unwrap();
    add_incident(&db, "big", "critical", 0, None).await;
    add_incident(&db, "small", "minor", 0, None).await;

    let first = add_event(&db, "big", 10, "update", PUBLIC).await;
    add_event(&db, "big", 11, "update", r#"{"public": false}"#).await;
    add_event(&db, "big", 12, "note", "null").await;
    add_event(&db, "small", 13, "update", PUBLIC).await;
    assert_eq!(
        store
            .queue_subscriber_updates(&severities, at(20))
            .await
            .unwrap(),
        2
    );
    assert_eq!(update_mails(&db).await, [(ana, first), (bo, first)]);
    let (status, next, created): (String, i64, i64) = sqlx::query_as(
        "SELECT status, next_attempt_at, created_at FROM subscriber_mail WHERE event_seq = $1 LIMIT 1",
    )
    .bind(first)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), next, created),
        ("pending", at(20).as_millisecond(), at(20).as_millisecond())
    );

    // Nothing new: nothing queued, however often asked.
    assert_eq!(
        store
            .queue_subscriber_updates(&severities, at(30))
            .await
            .unwrap(),
        0
    );
    // A later update goes out once; the earlier ones are not handed over again, even to a
    // subscriber confirmed since.
    let carl = confirmed(&store, &db, "carl@example.com").await;
    let second = add_event(&db, "big", 40, "update", PUBLIC).await;
    assert_eq!(
        store
            .queue_subscriber_updates(&severities, at(40))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        update_mails(&db).await,
        [
            (ana, first),
            (ana, second),
            (bo, first),
            (bo, second),
            (carl, second)
        ]
    );
    let cursor: i64 = sqlx::query_scalar("SELECT last_seq FROM status_mail_cursor WHERE id = 1")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(cursor, second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_queueing_at_once_queue_each_mail_once_and_lose_none() {
    let database = PgScratch::create().await;
    let stores = [open(&database).await, open(&database).await];
    let db = sql(&database).await;
    let severities = vec!["critical".to_owned()];
    let subscribers = [
        confirmed(&stores[0], &db, "ana@example.com").await,
        confirmed(&stores[0], &db, "bo@example.com").await,
    ];
    add_incident(&db, "big", "critical", 0, None).await;

    // Events are posted while both replicas queue, over and over.
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for n in 0..40 {
                seqs.push(add_event(&db, "big", n, "update", PUBLIC).await);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            seqs
        })
    };
    let queuers: Vec<_> = stores
        .iter()
        .map(|store| {
            let (store, severities) = (store.clone(), severities.clone());
            tokio::spawn(async move {
                let mut queued = 0;
                for _ in 0..60 {
                    queued += store
                        .queue_subscriber_updates(&severities, at(100))
                        .await
                        .unwrap();
                }
                queued
            })
        })
        .collect();
    let seqs = writer.await.unwrap();
    let mut queued = 0;
    for queuer in queuers {
        queued += queuer.await.unwrap();
    }
    queued += stores[1]
        .queue_subscriber_updates(&severities, at(100))
        .await
        .unwrap();

    let mut expected: Vec<(i64, i64)> = subscribers
        .iter()
        .flat_map(|subscriber| seqs.iter().map(move |seq| (*subscriber, *seq)))
        .collect();
    expected.sort();
    assert_eq!(update_mails(&db).await, expected);
    assert_eq!(
        queued, 80,
        "each mail counted once, by the replica that queued it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_committed_after_a_later_one_is_not_skipped() {
    let database = PgScratch::create().await;
    let (store, db) = (open(&database).await, sql(&database).await);
    let severities = vec!["critical".to_owned()];
    let ana = confirmed(&store, &db, "ana@example.com").await;
    add_incident(&db, "big", "critical", 0, None).await;

    // A replica's decision takes the lower seq and is still committing...
    let mut slow = db.begin().await.unwrap();
    let early = add_event(&mut *slow, "big", 10, "update", PUBLIC).await;
    // ...when another's, with a higher seq, has committed.
    let late = add_event(&db, "big", 11, "update", PUBLIC).await;
    assert!(early < late);

    // While the early one is uncommitted nothing is handed over (the round waits for it,
    // then gives up), so the cursor cannot pass it.
    assert_eq!(
        store
            .queue_subscriber_updates(&severities, at(20))
            .await
            .unwrap(),
        0
    );
    assert!(update_mails(&db).await.is_empty());

    // A round that starts while it commits waits for it and then takes both.
    let round = {
        let store = store.clone();
        let severities = severities.clone();
        tokio::spawn(async move { store.queue_subscriber_updates(&severities, at(30)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    slow.commit().await.unwrap();
    assert_eq!(round.await.unwrap().unwrap(), 2);
    assert_eq!(update_mails(&db).await, [(ana, early), (ana, late)]);
}
