//! The story of a page given up on: the decision reads the current step's pages as they stand,
//! inside its own transaction (`Lookup::IncidentPages`), so the ladder moves on when — and only
//! when — every page of the step has failed for good.

use tocsin_core::decide::{Effect, Input, PageState, Situation, decide};
use tocsin_core::incident::Incident;

use super::Backend;
use super::fixtures::{ctx, firing, incident_of, ingest, policy, t};
use crate::{Attempt, AttemptOutcome, Commit, Item, ItemOutcome, Lookup, Store};

/// Decides `Input::PageFailed` on `incident`; returns the pages it was decided against and
/// whom the decision pages.
async fn page_failed(
    store: &dyn Store,
    incident: &Incident,
    at: i64,
) -> (Vec<PageState>, Vec<String>, ItemOutcome) {
    let policy = policy();
    let mut seen = Vec::new();
    let mut paged = Vec::new();
    let mut decider = |_: usize, situation: &Situation| {
        seen = situation.pages.clone();
        let decision = decide(&policy, situation, Input::PageFailed, &ctx(t(at)))?;
        paged = decision
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Page { contact, .. } => Some(contact.clone()),
                _ => None,
            })
            .collect();
        Ok(Commit {
            now: t(at),
            decision,
            ..Commit::default()
        })
    };
    let item = Item {
        lookup: Lookup::IncidentPages(incident.id.clone()),
        delivery: None,
    };
    let mut transacted = store
        .transact(vec![item], None, &mut decider)
        .await
        .expect("the commit reaches the database");
    let outcome = transacted.outcomes.pop().expect("one outcome");
    (seen, paged, outcome)
}

async fn give_up(store: &dyn Store, incident: &Incident, delivery: &str, channel: &str, at: i64) {
    store
        .record_attempt(Attempt {
            delivery_id: delivery.to_owned(),
            incident_id: incident.id.clone(),
            channel: channel.to_owned(),
            at: t(at),
            http_status: Some(410),
            outcome: AttemptOutcome::Failed {
                error: "HTTP 410 Gone".to_owned(),
            },
        })
        .await
        .expect("record");
}

/// Ann is paged by SMS and e-mail; the SMS fails for good, and nothing moves while the e-mail
/// may still arrive; then the e-mail fails too, and Bo (step 2) is paged in that decision.
/// Neither the channel's notice nor another incident's pages count.
pub async fn a_step_whose_every_page_failed_moves_on_once(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let incident = incident_of(ingest(&*store, firing("unreachable", t(0)), t(0)).await);
    let _other = incident_of(ingest(&*store, firing("elsewhere", t(0)), t(0)).await);
    let claimed = store
        .claim_due_deliveries(t(1), t(31), 100)
        .await
        .expect("claim");
    let ann = |method: &str| {
        claimed
            .iter()
            .find(|d| {
                d.notice.incident_id == incident.id
                    && d.recipient.as_deref() == Some("ann")
                    && d.channel == method
            })
            .unwrap_or_else(|| panic!("Ann's {method} page"))
            .id
            .clone()
    };
    give_up(&*store, &incident, &ann("sms"), "sms", 2).await;
    let (seen, paged, _) = page_failed(&*store, &incident, 3).await;
    let mut states: Vec<(String, String, bool)> = seen
        .iter()
        .map(|page| (page.contact.clone(), page.method.clone(), page.failed))
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("ann".to_owned(), "email".to_owned(), false),
            ("ann".to_owned(), "sms".to_owned(), true),
        ],
        "this incident's pages of step 1 only"
    );
    assert_eq!(
        seen.iter()
            .find(|page| page.failed)
            .and_then(|page| page.error.as_deref()),
        Some("HTTP 410 Gone")
    );
    assert!(paged.is_empty(), "the e-mail may still arrive");

    give_up(&*store, &incident, &ann("email"), "email", 4).await;
    let (seen, paged, outcome) = page_failed(&*store, &incident, 5).await;
    assert!(seen.iter().all(|page| page.failed), "{seen:?}");
    assert_eq!(paged, ["bo"]);
    let moved = incident_of(outcome);
    assert_eq!(moved.escalation_step, 1);
    let deliveries = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    assert!(
        deliveries
            .iter()
            .any(|d| d.recipient.as_deref() == Some("bo")),
        "Bo's page is queued with the decision: {deliveries:?}"
    );

    // Asked again (a second page given up on at the same time), the step now is Bo's, whose
    // page is pending: nothing moves twice.
    let (seen, paged, _) = page_failed(&*store, &incident, 6).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].contact, "bo");
    assert!(paged.is_empty());
}
