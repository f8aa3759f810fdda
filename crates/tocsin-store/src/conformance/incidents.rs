//! Stories of intake: a decision commits whole and reads back; two stores deciding the same
//! alert at once still open one incident.

use tocsin_core::incident::{EventKind, IncidentState};

use super::Backend;
use super::fixtures::{decide_on, every_incident, firing, incident_of, ingest, ingest_grouped, t};

/// Everything one decision wrote (incident, alert, timeline, deliveries, timers) is there when
/// read back, through every reading path.
pub async fn a_committed_decision_reads_back(backend: &dyn Backend) {
    let store = backend.open("a").await;
    store.ping().await.expect("the database answers");
    let incident = incident_of(ingest(&*store, firing("db-down", t(0)), t(0)).await);
    assert_eq!(incident.state, IncidentState::Triggered);

    let listed = store.incidents(&every_incident()).await.expect("incidents");
    assert_eq!(listed.len(), 1, "one incident: {listed:?}");
    assert_eq!(listed[0].id, incident.id);
    assert_eq!(listed[0].title, "Checkout answers 500");
    assert_eq!(listed[0].severity, "SEV-1");

    let situation = store
        .situation_for_incident(&incident.id)
        .await
        .expect("situation");
    assert_eq!(
        situation.incident.as_ref().map(|i| &i.id),
        Some(&incident.id)
    );
    assert_eq!(situation.alerts.len(), 1);
    assert_eq!(situation.alerts[0].dedup_key, "db-down");

    let timeline = store.timeline(&incident.id).await.expect("timeline");
    assert!(
        timeline.iter().any(|event| event.kind == EventKind::Opened),
        "the timeline says it opened: {timeline:?}"
    );

    let deliveries = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    let mut sent_to: Vec<(String, Option<String>)> = deliveries
        .iter()
        .map(|d| (d.channel.clone(), d.recipient.clone()))
        .collect();
    sent_to.sort();
    assert_eq!(
        sent_to,
        vec![
            ("email".to_owned(), Some("ann".to_owned())),
            ("slack".to_owned(), None),
            ("sms".to_owned(), Some("ann".to_owned())),
        ],
        "the channel is told and Ann paged both ways"
    );

    // The ladder's next step and the response target are durable timers, due later.
    let soon = store
        .claim_due_timers(t(1), t(31), 100)
        .await
        .expect("claim");
    assert!(soon.is_empty(), "nothing is due yet: {soon:?}");
    let later = store
        .claim_due_timers(t(3600), t(3630), 100)
        .await
        .expect("claim");
    assert!(
        later.iter().all(|timer| timer.incident_id == incident.id) && !later.is_empty(),
        "the incident's timers come due: {later:?}"
    );
    assert!(
        store.next_due().await.expect("next due").is_some(),
        "the store knows when work is next due"
    );
}

/// Two stores (replicas) deciding a firing alert with the same key at the same moment: both
/// commit, and the second sees the first, so there is one incident with one alert.
pub async fn two_stores_deciding_one_key_at_once_open_one_incident(backend: &dyn Backend) {
    let a = backend.open("a").await;
    let b = backend.open("b").await;
    for round in 0..10 {
        let key = format!("same-key-{round}");
        let (first, second) = tokio::join!(
            ingest(&*a, firing(&key, t(round)), t(round)),
            ingest(&*b, firing(&key, t(round)), t(round)),
        );
        let first = incident_of(first);
        let second = incident_of(second);
        assert_eq!(
            first.id, second.id,
            "round {round}: both decisions name one incident"
        );
    }
    let incidents = a.incidents(&every_incident()).await.expect("incidents");
    assert_eq!(incidents.len(), 10, "one incident per key: {incidents:?}");
    for incident in &incidents {
        let situation = b
            .situation_for_incident(&incident.id)
            .await
            .expect("situation");
        assert_eq!(situation.alerts.len(), 1, "one alert per key");
    }
}

