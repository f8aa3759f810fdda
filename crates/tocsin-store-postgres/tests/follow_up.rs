//! FollowUpStore on a real PostgreSQL: schedules that start a run once across replicas, drill
//! items and their single-use links, customer notices and who they are mailed to, and the
//! review digest. Each test has a database of its own; "replicas" are stores on one database.

use std::collections::BTreeMap;

use jiff::Timestamp;
use tocsin_core::incident::{EventKind, TimelineEvent};
use tocsin_core::notice::CustomerText;
use tocsin_store::*;
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

async fn replica(database: &PgScratch, owner: &str) -> PgStore {
    let options = PgOptions {
        lease_owner: owner.to_owned(),
        ..PgOptions::default()
    };
    PgStore::open(database.url(), &options).await.expect("open")
}

/// A plain connection for the rows other parts would write (incidents, subscribers, drafts).
async fn sql(database: &PgScratch) -> sqlx::PgPool {
    sqlx::PgPool::connect(database.url())
        .await
        .expect("connect")
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).expect("time")
}

async fn incident(pool: &sqlx::PgPool, id: &str) {
    sqlx::query(
        "INSERT INTO incidents (id, title, severity, state, source, opened_at, respond_by) \
         VALUES ($1, 'Checkout down', 'SEV-2', 'triggered', 'test', 0, 0)",
    )
    .bind(id)
    .execute(pool)
    .await
    .expect("incident");
}

fn event(incident_id: &str, kind: EventKind, second: i64) -> TimelineEvent {
    TimelineEvent {
        incident_id: incident_id.to_owned(),
        at: at(second),
        kind,
        actor: "ann@example.com".to_owned(),
        text: "test".to_owned(),
        data: serde_json::Value::Null,
    }
}

fn drill_record(id: &str, second: i64, items: Vec<DrillItem>) -> DrillRecord {
    DrillRecord {
        id: id.to_owned(),
        trigger: "schedule".to_owned(),
        started_at: at(second),
        confirm_by: at(second + 3600),
        status: DrillStatus::Running,
        finished_at: None,
        incident_id: None,
        report_sent: None,
        items,
    }
}

fn drill_item(seq: i64, kind: &str, status: DrillItemStatus, nonce: Option<&str>) -> DrillItem {
    DrillItem {
        seq,
        kind: kind.to_owned(),
        subject: format!("{kind} {seq}"),
        status,
        reason: "sent".to_owned(),
        nonce: nonce.map(str::to_owned),
        confirmed_at: None,
    }
}

#[tokio::test]
async fn drill_schedule_keeps_its_due_time_until_the_rule_changes() {
    let database = PgScratch::create().await;
    let store = replica(&database, "a").await;
    assert_eq!(store.drill_due_at().await.expect("due"), None);

    store
        .sync_drill_schedule(Some("0 9 1 * *"), at(100))
        .await
        .expect("sync");
    assert_eq!(store.drill_due_at().await.expect("due"), Some(at(100)));
    // A restart with the same rule keeps the due time (a run missed while down stays due).
    store
        .sync_drill_schedule(Some("0 9 1 * *"), at(900))
        .await
        .expect("sync");
    assert_eq!(store.drill_due_at().await.expect("due"), Some(at(100)));
    // A new rule starts over.
    store
        .sync_drill_schedule(Some("0 9 2 * *"), at(200))
        .await
        .expect("sync");
    assert_eq!(store.drill_due_at().await.expect("due"), Some(at(200)));
    store
        .sync_drill_schedule(None, at(300))
        .await
        .expect("sync");
    assert_eq!(store.drill_due_at().await.expect("due"), None);
}

