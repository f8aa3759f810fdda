//! Tickets instead of pages (`[tickets]`): which severities open a ticket rather than paging
//! anyone, the ticket an incident or a post-mortem action item gets (a durable outbox delivery on
//! the [`CHANNEL`] channel, committed with the decision), and a ticket opened, closed or reopened
//! as a decision with its timeline event. Pure: the shell talks to GitHub or the webhook.

use crate::decision::{Ctx, Decision, Effect, Refusal};
use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::notice::{Notice, NoticeEvent};
use crate::policy::Policy;
pub use crate::ticket_record::{Ticket, TicketState};

/// The outbox's channel for ticket deliveries: a delivery on it opens the ticket whose id is the
/// delivery's id. Not a configurable channel id (those are checked against `[[channel]]`).
pub const CHANNEL: &str = "tickets";

/// The one rule: incidents of this severity open a ticket instead of paging
/// (`[tickets] severities`). Kept apart from the severity's own paging rule on purpose: the
/// ladder is not started when this holds, whatever the severity says otherwise.
pub fn instead_of_paging(policy: &Policy, severity: &str) -> bool {
    policy
        .tickets
        .as_ref()
        .is_some_and(|rule| rule.severities.iter().any(|s| s == severity))
}

/// The incident's own ticket, asked for when it opens instead of paging: a timeline line saying
/// nobody is paged, and the ticket (queued for delivery in the same commit).
pub fn open_instead_of_paging(incident: &mut Incident, ctx: &Ctx) -> (TimelineEvent, Effect) {
    incident.escalation = None;
    incident.escalation_due_at = None;
    let ticket = Ticket {
        id: format!("{}-ticket", incident.id),
        incident_id: incident.id.clone(),
        item: None,
        title: format!("[{}] {}", incident.severity, incident.title),
        number: None,
        url: None,
        state: TicketState::Requested,
        created_at: ctx.now,
        closed_at: None,
    };
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::Note,
        actor: "tocsin".to_owned(),
        text: format!(
            "{} opens a ticket instead of paging anyone",
            incident.severity
        ),
        data: serde_json::json!({ "ticket": ticket.id }),
    };
    let effect = Effect::OpenTicket {
        notice: Notice::about(incident, NoticeEvent::Opened),
        ticket: Box::new(ticket),
    };
    (event, effect)
}

/// Tickets for a published post-mortem's action items that have none yet (`items`, their
/// texts), when `[tickets]` is configured: one each, numbered after the decision's fresh id.
pub fn for_action_items(
    policy: &Policy,
    incident: &Incident,
    items: &[String],
    ctx: &Ctx,
) -> (Vec<TimelineEvent>, Vec<Effect>) {
    if policy.tickets.is_none() || items.is_empty() {
        return (vec![], vec![]);
    }
    let mut events = Vec::new();
    let mut effects = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let ticket = Ticket {
            id: format!("{}-t{}", ctx.new_comms_id, n + 1),
            incident_id: incident.id.clone(),
            item: Some(item.clone()),
            title: crate::postmortem::one_line(item),
            number: None,
            url: None,
            state: TicketState::Requested,
            created_at: ctx.now,
            closed_at: None,
        };
        events.push(TimelineEvent {
            incident_id: incident.id.clone(),
            at: ctx.now,
            kind: EventKind::Note,
            actor: "tocsin".to_owned(),
            text: format!("Opening a ticket for the action item: {}", ticket.title),
            data: serde_json::json!({ "ticket": ticket.id }),
        });
        effects.push(Effect::OpenTicket {
            notice: Notice::about(incident, NoticeEvent::Opened),
            ticket: Box::new(ticket),
        });
    }
    (events, effects)
}

/// The tracker answered: the ticket is open with its number and page.
pub fn opened(ticket: Ticket, ctx: &Ctx) -> Decision {
    let text = match &ticket.item {
        None => format!(
            "Ticket {} opened: {}",
            ticket.label(),
            ticket.url.as_deref().unwrap_or("")
        ),
        Some(item) => format!(
            "Ticket {} opened for the action item \"{}\": {}",
            ticket.label(),
            crate::postmortem::one_line(item),
            ticket.url.as_deref().unwrap_or("")
        ),
    };
    let event = TimelineEvent {
        incident_id: ticket.incident_id.clone(),
        at: ctx.now,
        kind: EventKind::TicketOpened,
        actor: "tocsin".to_owned(),
        text: text.trim_end_matches([':', ' ']).to_owned(),
        data: data(&ticket),
    };
    let ticket = Ticket {
        state: TicketState::Open,
        ..ticket
    };
    Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects: vec![Effect::RecordTicket(Box::new(ticket))],
    }
}