/// An alert storm decided in group commits: every alert of one group joins the one incident
/// the first opened, within a batch and across batches, an alert cleared by its key among them,
/// and the incident reads back with every alert counted — however the backend spares itself
/// rewriting it per alert.
pub async fn a_storm_in_group_commits_joins_one_incident_and_counts_every_alert(
    backend: &dyn Backend,
) {
    let store = backend.open("a").await;
    let storm = |from: usize, to: usize| -> Vec<_> {
        (from..to)
            .map(|n| firing(&format!("pod-{n}"), t(0)))
            .collect()
    };
    let first = ingest_grouped(&*store, storm(0, 40), t(0), t(-300)).await;
    // The second batch also clears an alert of the first, by its key, between two joins.
    let mut cleared = firing("pod-0", t(5));
    cleared.status = tocsin_core::signal::SignalStatus::Resolved;
    let mut second_batch = storm(40, 45);
    second_batch.push(cleared);
    second_batch.extend(storm(45, 50));
    let second = ingest_grouped(&*store, second_batch, t(5), t(-295)).await;

    let ids: std::collections::BTreeSet<String> = first
        .into_iter()
        .chain(second)
        .map(|outcome| incident_of(outcome).id)
        .collect();
    assert_eq!(ids.len(), 1, "every alert joined one incident: {ids:?}");
    let listed = store.incidents(&every_incident()).await.expect("incidents");
    assert_eq!(listed.len(), 1, "one incident: {listed:?}");
    assert_eq!(listed[0].alert_count, 50, "every alert is counted");
    assert_eq!(listed[0].state, IncidentState::Triggered);
    let situation = store
        .situation_for_incident(&listed[0].id)
        .await
        .expect("situation");
    assert_eq!(situation.alerts.len(), 50, "every alert reads back");
    let still_firing = situation
        .alerts
        .iter()
        .filter(|alert| alert.status == tocsin_core::incident::AlertStatus::Firing)
        .count();
    assert_eq!(
        still_firing, 49,
        "the cleared alert is resolved, the rest fire"
    );
    assert_eq!(situation.incident.as_ref(), Some(&listed[0]));
}

/// A person resolves an incident holding a storm: every alert still firing ends with it (in
/// one statement: the decision reads none of them), the one already cleared keeps its own end,
/// and an alert of the storm firing again reopens it.
pub async fn resolving_by_hand_ends_every_firing_alert_of_a_storm(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let storm: Vec<_> = (0..30).map(|n| firing(&format!("pod-{n}"), t(0))).collect();
    let incident = incident_of(
        ingest_grouped(&*store, storm, t(0), t(-300))
            .await
            .remove(0),
    );
    let mut cleared = firing("pod-0", t(5));
    cleared.status = tocsin_core::signal::SignalStatus::Resolved;
    ingest(&*store, cleared, t(5)).await;

    let resolved = incident_of(
        decide_on(
            &*store,
            crate::Lookup::Incident(incident.id.clone()),
            tocsin_core::decide::Input::Resolve {
                actor: "sami".into(),
            },
            t(60),
        )
        .await,
    );
    assert_eq!(resolved.state, IncidentState::Resolved);
    let situation = store
        .situation_for_incident(&incident.id)
        .await
        .expect("situation");
    assert_eq!(situation.alerts.len(), 30, "every alert is kept");
    for alert in &situation.alerts {
        assert_eq!(
            alert.status,
            tocsin_core::incident::AlertStatus::Resolved,
            "{}",
            alert.dedup_key
        );
        let ended = if alert.dedup_key == "pod-0" {
            t(5)
        } else {
            t(60)
        };
        assert_eq!(alert.resolved_at, Some(ended), "{}", alert.dedup_key);
    }

    // Ended, so its firing again is news: within the reopen window it reopens the incident.
    let again = incident_of(ingest(&*store, firing("pod-7", t(120)), t(120)).await);
    assert_eq!(again.id, incident.id);
    assert_eq!(again.state, IncidentState::Triggered, "reopened");
}