#[tokio::test]
async fn a_scheduled_drill_starts_once_when_two_replicas_race() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    a.sync_drill_schedule(Some("monthly"), at(0))
        .await
        .expect("sync");

    for round in 0..5_i64 {
        let (due, next) = (at(round * 100), at((round + 1) * 100));
        let item = || vec![drill_item(1, "channel", DrillItemStatus::Pass, None)];
        let first = drill_record(&format!("a-{round}"), round * 100, item());
        let second = drill_record(&format!("b-{round}"), round * 100, item());
        let (won_a, won_b) = tokio::join!(
            a.start_drill(&first, Some((due, next))),
            b.start_drill(&second, Some((due, next))),
        );
        let (won_a, won_b) = (won_a.expect("start"), won_b.expect("start"));
        assert!(
            won_a ^ won_b,
            "round {round}: exactly one replica starts the run"
        );
        assert_eq!(b.drill_due_at().await.expect("due"), Some(next));
    }
    let drills = a.drills(100).await.expect("drills");
    assert_eq!(drills.len(), 5);
    // Newest first, each with its items (the loser's items were not written either).
    assert_eq!(drills[0].started_at, at(400));
    assert!(drills.iter().all(|drill| drill.items.len() == 1));

    // A stale due time (the run was started elsewhere) writes nothing.
    let late = drill_record("late", 0, vec![]);
    assert!(
        !a.start_drill(&late, Some((at(0), at(100))))
            .await
            .expect("start")
    );
    assert_eq!(a.drill("late").await.expect("drill"), None);
    // A drill run by hand needs no schedule.
    let manual = drill_record("manual", 1000, vec![]);
    assert!(a.start_drill(&manual, None).await.expect("start"));
    assert_eq!(a.drills(1).await.expect("drills")[0].id, "manual");
}

#[tokio::test]
async fn drill_items_are_set_expired_and_confirmed_once_by_nonce() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let record = drill_record(
        "d1",
        0,
        vec![
            drill_item(3, "contact", DrillItemStatus::Fail, Some("n-contact")),
            drill_item(1, "page", DrillItemStatus::Waiting, Some("n-page")),
            drill_item(2, "page", DrillItemStatus::Waiting, Some("n-late")),
            drill_item(4, "monitor", DrillItemStatus::Pass, None),
        ],
    );
    assert!(a.start_drill(&record, None).await.expect("start"));
    let stored = a.drill("d1").await.expect("drill").expect("found");
    assert_eq!(
        stored.items.iter().map(|item| item.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );

    let (drill_id, page) = a
        .drill_item_by_nonce("n-page")
        .await
        .expect("nonce")
        .expect("found");
    assert_eq!((drill_id.as_str(), page.seq), ("d1", 1));
    assert_eq!(a.drill_item_by_nonce("nope").await.expect("nonce"), None);

    // Two replicas use the same link at once: one use counts.
    let (used_a, used_b) = tokio::join!(
        a.confirm_drill_item("n-page", at(60), "confirmed", None),
        b.confirm_drill_item("n-page", at(61), "confirmed", None),
    );
    assert!(used_a.expect("confirm") ^ used_b.expect("confirm"));
    let (_, page) = a
        .drill_item_by_nonce("n-page")
        .await
        .expect("nonce")
        .expect("found");
    assert_eq!(page.status, DrillItemStatus::Pass);
    assert!(page.confirmed_at.is_some());

    // A contact item keeps its status and records the date its numbers were confirmed.
    let date = jiff::civil::date(2027, 1, 15);
    assert!(
        a.confirm_drill_item(
            "n-contact",
            at(70),
            "numbers confirmed",
            Some(("ann", date))
        )
        .await
        .expect("confirm")
    );
    let (_, contact) = a
        .drill_item_by_nonce("n-contact")
        .await
        .expect("nonce")
        .expect("found");
    assert_eq!(
        (contact.status, contact.reason.as_str()),
        (DrillItemStatus::Fail, "numbers confirmed")
    );
    let later = jiff::civil::date(2027, 2, 15);
    sqlx::query("UPDATE drill_items SET confirmed_at = NULL WHERE nonce = 'n-contact'")
        .execute(&sql(&database).await)
        .await
        .expect("reset");
    assert!(
        a.confirm_drill_item("n-contact", at(80), "again", Some(("ann", later)))
            .await
            .expect("confirm")
    );
    let verified = a.contact_verifications().await.expect("verifications");
    assert_eq!(verified.len(), 1, "one row per contact, the newest date");
    assert_eq!(
        (verified[0].contact.as_str(), verified[0].verified_on),
        ("ann", later)
    );
    assert_eq!(verified[0].recorded_at, at(80));

    // The confirm window ends: only what still waits fails.
    a.expire_drill_items("d1", "not confirmed in time")
        .await
        .expect("expire");
    let items = a.drill("d1").await.expect("drill").expect("found").items;
    assert_eq!(items[0].status, DrillItemStatus::Pass);
    assert_eq!(
        (items[1].status, items[1].reason.as_str()),
        (DrillItemStatus::Fail, "not confirmed in time")
    );
    assert!(
        !a.confirm_drill_item("n-page", at(90), "late", None)
            .await
            .expect("confirm")
    );

    a.set_drill_item("d1", 4, DrillItemStatus::Skipped, "no results")
        .await
        .expect("set");
    let items = a.drill("d1").await.expect("drill").expect("found").items;
    assert_eq!(
        (items[3].status, items[3].reason.as_str()),
        (DrillItemStatus::Skipped, "no results")
    );

    // The outcome: incident and report kept when later writes leave them out.
    a.set_drill_outcome(
        "d1",
        DrillStatus::Failed,
        Some(at(3600)),
        Some("inc-1"),
        None,
    )
    .await
    .expect("outcome");
    a.set_drill_outcome(
        "d1",
        DrillStatus::Failed,
        Some(at(3600)),
        None,
        Some("sent"),
    )
    .await
    .expect("outcome");
    let done = a.drill("d1").await.expect("drill").expect("found");
    assert_eq!(done.status, DrillStatus::Failed);
    assert_eq!(done.finished_at, Some(at(3600)));
    assert_eq!(done.incident_id.as_deref(), Some("inc-1"));
    assert_eq!(done.report_sent.as_deref(), Some("sent"));
}

