//! Escalation: which policy pages for an incident (its category's route), who each step pages
//! (schedules resolved to whoever is on call), and when the ladder moves on: a step's `after`
//! passing unanswered, or every page of the step failing for good. Pure: the on-call
//! roster at `now` comes in through the `Ctx`, and the output is effects.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::decision::{Ctx, Decision, Effect, Situation, TimerKind};
use crate::incident::{EventKind, Incident, IncidentState, TimelineEvent};
use crate::notice::{Notice, NoticeEvent};
use crate::policy::Policy;
pub use crate::policy::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};

/// The escalation policy for an incident's category: its own route, else the `*` route.
pub fn policy_for<'a>(policy: &'a Policy, category: Option<&str>) -> Option<&'a EscalationRule> {
    let route = category
        .and_then(|category| {
            policy
                .routes
                .iter()
                .find(|route| route.category == category)
        })
        .or_else(|| policy.routes.iter().find(|route| route.category == "*"))?;
    let id = route.escalation.as_deref()?;
    policy
        .escalations
        .iter()
        .find(|escalation| escalation.id == id)
}

/// The escalation policy for this incident: the one a label route chose when it opened, else
/// its category's route's.
pub fn policy_of<'a>(policy: &'a Policy, incident: &Incident) -> Option<&'a EscalationRule> {
    match incident.route_escalation.as_deref() {
        Some(id) => policy
            .escalations
            .iter()
            .find(|escalation| escalation.id == id),
        None => policy_for(policy, incident.category.as_deref()),
    }
}

fn after(now: Timestamp, duration: Duration) -> Timestamp {
    now.saturating_add(SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX))
        .unwrap_or(now)
}

/// The contacts a step pages at `ctx.now`, without repeats, in target order.
fn step_contacts(step: &StepRule, ctx: &Ctx) -> (Vec<String>, Vec<String>) {
    let mut contacts: Vec<String> = Vec::new();
    let mut unresolved = Vec::new();
    for target in &step.targets {
        let contact = match target {
            PageTarget::Contact(id) => Some(id.clone()),
            PageTarget::Schedule(id) => {
                let on_call = ctx.on_call.get(id).cloned();
                if on_call.is_none() {
                    unresolved.push(id.clone());
                }
                on_call
            }
        };
        if let Some(contact) = contact.filter(|c| !contacts.contains(c)) {
            contacts.push(contact);
        }
    }
    (contacts, unresolved)
}

/// What starting or moving the ladder produces.
#[derive(Debug, Default)]
pub struct Paging {
    pub events: Vec<TimelineEvent>,
    pub effects: Vec<Effect>,
}

/// Pages `step` of round `round` and sets the timer for the next step; updates the incident's
/// escalation position. `notice` is what each page says.
pub fn page_step(
    policy: &Policy,
    incident: &mut Incident,
    step: u32,
    round: u32,
    ctx: &Ctx,
    reason: &str,
) -> Paging {
    let mut paging = Paging::default();
    let Some(escalation) = incident
        .escalation
        .as_deref()
        .and_then(|id| policy.escalations.iter().find(|e| e.id == id))
    else {
        return paging;
    };
    let Some(rule) = escalation.steps.get(step as usize) else {
        return paging;
    };
    let (contacts, unresolved) = step_contacts(rule, ctx);
    let notice = Notice::about(incident, NoticeEvent::Opened);
    let mut described = Vec::new();
    for contact_id in &contacts {
        let Some(contact) = policy.contacts.iter().find(|c| &c.id == contact_id) else {
            continue;
        };
        for method in &contact.methods {
            paging.effects.push(Effect::Page {
                contact: contact.id.clone(),
                method: method.clone(),
                ladder: incident.escalation_ladder,
                step,
                round,
                notice: notice.clone(),
            });
        }
        described.push(format!("{} ({})", contact.name, contact.methods.join(", ")));
    }
    let mut text = format!(
        "{reason}: step {} of {} on `{}`{}: paging {}",
        step + 1,
        escalation.steps.len(),
        escalation.id,
        if round > 0 {
            format!(", repeat {round}")
        } else {
            String::new()
        },
        if described.is_empty() {
            "nobody".to_owned()
        } else {
            described.join(", ")
        },
    );
    if !unresolved.is_empty() {
        text.push_str(&format!("; nobody is on call in {}", unresolved.join(", ")));
    }
    paging.events.push(TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::Escalated,
        actor: "tocsin".to_owned(),
        text,
        data: serde_json::json!({ "escalation": escalation.id, "step": step, "round": round, "contacts": contacts }),
    });
    let due = after(ctx.now, rule.after);
    incident.escalation_step = step;
    incident.escalation_round = round;
    incident.escalation_due_at = Some(due);
    paging.effects.push(Effect::SetTimer {
        kind: TimerKind::Escalate,
        incident_id: incident.id.clone(),
        due_at: due,
    });
    paging
}

