//! The decision-side writes of follow-up records, on a real PostgreSQL database: each test
//! writes through the functions a decision's transaction calls and reads back through the store.

use jiff::Timestamp;
use sqlx::PgPool;
use tocsin_core::action_run::{ActionRun, RunStatus};
use tocsin_core::incident::{EventKind, TimelineEvent};
use tocsin_core::notice::{CommsEvent, CustomerComms, CustomerText};
use tocsin_store::FollowUpStore;
use tocsin_testkit::PgScratch;

use super::*;
use crate::{PgOptions, PgStore};

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).expect("time")
}

/// A fresh database with incidents `inc-1` and `inc-2`, a store and a plain pool on it.
async fn fresh() -> (PgScratch, PgStore, PgPool) {
    let database = PgScratch::create().await;
    let store = PgStore::open(database.url(), &PgOptions::default())
        .await
        .expect("open");
    let pool = PgPool::connect(database.url()).await.expect("connect");
    for id in ["inc-1", "inc-2"] {
        sqlx::query(
            "INSERT INTO incidents (id, title, severity, state, source, opened_at, respond_by) \
             VALUES ($1, 'Checkout down', 'SEV-2', 'resolved', 'test', 0, 0)",
        )
        .bind(id)
        .execute(&pool)
        .await
        .expect("incident");
    }
    (database, store, pool)
}

fn run(id: &str, second: i64) -> ActionRun {
    ActionRun {
        id: id.to_owned(),
        incident_id: "inc-1".to_owned(),
        action_id: "restart".to_owned(),
        requested_by: "ann".to_owned(),
        requested_at: at(second),
        what: r#"["systemctl","restart","shop"]"#.to_owned(),
        status: RunStatus::Running,
        exit_status: None,
        output: None,
        finished_at: None,
    }
}

#[tokio::test]
async fn action_runs_are_recorded_then_finished_and_read_oldest_first() {
    let (_database, store, pool) = fresh().await;
    let mut tx = pool.begin().await.expect("begin");
    write_action_run(&mut tx, &run("r2", 20))
        .await
        .expect("write");
    write_action_run(&mut tx, &run("r1", 10))
        .await
        .expect("write");
    tx.commit().await.expect("commit");

    let mut finished = run("r2", 20);
    finished.status = RunStatus::Succeeded;
    finished.exit_status = Some(0);
    finished.output = Some("ok".to_owned());
    finished.finished_at = Some(at(25));
    let mut tx = pool.begin().await.expect("begin");
    write_action_run(&mut tx, &finished).await.expect("write");
    tx.commit().await.expect("commit");

    let runs = store.action_runs("inc-1").await.expect("runs");
    assert_eq!(runs, [run("r1", 10), finished]);
    assert!(store.action_runs("inc-2").await.expect("runs").is_empty());
}