/// A draft notice as a decision leaves it.
async fn draft(pool: &sqlx::PgPool, id: &str, incident_id: &str, audience: &str) {
    let texts = serde_json::json!({"en": {"subject": "Trouble", "body": "We are on it."}});
    sqlx::query(
        "INSERT INTO comms (id, incident_id, channel, event, audience, default_locale, texts, status, created_at) \
         VALUES ($1, $2, 'mail', 'opened', $3, 'en', $4, 'draft', $5)",
    )
    .bind(id)
    .bind(incident_id)
    .bind(audience)
    .bind(texts.to_string())
    .bind(at(0).as_millisecond())
    .execute(pool)
    .await
    .expect("draft");
}

async fn subscriber(pool: &sqlx::PgPool, email: &str, locale: &str, confirmed: bool, gone: bool) {
    sqlx::query(
        "INSERT INTO subscribers (email, locale, created_at, confirmed_at, unsubscribed_at) \
         VALUES ($1, $2, 0, $3, $4)",
    )
    .bind(email)
    .bind(locale)
    .bind(confirmed.then_some(1_i64))
    .bind(gone.then_some(2_i64))
    .execute(pool)
    .await
    .expect("subscriber");
}

/// The queued mail of a notice: (recipient, locale, is a subscriber), by recipient.
async fn mail(pool: &sqlx::PgPool, comms_id: &str) -> Vec<(String, String, bool)> {
    sqlx::query_as::<_, (String, String, bool)>(
        "SELECT recipient, locale, subscriber_id IS NOT NULL FROM comms_mail \
         WHERE comms_id = $1 AND status = 'pending' ORDER BY recipient",
    )
    .bind(comms_id)
    .fetch_all(pool)
    .await
    .expect("mail")
}

async fn events(pool: &sqlx::PgPool, incident_id: &str, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM timeline_events WHERE incident_id = $1 AND kind = $2")
        .bind(incident_id)
        .bind(kind)
        .fetch_one(pool)
        .await
        .expect("events")
}

