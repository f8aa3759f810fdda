//! Stories of running an incident together: a merge reads both incidents in its one
//! transaction and moves the merged one's alerts, so their keys find the other incident; roles
//! and a snooze read back as written.

use tocsin_core::decide::{Input, RoleAssignment};
use tocsin_core::incident::{EventKind, IncidentState};
use tocsin_core::roles::{Person, PersonKind};

use super::Backend;
use super::fixtures::{decide_on, firing, incident_of, ingest, t};
use crate::Lookup;

/// Merging one incident into another ends it, moves its alerts (a later signal with one of
/// their keys joins the other incident), and both timelines say so; an incident's roles and
/// snooze read back as written.
pub async fn a_merge_moves_the_alerts_so_their_keys_find_the_incident_merged_into(
    backend: &dyn Backend,
) {
    let store = backend.open("a").await;
    let into = incident_of(ingest(&*store, firing("checkout", t(0)), t(0)).await);
    let from = incident_of(ingest(&*store, firing("payments", t(1)), t(1)).await);
    assert_ne!(into.id, from.id);

    let merged = incident_of(
        decide_on(
            &*store,
            Lookup::Merge {
                from: from.id.clone(),
                into: into.id.clone(),
            },
            Input::Merge {
                actor: "sami".into(),
                into: into.id.clone(),
            },
            t(2),
        )
        .await,
    );
    assert_eq!(merged.merged_into.as_deref(), Some(into.id.as_str()));

    let ended = store
        .situation_for_incident(&from.id)
        .await
        .expect("situation");
    let ended_incident = ended.incident.expect("kept");
    assert_eq!(ended_incident.state, IncidentState::Resolved);
    assert_eq!(
        ended_incident.merged_into.as_deref(),
        Some(into.id.as_str())
    );
    assert!(
        ended.alerts.is_empty(),
        "its alerts moved: {:?}",
        ended.alerts
    );
    let target = store
        .situation_for_incident(&into.id)
        .await
        .expect("situation");
    let mut keys: Vec<&str> = target.alerts.iter().map(|a| a.dedup_key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["checkout", "payments"]);
    assert_eq!(target.incident.as_ref().map(|i| i.alert_count), Some(2));
    for id in [&from.id, &into.id] {
        let timeline = store.timeline(id).await.expect("timeline");
        assert!(
            timeline.iter().any(|event| event.kind == EventKind::Merged),
            "{id}: {timeline:?}"
        );
        assert!(
            timeline.iter().any(|event| event.kind == EventKind::Opened),
            "nothing deleted: {timeline:?}"
        );
    }

    // A later signal with the merged incident's key joins the incident it was merged into.
    let joined = incident_of(ingest(&*store, firing("payments", t(3)), t(3)).await);
    assert_eq!(joined.id, into.id);

    // Roles and a snooze are columns of the incident: they read back as decided.
    let ana = Person {
        id: "ana@example.com".into(),
        name: "Ana".into(),
        kind: PersonKind::User,
    };
    incident_of(
        decide_on(
            &*store,
            Lookup::Incident(into.id.clone()),
            Input::AssignRole(RoleAssignment {
                actor: "sami".into(),
                role: "scribe".into(),
                user: "ana@example.com".into(),
                person: Some(ana.clone()),
            }),
            t(4),
        )
        .await,
    );
    let lookup = || Lookup::Incident(into.id.clone());
    incident_of(
        decide_on(
            &*store,
            lookup(),
            Input::Acknowledge {
                actor: "sami".into(),
            },
            t(5),
        )
        .await,
    );
    incident_of(
        decide_on(
            &*store,
            lookup(),
            Input::Snooze {
                actor: "sami".into(),
                until: t(3600),
            },
            t(6),
        )
        .await,
    );
    let read = store
        .situation_for_incident(&into.id)
        .await
        .expect("situation")
        .incident
        .expect("the incident");
    assert_eq!(read.roles.scribe, Some(ana));
    assert_eq!(read.roles.commander, None);
    assert_eq!(read.snoozed_until, Some(t(3600)));
    let listed = store
        .incidents(&super::fixtures::every_incident())
        .await
        .expect("incidents");
    assert!(
        listed
            .iter()
            .any(|i| i.id == into.id && i.snoozed_until == Some(t(3600)))
    );
}
