//! Update reminders: a severity's `update_every` is a promise ("we'll update you within 30
//! minutes"). While an incident of that level is open, a durable `update_due` timer runs; when it
//! fires the owner is reminded through the team channels, and each posted update moves the next
//! reminder to the update's time plus `update_every`.

use jiff::Timestamp;

use crate::decide::{Ctx, Decision, Effect, Policy, Situation, TimerKind};
use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::notice::{Notice, NoticeEvent};

fn every(policy: &Policy, incident: &Incident) -> Option<std::time::Duration> {
    policy
        .severity(&incident.severity)
        .and_then(|rule| rule.update_every)
}

fn set(incident: &Incident, due_at: Timestamp) -> Effect {
    Effect::SetTimer {
        kind: TimerKind::UpdateDue,
        incident_id: incident.id.clone(),
        due_at,
    }
}

/// Stops the reminders (the incident resolved).
pub fn cancel(incident: &Incident) -> Effect {
    Effect::CancelTimers {
        kind: TimerKind::UpdateDue,
        incident_id: incident.id.clone(),
    }
}

/// The first reminder of an incident that just opened (or reopened) at `now`.
pub fn on_open(policy: &Policy, incident: &Incident, now: Timestamp) -> Vec<Effect> {
    every(policy, incident)
        .map(|every| vec![set(incident, crate::checklist::deadline(now, every))])
        .unwrap_or_default()
}

/// An update was posted at `now`: the next reminder is `update_every` after it.
pub fn on_update(policy: &Policy, situation: &Situation, now: Timestamp) -> Vec<Effect> {
    let Some(incident) = situation
        .incident
        .as_ref()
        .filter(|incident| incident.state.is_open())
    else {
        return Vec::new();
    };
    match every(policy, incident) {
        Some(every) => vec![
            cancel(incident),
            set(incident, crate::checklist::deadline(now, every)),
        ],
        None => Vec::new(),
    }
}

/// The reminder set for `due_at` fired: an `update_due` event, a notice to the severity's team
/// channels naming the owner, and the next reminder. A resolved incident changes nothing.
pub fn update_due(
    policy: &Policy,
    situation: &Situation,
    due_at: Timestamp,
    ctx: &Ctx,
) -> Decision {
    let Some(incident) = situation
        .incident
        .as_ref()
        .filter(|incident| incident.state.is_open())
    else {
        return Decision::default();
    };
    let (Some(rule), Some(every)) = (policy.severity(&incident.severity), every(policy, incident))
    else {
        return Decision::default();
    };
    let owner = crate::checklist::owner(policy, incident, ctx);
    let text = format!(
        "An update is due (every {}); reminded {}",
        crate::format_duration(every),
        owner.as_deref().unwrap_or("the channels")
    );
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::UpdateDue,
        actor: "tocsin".to_owned(),
        text: text.clone(),
        data: serde_json::json!({ "due_at": due_at, "owner": owner }),
    };
    let mut effects: Vec<Effect> = rule
        .notify
        .iter()
        .map(|channel| Effect::Notify {
            channel: channel.clone(),
            notice: Notice {
                event: NoticeEvent::UpdateDue,
                incident_id: incident.id.clone(),
                title: incident.title.clone(),
                severity: incident.severity.clone(),
                category: incident.category.clone(),
                component: incident.component.clone(),
                summary: Some(text.clone()),
                opened_at: incident.opened_at,
                runbook: incident.runbook.clone(),
                actor: owner.clone(),
            },
        })
        .collect();
    // The cadence keeps its rhythm from the missed deadline, not from when the timer ran.
    let next = crate::checklist::deadline(due_at, every).max(ctx.now);
    effects.push(set(incident, next));
    Decision {
        incident: None,
        alerts: vec![],
        events: vec![event],
        effects,
    }
}