#[tokio::test]
async fn approving_a_draft_queues_its_mail_to_confirmed_subscribers_once() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let pool = sql(&database).await;
    incident(&pool, "inc-1").await;
    incident(&pool, "inc-2").await;
    subscriber(&pool, "de@example.com", "de", true, false).await;
    subscriber(&pool, "en@example.com", "en", true, false).await;
    subscriber(&pool, "pending@example.com", "en", false, false).await;
    subscriber(&pool, "gone@example.com", "en", true, true).await;
    draft(&pool, "c1", "inc-1", "subscribers").await;

    let approve = event("inc-1", EventKind::CommsApproved, 30);
    assert_eq!(
        a.approve_comms("inc-2", "c1", "ann", None, &approve)
            .await
            .expect("approve"),
        ApproveOutcome::NoSuchDraft,
        "a notice of another incident is not this one's draft"
    );
    let edited = BTreeMap::from([(
        "en".to_owned(),
        CustomerText {
            subject: "Checkout is slow".to_owned(),
            body: "Fixed soon.".to_owned(),
        },
    )]);
    // Two people approve at once: one approval, one set of mail.
    let (first, second) = tokio::join!(
        a.approve_comms("inc-1", "c1", "ann", Some(&edited), &approve),
        b.approve_comms("inc-1", "c1", "bob", Some(&edited), &approve),
    );
    let mut outcomes = [first.expect("approve"), second.expect("approve")];
    outcomes.sort_by_key(|outcome| *outcome != ApproveOutcome::Approved);
    assert_eq!(
        outcomes,
        [ApproveOutcome::Approved, ApproveOutcome::AlreadyApproved]
    );

    assert_eq!(
        mail(&pool, "c1").await,
        [
            ("de@example.com".to_owned(), "de".to_owned(), true),
            ("en@example.com".to_owned(), "en".to_owned(), true),
        ]
    );
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM comms_mail")
        .fetch_all(&pool)
        .await
        .expect("ids");
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
    );
    assert_ne!(ids[0], ids[1]);

    let notices = a.comms("inc-1").await.expect("comms");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].status, "approved");
    assert_eq!(notices[0].texts, edited);
    assert_eq!(notices[0].approved_at, Some(at(30)));
    assert!(matches!(
        notices[0].approved_by.as_deref(),
        Some("ann" | "bob")
    ));
    assert_eq!(events(&pool, "inc-1", "comms_approved").await, 1);

    assert_eq!(
        a.approve_comms("inc-1", "c1", "ann", None, &approve)
            .await
            .expect("approve"),
        ApproveOutcome::AlreadyApproved
    );
    assert_eq!(
        a.approve_comms("inc-1", "nope", "ann", None, &approve)
            .await
            .expect("approve"),
        ApproveOutcome::NoSuchDraft
    );
    assert_eq!(mail(&pool, "c1").await.len(), 2);
}

#[tokio::test]
async fn named_customers_get_the_approved_notices_and_only_new_names_are_returned() {
    let database = PgScratch::create().await;
    let store = replica(&database, "a").await;
    let pool = sql(&database).await;
    incident(&pool, "inc-1").await;
    draft(&pool, "c1", "inc-1", "affected").await;
    let names = |list: &[&str]| {
        list.iter()
            .map(|name| (*name).to_owned())
            .collect::<Vec<_>>()
    };

    let added = store
        .add_affected(
            "inc-1",
            &names(&["b@x.io", "a@x.io"]),
            &event("inc-1", EventKind::AffectedAdded, 10),
        )
        .await
        .expect("add");
    assert_eq!(added, names(&["b@x.io", "a@x.io"]));
    assert!(mail(&pool, "c1").await.is_empty(), "a draft mails no one");

    store
        .approve_comms(
            "inc-1",
            "c1",
            "ann",
            None,
            &event("inc-1", EventKind::CommsApproved, 20),
        )
        .await
        .expect("approve");
    assert_eq!(
        mail(&pool, "c1").await,
        [
            ("a@x.io".to_owned(), "en".to_owned(), false),
            ("b@x.io".to_owned(), "en".to_owned(), false),
        ]
    );

    let added = store
        .add_affected(
            "inc-1",
            &names(&["a@x.io", "c@x.io"]),
            &event("inc-1", EventKind::AffectedAdded, 30),
        )
        .await
        .expect("add");
    assert_eq!(added, names(&["c@x.io"]));
    assert_eq!(
        mail(&pool, "c1").await.len(),
        3,
        "the new name is mailed, the old ones once"
    );

    let added = store
        .add_affected(
            "inc-1",
            &names(&["c@x.io"]),
            &event("inc-1", EventKind::AffectedAdded, 40),
        )
        .await
        .expect("add");
    assert!(added.is_empty());
    assert_eq!(
        events(&pool, "inc-1", "affected_added").await,
        2,
        "nothing new, no event"
    );
    assert_eq!(
        store.affected("inc-1").await.expect("affected"),
        names(&["a@x.io", "b@x.io", "c@x.io"])
    );
}