/// Starts the ladder for a (re)opened incident if its severity pages and a route names a policy;
/// otherwise says on the timeline that nobody is paged, and why.
pub fn start(policy: &Policy, incident: &mut Incident, ctx: &Ctx) -> Paging {
    let pages = policy
        .severity(&incident.severity)
        .is_some_and(|rule| rule.pages);
    let escalation = policy_of(policy, incident);
    let reason = match (pages, escalation) {
        (true, Some(escalation)) => {
            incident.escalation = Some(escalation.id.clone());
            incident.escalation_ladder = incident.escalation_ladder.saturating_add(1);
            return page_step(policy, incident, 0, 0, ctx, "Paging");
        }
        (false, _) => format!(
            "{} does not page anyone; its channels are told",
            incident.severity
        ),
        (true, None) => match incident.route_escalation.as_deref() {
            Some(id) => format!(
                "Nobody is paged: its label route's escalation policy `{id}` is no longer configured; its severity's channels are told"
            ),
            None => format!(
                "Nobody is paged: no route sends category `{}` to an escalation policy; its severity's channels are told",
                incident.category.as_deref().unwrap_or("none")
            ),
        },
    };
    incident.escalation = None;
    incident.escalation_due_at = None;
    Paging {
        events: vec![TimelineEvent {
            incident_id: incident.id.clone(),
            at: ctx.now,
            kind: EventKind::Note,
            actor: "tocsin".to_owned(),
            text: reason,
            data: serde_json::Value::Null,
        }],
        effects: vec![],
    }
}

/// Moves the ladder one step on (repeating the policy as configured), or says it is exhausted.
pub fn advance(policy: &Policy, incident: &mut Incident, ctx: &Ctx, reason: &str) -> Paging {
    let Some(escalation) = incident
        .escalation
        .as_deref()
        .and_then(|id| policy.escalations.iter().find(|e| e.id == id))
    else {
        return Paging::default();
    };
    let mut step = incident.escalation_step + 1;
    let mut round = incident.escalation_round;
    if step as usize >= escalation.steps.len() {
        if round >= escalation.repeat {
            incident.escalation_due_at = None;
            return Paging {
                events: vec![TimelineEvent {
                    incident_id: incident.id.clone(),
                    at: ctx.now,
                    kind: EventKind::Escalated,
                    actor: "tocsin".to_owned(),
                    text: format!(
                        "Nobody acknowledged; every step of `{}` has been paged",
                        escalation.id
                    ),
                    data: serde_json::json!({ "escalation": escalation.id, "exhausted": true }),
                }],
                effects: vec![],
            };
        }
        step = 0;
        round += 1;
    }
    page_step(policy, incident, step, round, ctx, reason)
}

/// Stops the ladder: no further step, and pages not yet delivered are withdrawn.
pub fn stop(incident: &mut Incident) -> Vec<Effect> {
    incident.escalation_due_at = None;
    vec![
        Effect::CancelTimers {
            kind: TimerKind::Escalate,
            incident_id: incident.id.clone(),
        },
        Effect::CancelPages {
            incident_id: incident.id.clone(),
        },
    ]
}

/// The contacts the ladder's current step pages at `ctx.now` (for reminders; pages nobody).
pub fn current_contacts(policy: &Policy, incident: &Incident, ctx: &Ctx) -> Vec<String> {
    incident
        .escalation
        .as_deref()
        .and_then(|id| policy.escalations.iter().find(|e| e.id == id))
        .and_then(|escalation| escalation.steps.get(incident.escalation_step as usize))
        .map(|step| step_contacts(step, ctx).0)
        .unwrap_or_default()
}

/// A page failed for good. When every page of the ladder's current step has (`situation.pages`:
/// no attempt left on any of them), nobody at that step can be reached, so the ladder moves on
/// now instead of waiting the step's `after`, and the timeline says why. Nothing happens while
/// a page of the step is still pending or was sent, when the step paged nobody, or when the
/// ladder is not running (acknowledged, resolved, exhausted).
pub fn page_failed(policy: &Policy, situation: &Situation, ctx: &Ctx) -> Decision {
    let Some(incident) = situation.incident.as_ref() else {
        return Decision::default();
    };
    let pages = &situation.pages;
    if incident.state != IncidentState::Triggered
        || incident.escalation_due_at.is_none()
        || pages.is_empty()
        || !pages.iter().all(|page| page.failed)
    {
        return Decision::default();
    }
    let Some(escalation) = incident
        .escalation
        .as_deref()
        .and_then(|id| policy.escalations.iter().find(|e| e.id == id))
    else {
        return Decision::default();
    };
    let name = |id: &str| {
        policy
            .contacts
            .iter()
            .find(|contact| contact.id == id)
            .map_or_else(|| id.to_owned(), |contact| contact.name.clone())
    };
    let failures: Vec<String> = pages
        .iter()
        .map(|page| match &page.error {
            Some(error) => format!("{} by {}: {error}", name(&page.contact), page.method),
            None => format!("{} by {}", name(&page.contact), page.method),
        })
        .collect();
    let waited = escalation
        .steps
        .get(incident.escalation_step as usize)
        .map(|step| format!(" {}", crate::format_duration(step.after)))
        .unwrap_or_default();
    let mut contacts: Vec<&str> = pages.iter().map(|page| page.contact.as_str()).collect();
    contacts.dedup();
    let why = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::Escalated,
        actor: "tocsin".to_owned(),
        text: format!(
            "Nobody at step {} of `{}` can be reached: every page failed for good ({}); moving on without waiting{waited}",
            incident.escalation_step + 1,
            escalation.id,
            failures.join("; "),
        ),
        data: serde_json::json!({
            "escalation": escalation.id,
            "step": incident.escalation_step,
            "round": incident.escalation_round,
            "unreachable": contacts,
        }),
    };
    let mut incident = incident.clone();
    // The step's own timer would only find the ladder moved on; it goes with this decision.
    let mut effects = vec![Effect::CancelTimers {
        kind: TimerKind::Escalate,
        incident_id: incident.id.clone(),
    }];
    let paging = advance(policy, &mut incident, ctx, "Nobody reachable");
    effects.extend(paging.effects);
    let mut events = vec![why];
    events.extend(paging.events);
    Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    }
}
