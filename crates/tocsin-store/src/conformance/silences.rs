//! The silences story: listed newest first, in force from their start until their end, and
//! expiring one ends it now (an ended one keeps its end); a held incident keeps what held it.

use super::Backend;
use super::fixtures::t;
use crate::SilenceRecord;

fn silence(id: &str, starts: i64, ends: i64) -> SilenceRecord {
    SilenceRecord {
        id: id.to_owned(),
        matchers: [
            ("service".to_owned(), "checkout".to_owned()),
            ("env".to_owned(), "~prod.*".to_owned()),
        ]
        .into_iter()
        .collect(),
        starts_at: t(starts),
        ends_at: t(ends),
        comment: "checkout deploy".to_owned(),
        created_by: "sami".to_owned(),
    }
}

/// Silences read back as written, newest first; the ones in force are those started and not
/// ended; expiring moves the end to now once, and an unknown id is `None`.
pub async fn silences_are_in_force_until_they_end_or_are_expired(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let (early, late, later) = (
        silence("s1", 0, 100),
        silence("s2", 50, 500),
        silence("s3", 200, 900),
    );
    for record in [&early, &late, &later] {
        store.add_silence(record).await.expect("add");
    }
    let listed = store.silences(10).await.expect("list");
    assert_eq!(listed, vec![later.clone(), late.clone(), early.clone()]);
    assert_eq!(store.silences(1).await.expect("list").len(), 1);

    let ids = |records: Vec<SilenceRecord>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.active_silences(t(60)).await.expect("active")),
        ["s1", "s2"]
    );
    assert_eq!(
        ids(store.active_silences(t(100)).await.expect("active")),
        ["s2"]
    );

    let expired = store.expire_silence("s2", t(120)).await.expect("expire");
    assert_eq!(expired.map(|s| s.ends_at), Some(t(120)));
    assert!(
        store
            .active_silences(t(130))
            .await
            .expect("active")
            .is_empty()
    );
    // Already ended: its end stays.
    let again = store.expire_silence("s2", t(300)).await.expect("expire");
    assert_eq!(again.map(|s| s.ends_at), Some(t(120)));
    assert_eq!(
        store.expire_silence("nope", t(300)).await.expect("expire"),
        None
    );
    // Another handle on the same database sees the same.
    let other = backend.open("b").await;
    assert_eq!(
        ids(other.active_silences(t(250)).await.expect("active")),
        ["s3"]
    );
}

/// What inhibits lower pages is each open incident of the severity that has a component, with
/// that component; none of another severity, none without a component.
pub async fn inhibiting_names_the_open_incidents_of_a_severity_and_their_components(
    backend: &dyn Backend,
) {
    use super::fixtures::{firing, incident_of, ingest};
    let store = backend.open("a").await;
    let on_checkout = incident_of(ingest(&*store, firing("a", t(0)), t(0)).await);
    let mut nowhere = firing("b", t(1));
    nowhere.component = None;
    let without = incident_of(ingest(&*store, nowhere, t(1)).await);
    assert_ne!(on_checkout.id, without.id, "two incidents");

    let holding = store.inhibiting("SEV-1", 10).await.expect("inhibiting");
    assert_eq!(
        holding,
        vec![tocsin_core::noise::Holding {
            incident_id: on_checkout.id.clone(),
            component: "checkout".to_owned(),
        }]
    );
    assert!(
        store
            .inhibiting("SEV-2", 10)
            .await
            .expect("inhibiting")
            .is_empty()
    );
    assert!(
        store
            .inhibiting("SEV-1", 0)
            .await
            .expect("inhibiting")
            .is_empty()
    );
}