/// Runs `require_postmortem` in a transaction of its own.
async fn require(pool: &PgPool, incident_id: &str, file: &str, due: i64) {
    let mut tx = pool.begin().await.expect("begin");
    require_postmortem(&mut tx, incident_id, file, at(due), at(0))
        .await
        .expect("require");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_postmortem_keeps_its_file_and_a_colliding_name_gets_the_incident_id() {
    let (_database, store, pool) = fresh().await;
    require(&pool, "inc-1", "2027-01-15-checkout-down.md", 100).await;
    require(&pool, "inc-2", "2027-01-15-checkout-down.md", 200).await;
    // Reopened and resolved again: a new deadline, the same file.
    require(&pool, "inc-1", "2027-01-15-checkout-down.md", 300).await;

    let all = store.postmortems().await.expect("postmortems");
    let summary: Vec<_> = all
        .iter()
        .map(|pm| (pm.incident_id.as_str(), pm.file.as_str(), pm.due_at))
        .collect();
    assert_eq!(
        summary,
        [
            ("inc-1", "2027-01-15-checkout-down.md", at(300)),
            ("inc-2", "2027-01-15-checkout-down-inc-2.md", at(200)),
        ]
    );

    // Published: no new deadline, and its reminders go.
    sqlx::query(
        "INSERT INTO timers (kind, incident_id, due_at) VALUES ('postmortem_reminder', 'inc-1', 1), \
         ('postmortem_due', 'inc-1', 2), ('escalate', 'inc-1', 3)",
    )
    .execute(&pool)
    .await
    .expect("timers");
    let mut tx = pool.begin().await.expect("begin");
    publish_postmortem(&mut tx, "inc-1").await.expect("publish");
    tx.commit().await.expect("commit");
    require(&pool, "inc-1", "2027-01-15-checkout-down.md", 900).await;
    let published = store
        .postmortem("inc-1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (published.status.as_str(), published.due_at),
        ("published", at(300))
    );
    let timers: Vec<String> = sqlx::query_scalar("SELECT kind FROM timers")
        .fetch_all(&pool)
        .await
        .expect("timers");
    assert_eq!(timers, ["escalate"]);
    assert_eq!(store.postmortem("inc-3").await.expect("read"), None);
}

#[tokio::test]
async fn two_incidents_resolved_at_once_get_different_files() {
    let (_database, store, pool) = fresh().await;
    // Two replicas' decisions: both transactions are open before either asks about the name.
    let mut first = pool.begin().await.expect("begin");
    let mut second = pool.begin().await.expect("begin");
    sqlx::query("SELECT 1")
        .execute(&mut *first)
        .await
        .expect("open");
    sqlx::query("SELECT 1")
        .execute(&mut *second)
        .await
        .expect("open");
    require_postmortem(&mut first, "inc-1", "same.md", at(100), at(0))
        .await
        .expect("require");
    let waiting = tokio::spawn(async move {
        require_postmortem(&mut second, "inc-2", "same.md", at(100), at(0)).await?;
        second.commit().await?;
        Ok::<_, tocsin_store::StoreError>(())
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    first.commit().await.expect("commit");
    waiting.await.expect("join").expect("second decision");

    let mut files: Vec<String> = store
        .postmortems()
        .await
        .expect("postmortems")
        .into_iter()
        .map(|pm| pm.file)
        .collect();
    files.sort();
    assert_eq!(files, ["same-inc-2.md", "same.md"]);
}

fn notice(id: &str, draft: bool) -> CustomerComms {
    CustomerComms {
        id: id.to_owned(),
        incident_id: "inc-1".to_owned(),
        channel: "mail".to_owned(),
        event: CommsEvent::Opened,
        template: "opened".to_owned(),
        audience: "subscribers".to_owned(),
        default_locale: "en".to_owned(),
        texts: [(
            "en".to_owned(),
            CustomerText {
                subject: "Trouble".to_owned(),
                body: "On it.".to_owned(),
            },
        )]
        .into(),
        draft,
    }
}

#[tokio::test]
async fn a_decided_notice_is_a_draft_or_approved_with_its_mail_queued() {
    let (_database, store, pool) = fresh().await;
    sqlx::query(
        "INSERT INTO subscribers (email, locale, created_at, confirmed_at) VALUES ('s@x.io', 'fr', 0, 1)",
    )
    .execute(&pool)
    .await
    .expect("subscriber");
    let mut tx = pool.begin().await.expect("begin");
    write_customer_comms(&mut tx, &notice("d-2", false), at(5))
        .await
        .expect("write");
    write_customer_comms(&mut tx, &notice("d-1", true), at(5))
        .await
        .expect("write");
    tx.commit().await.expect("commit");

    let notices = store.comms("inc-1").await.expect("comms");
    let summary: Vec<_> = notices
        .iter()
        .map(|c| (c.id.as_str(), c.status.as_str(), c.approved_by.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [("d-1", "draft", None), ("d-2", "approved", Some("tocsin"))]
    );
    assert_eq!(notices[1].texts, notice("d-2", false).texts);
    assert_eq!(notices[1].approved_at, Some(at(5)));
    let mail: Vec<(String, String, String)> =
        sqlx::query_as("SELECT comms_id, recipient, locale FROM comms_mail")
            .fetch_all(&pool)
            .await
            .expect("mail");
    assert_eq!(
        mail,
        [("d-2".to_owned(), "s@x.io".to_owned(), "fr".to_owned())]
    );
}

#[tokio::test]
async fn ticks_are_each_items_latest_state() {
    let (_database, _store, pool) = fresh().await;
    let mut connection = pool.acquire().await.expect("connect");
    for (second, item, done) in [
        (1, "status", true),
        (2, "comms", true),
        (3, "status", false),
    ] {
        crate::write::rows::insert_event(
            &mut connection,
            &TimelineEvent {
                incident_id: "inc-1".to_owned(),
                at: at(second),
                kind: EventKind::ChecklistTicked,
                actor: "ann".to_owned(),
                text: format!("ticked {item}"),
                data: serde_json::json!({"item": item, "done": done}),
            },
        )
        .await
        .expect("event");
    }
    let mut tx = pool.begin().await.expect("begin");
    let state = ticks(&mut tx, "inc-1").await.expect("ticks");
    assert_eq!(state.len(), 2);
    assert_eq!((state["status"].done, state["status"].at), (false, at(3)));
    assert!(state["comms"].done);
    assert!(ticks(&mut tx, "inc-2").await.expect("ticks").is_empty());
}
