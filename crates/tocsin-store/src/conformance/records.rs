//! Stories of idempotent records: a page is queued once per key, a delivery's outcome is
//! recorded once, a sender's delivery id is decided once, and the replay guards are pruned
//! only once a replay could no longer pass.

use tocsin_core::decide::{Decision, Effect};
use tocsin_core::delivery::DeliveryStatus;
use tocsin_core::incident::EventKind;

use super::Backend;
use super::fixtures::{firing, incident_of, ingest, ingest_as, t};
use crate::{Attempt, AttemptOutcome, Commit, ItemOutcome};

/// Committing the same page (incident, ladder, step, round, contact, method) twice — a timer
/// fired twice, a retried commit — queues it once.
pub async fn a_page_is_queued_once_per_key(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let incident = incident_of(ingest(&*store, firing("pages", t(0)), t(0)).await);
    let before = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    let page = before
        .iter()
        .find(|d| d.channel == "sms")
        .expect("Ann is paged by SMS")
        .clone();
    let notice = store
        .claim_due_deliveries(t(1), t(31), 100)
        .await
        .expect("claim")
        .into_iter()
        .find(|d| d.id == page.id)
        .expect("the page is due")
        .notice;
    let again = Effect::Page {
        contact: "ann".into(),
        method: "sms".into(),
        ladder: incident.escalation_ladder,
        step: 0,
        round: 0,
        notice,
    };
    for _ in 0..2 {
        store
            .commit(Commit {
                now: t(2),
                decision: Decision {
                    effects: vec![again.clone()],
                    ..Decision::default()
                },
                ..Commit::default()
            })
            .await
            .expect("commit");
    }
    let after = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    assert_eq!(
        after.iter().filter(|d| d.channel == "sms").count(),
        1,
        "one SMS page: {after:?}"
    );
}

/// A delivery reported sent twice (a worker retrying its write) is sent once, with one
/// "Told …" on the timeline.
pub async fn a_delivery_outcome_is_recorded_once(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let incident = incident_of(ingest(&*store, firing("outcome", t(0)), t(0)).await);
    let claimed = store
        .claim_due_deliveries(t(1), t(31), 100)
        .await
        .expect("claim");
    let slack = claimed
        .iter()
        .find(|d| d.channel == "slack")
        .expect("the channel is due");
    for _ in 0..2 {
        store
            .record_attempt(Attempt {
                delivery_id: slack.id.clone(),
                incident_id: incident.id.clone(),
                channel: slack.channel.clone(),
                at: t(2),
                http_status: Some(200),
                outcome: AttemptOutcome::Sent,
            })
            .await
            .expect("record");
    }
    let deliveries = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    let record = deliveries.iter().find(|d| d.id == slack.id).expect("kept");
    assert_eq!(record.status, DeliveryStatus::Sent);
    assert_eq!(record.attempts, 1, "one attempt counted");
    let told = store
        .timeline(&incident.id)
        .await
        .expect("timeline")
        .into_iter()
        .filter(|event| event.kind == EventKind::Notified)
        .count();
    assert_eq!(told, 1, "one \"Told slack\" on the timeline");
    assert!(
        store
            .claim_due_deliveries(t(100), t(130), 100)
            .await
            .expect("claim")
            .iter()
            .all(|d| d.id != slack.id),
        "a sent delivery is never due again"
    );
}

/// Delivery ids are kept while a redelivery may come and pruned after: one pruned is decided
/// again (a week-old redelivery is a new request), one kept is still a duplicate.
pub async fn delivery_ids_are_pruned_by_age(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let old = ingest_as(
        &*store,
        firing("hook", t(0)),
        t(0),
        Some(("github", "d-old")),
    )
    .await;
    assert!(matches!(old, ItemOutcome::Done(Some(_))));
    let recent = ingest_as(
        &*store,
        firing("hook", t(100)),
        t(100),
        Some(("github", "d-new")),
    )
    .await;
    assert!(matches!(recent, ItemOutcome::Done(Some(_))));
    // Delivery ids before t(50) go; no nonce was used, so the second bound changes nothing.
    assert_eq!(
        store
            .prune_replay_guards(t(50), t(50))
            .await
            .expect("prune"),
        1
    );
    assert_eq!(
        store
            .prune_replay_guards(t(50), t(50))
            .await
            .expect("prune"),
        0
    );
    let again = ingest_as(
        &*store,
        firing("hook", t(101)),
        t(101),
        Some(("github", "d-new")),
    )
    .await;
    assert_eq!(again, ItemOutcome::Duplicate, "a kept id still refuses");
    let forgotten = ingest_as(
        &*store,
        firing("hook", t(102)),
        t(102),
        Some(("github", "d-old")),
    )
    .await;
    assert!(
        matches!(forgotten, ItemOutcome::Done(_)),
        "a pruned id is decided again: {forgotten:?}"
    );
}

/// A sender that delivers the same webhook twice (same delivery id) is decided once.
pub async fn a_sender_delivery_id_is_decided_once(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let delivery = Some(("github", "d-1"));
    let first = ingest_as(&*store, firing("hook", t(0)), t(0), delivery).await;
    assert!(matches!(first, ItemOutcome::Done(Some(_))));
    let second = ingest_as(&*store, firing("hook", t(1)), t(1), delivery).await;
    assert_eq!(second, ItemOutcome::Duplicate);
    let incident = incident_of(first);
    let situation = store
        .situation_for_incident(&incident.id)
        .await
        .expect("situation");
    assert_eq!(
        situation.alerts[0].count, 1,
        "the duplicate changed nothing"
    );
}

/// Delivery ids and used acknowledge-link nonces are forgotten only when older than the bounds
/// given: a newer one still stops a replay, an older one is gone.
pub async fn replay_guards_are_pruned_only_past_their_bounds(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let delivery = Some(("github", "d-1"));
    let first = ingest_as(&*store, firing("hook", t(0)), t(0), delivery).await;
    let incident = incident_of(first);
    let acknowledge = Commit {
        now: t(1),
        consume_token: Some("nonce-1".to_owned()),
        ..Commit::default()
    };
    store.commit(acknowledge).await.expect("the nonce is used");
    assert!(store.token_used("nonce-1").await.expect("read"));

    let pruned = store.prune_replay_guards(t(0), t(1)).await.expect("prune");
    assert_eq!(pruned, 0, "nothing is older than its bound");
    let replay = ingest_as(&*store, firing("hook", t(2)), t(2), delivery).await;
    assert_eq!(replay, ItemOutcome::Duplicate);
    assert!(store.token_used("nonce-1").await.expect("read"));

    let pruned = store
        .prune_replay_guards(t(10), t(10))
        .await
        .expect("prune");
    assert_eq!(pruned, 2, "the delivery id and the nonce");
    assert!(!store.token_used("nonce-1").await.expect("read"));
    let again = ingest_as(&*store, firing("hook", t(11)), t(11), delivery).await;
    assert!(
        matches!(again, ItemOutcome::Done(_)),
        "a forgotten delivery id is decided again: {again:?}"
    );
    let situation = store
        .situation_for_incident(&incident.id)
        .await
        .expect("situation");
    assert_eq!(situation.alerts[0].count, 2);
}