#[tokio::test]
async fn a_name_added_while_its_notice_is_approved_is_mailed_either_way() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    let pool = sql(&database).await;
    for round in 0..5 {
        let (incident_id, comms_id) = (format!("inc-{round}"), format!("c-{round}"));
        incident(&pool, &incident_id).await;
        draft(&pool, &comms_id, &incident_id, "affected").await;
        let approve = event(&incident_id, EventKind::CommsApproved, 1);
        let add = event(&incident_id, EventKind::AffectedAdded, 1);
        let named = ["new@x.io".to_owned()];
        let (approved, added) = tokio::join!(
            a.approve_comms(&incident_id, &comms_id, "ann", None, &approve),
            b.add_affected(&incident_id, &named, &add),
        );
        assert_eq!(approved.expect("approve"), ApproveOutcome::Approved);
        assert_eq!(added.expect("add").len(), 1);
        assert_eq!(mail(&pool, &comms_id).await.len(), 1, "round {round}");
    }
}

#[tokio::test]
async fn the_review_digest_starts_once_per_due_instant() {
    let database = PgScratch::create().await;
    let (a, b) = (replica(&database, "a").await, replica(&database, "b").await);
    assert_eq!(a.review_due_at().await.expect("due"), None);
    a.sync_review_schedule(Some("mon 09:00"), at(0))
        .await
        .expect("sync");
    b.sync_review_schedule(Some("mon 09:00"), at(50))
        .await
        .expect("sync");
    assert_eq!(a.review_due_at().await.expect("due"), Some(at(0)));

    let digest = |id: &str, due: i64| ReviewDigest {
        id: id.to_owned(),
        due_at: at(due),
        channel: "ops".to_owned(),
        text: format!("week {due}"),
        created_at: at(due),
        sent_at: None,
        result: None,
    };
    for round in 0..5_i64 {
        let (due, next) = (round * 100, (round + 1) * 100);
        let (first, second) = (
            digest(&format!("a-{round}"), due),
            digest(&format!("b-{round}"), due),
        );
        let (won_a, won_b) = tokio::join!(
            a.start_review_digest(&first, at(due), at(next)),
            b.start_review_digest(&second, at(due), at(next)),
        );
        assert!(
            won_a.expect("start") ^ won_b.expect("start"),
            "round {round}"
        );
        assert_eq!(a.review_due_at().await.expect("due"), Some(at(next)));
    }
    assert!(
        !a.start_review_digest(&digest("stale", 0), at(0), at(100))
            .await
            .expect("start")
    );
    let digests = a.review_digests(3).await.expect("digests");
    assert_eq!(
        digests.iter().map(|d| d.due_at).collect::<Vec<_>>(),
        [at(400), at(300), at(200)]
    );
    assert_eq!(digests[0].text, "week 400");
    assert_eq!(a.review_digests(100).await.expect("digests").len(), 5);

    // A changed rule starts over; none without a rule.
    a.sync_review_schedule(Some("fri 16:00"), at(1000))
        .await
        .expect("sync");
    assert_eq!(a.review_due_at().await.expect("due"), Some(at(1000)));
    a.sync_review_schedule(None, at(0)).await.expect("sync");
    assert_eq!(a.review_due_at().await.expect("due"), None);
}