/// The tracker says the ticket was closed (`closed`) or reopened: its state and a timeline line.
/// The same state again is refused, so a repeated hook changes nothing.
pub fn changed(ticket: &Ticket, closed: bool, actor: &str, ctx: &Ctx) -> Result<Decision, Refusal> {
    let already = match ticket.state {
        TicketState::Closed => closed,
        TicketState::Open | TicketState::Requested => !closed,
    };
    if already {
        return Err(Refusal::Invalid(format!(
            "ticket {} is already {}",
            ticket.label(),
            if closed { "closed" } else { "open" }
        )));
    }
    let mut ticket = ticket.clone();
    let (kind, verb) = if closed {
        ticket.state = TicketState::Closed;
        ticket.closed_at = Some(ctx.now);
        (EventKind::TicketClosed, "closed")
    } else {
        ticket.state = TicketState::Open;
        ticket.closed_at = None;
        (EventKind::TicketReopened, "reopened")
    };
    let what = match &ticket.item {
        None => format!("Ticket {} {verb}", ticket.label()),
        Some(item) => format!(
            "Ticket {} of the action item \"{}\" {verb}",
            ticket.label(),
            crate::postmortem::one_line(item)
        ),
    };
    let event = TimelineEvent {
        incident_id: ticket.incident_id.clone(),
        at: ctx.now,
        kind,
        actor: actor.to_owned(),
        text: format!("{what} by {actor}"),
        data: data(&ticket),
    };
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects: vec![Effect::RecordTicket(Box::new(ticket))],
    })
}

fn data(ticket: &Ticket) -> serde_json::Value {
    serde_json::json!({
        "ticket": ticket.id,
        "number": ticket.number,
        "url": ticket.url,
        "item": ticket.item,
    })
}

/// An action item's text without the ticket link tocsin wrote after it (` [#12](url)`), and
/// that link's URL.
pub fn split_link(text: &str) -> (&str, Option<&str>) {
    let trimmed = text.trim_end();
    if let Some(open) = trimmed.rfind(" [#")
        && let Some(rest) = trimmed[open + 3..].strip_suffix(')')
        && let Some((number, url)) = rest.split_once("](")
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && !url.contains(char::is_whitespace)
    {
        return (trimmed[..open].trim_end(), Some(url));
    }
    (trimmed, None)
}

/// The post-mortem's text with `ticket`'s link written after its action item (the first
/// checklist line whose text is the item's and has no link yet); `None` when no line matches.
pub fn write_link(markdown: &str, ticket: &Ticket) -> Option<String> {
    let item = ticket.item.as_deref()?;
    let (number, url) = (ticket.number?, ticket.url.as_deref()?);
    let mut done = false;
    let mut out = String::with_capacity(markdown.len() + url.len() + 16);
    for line in markdown.split_inclusive('\n') {
        if !done && let Some(linked) = link_line(line, item, number, url) {
            out.push_str(&linked);
            done = true;
        } else {
            out.push_str(line);
        }
    }
    done.then_some(out)
}

/// `line` with the link after its item text, when it is the unlinked checklist line of `item`.
fn link_line(line: &str, item: &str, number: i64, url: &str) -> Option<String> {
    let parsed = crate::postmortem::action_items(line);
    let found = parsed.first()?;
    let (text, link) = split_link(&found.text);
    if link.is_some() || text != item.trim() {
        return None;
    }
    // The fields (owner, due) follow the text after ` — `: the link goes before them.
    let start = line.find(text)?;
    let end = start + text.len();
    Some(format!(
        "{} [#{number}]({url}){}",
        &line[..end],
        &line[end..]
    ))
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    fn ticket(item: &str) -> Ticket {
        Ticket {
            id: "t1".into(),
            incident_id: "i1".into(),
            item: Some(item.into()),
            title: item.into(),
            number: Some(12),
            url: Some("https://github.com/o/r/issues/12".into()),
            state: TicketState::Open,
            created_at: Timestamp::UNIX_EPOCH,
            closed_at: None,
        }
    }

    #[test]
    fn the_link_goes_after_the_item_and_reads_back_off_it() {
        let text = "# PM\n\n- [ ] Add an index — owner: Omar, due: 2026-12-01\n- [ ] Other\n";
        let linked = write_link(text, &ticket("Add an index")).expect("matched");
        assert_eq!(
            linked,
            "# PM\n\n- [ ] Add an index [#12](https://github.com/o/r/issues/12) — owner: Omar, due: 2026-12-01\n- [ ] Other\n"
        );
        let items = crate::postmortem::action_items(&linked);
        assert_eq!(
            split_link(&items[0].text),
            ("Add an index", Some("https://github.com/o/r/issues/12"))
        );
        assert_eq!(items[0].owner.as_deref(), Some("Omar"));
        // Written once: a second link is not added.
        assert_eq!(write_link(&linked, &ticket("Add an index")), None);
        assert_eq!(split_link("Plain [#x](u)"), ("Plain [#x](u)", None));
    }

    #[test]
    fn closing_twice_is_refused_and_reopening_says_so() {
        let ctx = Ctx {
            now: Timestamp::UNIX_EPOCH,
            new_incident_id: "n".into(),
            new_alert_id: "a".into(),
            on_call: Default::default(),
            new_comms_id: "c".into(),
            quiet: Default::default(),
        };
        let open = ticket("x");
        let closed = changed(&open, true, "octocat", &ctx).expect("closes");
        assert_eq!(closed.events[0].kind, EventKind::TicketClosed);
        let Effect::RecordTicket(record) = &closed.effects[0] else {
            panic!("records the ticket");
        };
        assert_eq!(record.state, TicketState::Closed);
        assert!(changed(record, true, "octocat", &ctx).is_err());
        let reopened = changed(record, false, "octocat", &ctx).expect("reopens");
        assert_eq!(reopened.events[0].kind, EventKind::TicketReopened);
    }
}
