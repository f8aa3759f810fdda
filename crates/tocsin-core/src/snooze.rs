//! Snoozing an acknowledged incident until a time: its reminders are held meanwhile, and when
//! the time comes, if it is still open, it is un-acknowledged and its escalation pages again
//! from the first step. Resolving (or merging) ends the snooze.

use jiff::{SignedDuration, Timestamp};

use crate::decision::{Ctx, Decision, Effect, Refusal, Situation, TimerKind};
use crate::incident::{EventKind, Incident, IncidentState, TimelineEvent};
use crate::policy::Policy;

/// The longest snooze: past a week, an incident wants resolving, not snoozing.
pub const LONGEST: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Whether the incident's reminders are held at `now`.
pub fn holds(incident: &Incident, now: Timestamp) -> bool {
    incident.snoozed_until.is_some_and(|until| now < until)
}

/// What ends a snooze when the incident resolves: the timer goes (the caller clears the field).
pub fn cancel(incident: &Incident) -> Effect {
    Effect::CancelTimers {
        kind: TimerKind::SnoozeEnds,
        incident_id: incident.id.clone(),
    }
}

/// `Input::Snooze`: only an acknowledged, open incident; `until` after now and within a week.
/// Snoozing again moves the time.
pub fn snooze(
    situation: &Situation,
    actor: String,
    until: Timestamp,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    if incident.merged_into.is_some() {
        return Err(Refusal::State {
            state: "merged",
            action: "snoozing it",
        });
    }
    match incident.state {
        IncidentState::Acknowledged => {}
        IncidentState::Triggered => {
            return Err(Refusal::State {
                state: "triggered",
                action: "snoozing it before someone acknowledges it",
            });
        }
        IncidentState::Resolved => {
            return Err(Refusal::State {
                state: "resolved",
                action: "snoozing it",
            });
        }
    }
    if until <= ctx.now {
        return Err(Refusal::Invalid(format!(
            "`until` ({until}) is not in the future"
        )));
    }
    if until.duration_since(ctx.now) > LONGEST {
        return Err(Refusal::Invalid(format!(
            "`until` ({until}) is more than 7 days away; snooze for at most a week"
        )));
    }
    let mut incident = incident.clone();
    let before = incident.snoozed_until.replace(until);
    let text = match before {
        Some(before) if before > ctx.now => {
            format!("Snoozed by {actor} until {until} (was until {before})")
        }
        _ => format!("Snoozed by {actor} until {until}"),
    };
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::Snoozed,
        actor,
        text,
        data: serde_json::json!({ "until": until }),
    };
    Ok(Decision {
        effects: vec![
            cancel(&incident),
            Effect::SetTimer {
                kind: TimerKind::SnoozeEnds,
                incident_id: incident.id.clone(),
                due_at: until,
            },
        ],
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
    })
}

/// The snooze set for `due_at` ended: if the incident is still open, acknowledged and snoozed
/// until then, it is un-acknowledged (a new response target) and paged from the ladder's first
/// step. A stale timer (resolved, re-snoozed, merged) changes nothing.
pub fn ended(policy: &Policy, situation: &Situation, due_at: Timestamp, ctx: &Ctx) -> Decision {
    let Some(incident) = situation.incident.as_ref() else {
        return Decision::default();
    };
    if incident.state != IncidentState::Acknowledged
        || incident.snoozed_until != Some(due_at)
        || ctx.now < due_at
    {
        return Decision::default();
    }
    let mut incident = incident.clone();
    let was = incident.acknowledged_by.take();
    incident.state = IncidentState::Triggered;
    incident.acknowledged_at = None;
    incident.snoozed_until = None;
    let mut effects = Vec::new();
    if let Some(rule) = policy.severity(&incident.severity) {
        let within = SignedDuration::try_from(rule.respond_within).unwrap_or(SignedDuration::MAX);
        incident.respond_by = ctx.now.saturating_add(within).unwrap_or(ctx.now);
        effects.push(Effect::SetTimer {
            kind: TimerKind::ResponseDue,
            incident_id: incident.id.clone(),
            due_at: incident.respond_by,
        });
    }
    let mut events = vec![TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::SnoozeEnded,
        actor: "tocsin".to_owned(),
        text: format!(
            "The snooze ended and it is still open: no longer acknowledged{}; paging again from the first step",
            was.as_deref()
                .map(|person| format!(" by {person}"))
                .unwrap_or_default()
        ),
        data: serde_json::json!({ "until": due_at, "acknowledged_by": was }),
    }];
    let paging = crate::escalation::start(policy, &mut incident, ctx);
    events.extend(paging.events);
    effects.extend(paging.effects);
    Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    }
}
