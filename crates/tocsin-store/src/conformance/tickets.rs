//! A ticket's story (`[tickets]`): asked for with its delivery in the opening's commit (the
//! delivery's id is the ticket's), then opened with the tracker's number and page, then closed:
//! each step reads back the same on every backend.

use tocsin_core::decide::{Input, Situation, decide};
use tocsin_core::policy::TicketRule;
use tocsin_core::ticket_record::TicketState;

use super::Backend;
use super::fixtures::{ctx, firing, policy, t};
use crate::Commit;

/// A SEV-1 of a policy that tickets it: the ticket row and its `tickets` delivery are committed
/// with the incident, and the tracker's answer and closing are written over it.
pub async fn a_ticket_is_queued_with_its_incident_then_opened_and_closed(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let mut policy = policy();
    policy.tickets = Some(TicketRule {
        severities: vec!["SEV-1".into()],
    });
    let opened = decide(
        &policy,
        &Situation::default(),
        Input::Signal(firing("ticketed", t(0))),
        &ctx(t(0)),
    )
    .expect("decided");
    let incident = opened.incident.clone().expect("an incident");
    store
        .commit(Commit {
            now: t(0),
            decision: opened,
            ..Commit::default()
        })
        .await
        .expect("commit");

    let tickets = store.tickets(&incident.id).await.expect("tickets");
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let ticket = tickets[0].clone();
    assert_eq!(ticket.state, TicketState::Requested);
    assert_eq!(ticket.item, None);
    let deliveries = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    // The severity's channel is still told; nobody is paged.
    assert!(
        deliveries.iter().all(|d| d.recipient.is_none()),
        "no page: {deliveries:?}"
    );
    let queued: Vec<_> = deliveries
        .iter()
        .filter(|d| d.channel == tocsin_core::tickets::CHANNEL)
        .collect();
    assert_eq!(queued.len(), 1, "{deliveries:?}");
    assert_eq!(queued[0].id, ticket.id);

    let answered = tocsin_core::ticket_record::Ticket {
        number: Some(7),
        url: Some("https://github.com/o/r/issues/7".into()),
        ..ticket.clone()
    };
    let situation = Situation {
        incident: Some(incident.clone()),
        ..Situation::default()
    };
    let commit_input = |input: Input| {
        let decision = decide(&policy, &situation, input, &ctx(t(60))).expect("decided");
        Commit {
            now: t(60),
            decision,
            ..Commit::default()
        }
    };
    store
        .commit(commit_input(Input::TicketOpened(Box::new(answered))))
        .await
        .expect("commit");
    let open = store
        .ticket_by_number(7)
        .await
        .expect("by number")
        .expect("found");
    assert_eq!(open.id, ticket.id);
    assert_eq!(open.state, TicketState::Open);
    assert_eq!(open.url.as_deref(), Some("https://github.com/o/r/issues/7"));
    store
        .commit(commit_input(Input::TicketChanged {
            ticket: Box::new(open),
            closed: true,
            actor: "octocat".into(),
        }))
        .await
        .expect("commit");
    let closed = store.ticket(&ticket.id).await.expect("read").expect("kept");
    assert_eq!(closed.state, TicketState::Closed);
    assert_eq!(closed.closed_at, Some(t(60)));
    assert_eq!(closed.number, Some(7));
    let events = store.timeline(&incident.id).await.expect("timeline");
    let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    assert!(kinds.contains(&"ticket_opened"), "{kinds:?}");
    assert!(kinds.contains(&"ticket_closed"), "{kinds:?}");
    assert!(!kinds.contains(&"escalated"), "{kinds:?}");
    assert!(
        store
            .ticket_by_number(8)
            .await
            .expect("by number")
            .is_none()
    );
}
