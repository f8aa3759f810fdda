//! Stories of the leased queue: a claim holds work for its owner until the lease ends, then any
//! owner may claim it again; releasing at start-up frees only the releasing owner's leases.

use super::Backend;
use super::fixtures::{firing, incident_of, ingest, ingest_handing_over, t};
use crate::{Attempt, AttemptOutcome};

/// Timers and deliveries alike (one lease rule): claimed by `a`, invisible to `b` until `a`'s
/// lease ends, then claimed by `b`.
pub async fn a_lease_holds_until_it_expires_then_another_owner_reclaims(backend: &dyn Backend) {
    let a = backend.open("a").await;
    let b = backend.open("b").await;
    ingest(&*a, firing("lease", t(0)), t(0)).await;
    let due = t(3600);

    let timers = a.claim_due_timers(due, t(3630), 100).await.expect("claim");
    assert!(!timers.is_empty(), "the incident's timers are due");
    let deliveries = a
        .claim_due_deliveries(due, t(3630), 100)
        .await
        .expect("claim");
    assert_eq!(deliveries.len(), 3, "the channel and two pages are due");

    // Within a's lease nobody else gets them, and a second claim by a neither.
    assert!(
        b.claim_due_timers(t(3610), t(3640), 100)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(
        b.claim_due_deliveries(t(3610), t(3640), 100)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(
        a.claim_due_deliveries(t(3629), t(3659), 100)
            .await
            .expect("claim")
            .is_empty()
    );

    // The lease ended (a died): b claims the same work.
    let mut again: Vec<i64> = b
        .claim_due_timers(t(3630), t(3660), 100)
        .await
        .expect("claim")
        .iter()
        .map(|timer| timer.id)
        .collect();
    let mut first: Vec<i64> = timers.iter().map(|timer| timer.id).collect();
    again.sort_unstable();
    first.sort_unstable();
    assert_eq!(again, first, "b claims exactly the timers a had");
    let mut again: Vec<String> = b
        .claim_due_deliveries(t(3630), t(3660), 100)
        .await
        .expect("claim")
        .into_iter()
        .map(|delivery| delivery.id)
        .collect();
    let mut first: Vec<String> = deliveries.into_iter().map(|delivery| delivery.id).collect();
    again.sort();
    first.sort();
    assert_eq!(again, first, "b claims exactly the deliveries a had");
}

/// A starting store releases its own leases (its previous run's claims are due again at once),
/// never another owner's.
pub async fn release_frees_only_the_owners_leases(backend: &dyn Backend) {
    let a = backend.open("a").await;
    let b = backend.open("b").await;
    ingest(&*a, firing("release", t(0)), t(0)).await;
    let due = t(3600);
    let held_by_b = b
        .claim_due_deliveries(due, t(7200), 100)
        .await
        .expect("claim");
    assert_eq!(held_by_b.len(), 3);

    a.release_leases().await.expect("release");
    assert!(
        a.claim_due_deliveries(t(3601), t(3631), 100)
            .await
            .expect("claim")
            .is_empty(),
        "a's release leaves b's leases alone"
    );

    b.release_leases().await.expect("release");
    let reclaimed = a
        .claim_due_deliveries(t(3602), t(3632), 100)
        .await
        .expect("claim");
    assert_eq!(
        reclaimed.len(),
        3,
        "b's own release makes its work due again at once"
    );
}

/// The deliveries a decision creates can be handed to the sender at commit: written leased to
/// the committing owner, so no claim finds them while the lease holds; when it ends (the sender
/// died), any owner claims exactly them.
pub async fn deliveries_handed_over_at_commit_are_leased_to_the_committer(backend: &dyn Backend) {
    let a = backend.open("a").await;
    let b = backend.open("b").await;
    let transacted = ingest_handing_over(&*a, firing("handed", t(0)), t(0), t(60)).await;
    let mut handed: Vec<String> = transacted
        .handed
        .iter()
        .map(|delivery| delivery.id.clone())
        .collect();
    assert_eq!(handed.len(), 3, "the channel and two pages, handed over");
    assert!(
        transacted
            .handed
            .iter()
            .all(|delivery| delivery.attempts == 0),
        "never attempted yet"
    );
    for (store, owner) in [(&a, "a"), (&b, "b")] {
        assert!(
            store
                .claim_due_deliveries(t(30), t(90), 100)
                .await
                .expect("claim")
                .is_empty(),
            "within the lease {owner} claims none of them"
        );
    }
    let mut reclaimed: Vec<String> = b
        .claim_due_deliveries(t(60), t(120), 100)
        .await
        .expect("claim")
        .into_iter()
        .map(|delivery| delivery.id)
        .collect();
    handed.sort();
    reclaimed.sort();
    assert_eq!(reclaimed, handed, "after the lease, exactly those are due");
}

/// A replica that stalled past its lease and then reports its send as failed (its request
/// timed out while it was stopped) leaves the delivery to the owner that claimed it since: that
/// owner's lease holds, so nobody else sends it beside that owner. The stale owner's report of a
/// send that did go out is kept.
pub async fn a_stale_owners_failure_leaves_the_delivery_to_its_new_holder(backend: &dyn Backend) {
    let a = backend.open("a").await;
    let b = backend.open("b").await;
    let incident = incident_of(ingest(&*a, firing("stale", t(0)), t(0)).await);
    let held_by_a = a
        .claim_due_deliveries(t(3600), t(3630), 100)
        .await
        .expect("claim");
    assert_eq!(held_by_a.len(), 3, "the channel and two pages are due");
    // a stalls; its lease ends and b takes the work, holding it until 3700.
    let held_by_b = b
        .claim_due_deliveries(t(3640), t(3700), 100)
        .await
        .expect("claim");
    assert_eq!(held_by_b.len(), 3, "b takes what a no longer holds");
    let attempt = |delivery: &crate::PendingDelivery, outcome| Attempt {
        delivery_id: delivery.id.clone(),
        incident_id: incident.id.clone(),
        channel: delivery.channel.clone(),
        at: t(3650),
        http_status: None,
        outcome,
    };

    // a wakes: its request for the first timed out, the second went out.
    a.record_attempt(attempt(
        &held_by_a[0],
        AttemptOutcome::Retry {
            error: "timed out".to_owned(),
            next_attempt_at: t(3651),
        },
    ))
    .await
    .expect("record");
    a.record_attempt(attempt(&held_by_a[1], AttemptOutcome::Sent))
        .await
        .expect("record");

    for owner in [&a, &b] {
        assert!(
            owner
                .claim_due_deliveries(t(3660), t(3720), 100)
                .await
                .expect("claim")
                .is_empty(),
            "b's lease still holds all three: a's timed-out request freed none of them"
        );
    }
    let records = a
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    let status = |id: &str| {
        records
            .iter()
            .find(|record| record.id == id)
            .map(|record| record.status)
            .expect("kept")
    };
    assert_eq!(
        status(&held_by_a[0].id),
        tocsin_core::delivery::DeliveryStatus::Pending,
        "still b's to send"
    );
    assert_eq!(
        status(&held_by_a[1].id),
        tocsin_core::delivery::DeliveryStatus::Sent,
        "a send that went out is recorded, whoever reports it"
    );
}
