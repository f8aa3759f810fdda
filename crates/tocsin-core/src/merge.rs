//! Merging one incident into another: the merged one ends (its ladder, pages, snooze and timers
//! stop; no post-mortem, no customer notice: the response goes on in the target), its alerts
//! move to the target, and both timelines say so with a `merged` event. Nothing is deleted.

use crate::decision::{Ctx, Decision, Effect, Refusal, Situation, TimerKind};
use crate::incident::{AlertStatus, EventKind, Incident, IncidentState, TimelineEvent};

/// `Input::Merge`: `situation.incident` into `situation.target`.
pub fn merge(
    situation: &Situation,
    actor: String,
    into: &str,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let from = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    if from.id == into {
        return Err(Refusal::Invalid(
            "an incident cannot be merged into itself".into(),
        ));
    }
    let into = situation
        .target
        .as_ref()
        .filter(|target| target.id == into)
        .ok_or_else(|| Refusal::Invalid(format!("`into`: no incident with id `{into}`")))?;
    if let Some(earlier) = &from.merged_into {
        return Err(Refusal::Conflict(format!(
            "{} was already merged into {earlier}",
            from.id
        )));
    }
    if from.state == IncidentState::Resolved {
        return Err(Refusal::State {
            state: "resolved",
            action: "merging it",
        });
    }
    if let Some(further) = &into.merged_into {
        return Err(Refusal::Conflict(format!(
            "{} was itself merged into {further}; merge into that one",
            into.id
        )));
    }
    if into.state == IncidentState::Resolved {
        return Err(Refusal::Conflict(format!(
            "{} is resolved; merge into an open incident",
            into.id
        )));
    }
    let now = ctx.now;
    let mut ended = from.clone();
    ended.state = IncidentState::Resolved;
    ended.resolved_at = Some(now);
    ended.merged_into = Some(into.id.clone());
    ended.snoozed_until = None;
    let mut effects = Vec::new();
    for kind in [
        TimerKind::ResponseDue,
        TimerKind::UpdateDue,
        TimerKind::PhaseDue,
        TimerKind::SnoozeEnds,
    ] {
        effects.push(Effect::CancelTimers {
            kind,
            incident_id: ended.id.clone(),
        });
    }
    // The ladder stops and its unsent pages are withdrawn.
    effects.extend(crate::escalation::stop(&mut ended));
    let mut target = into.clone();
    let firing = situation
        .alerts
        .iter()
        .filter(|alert| alert.status == AlertStatus::Firing)
        .count();
    target.alert_count = target
        .alert_count
        .saturating_add(u32::try_from(situation.alerts.len()).unwrap_or(u32::MAX));
    effects.push(Effect::MoveAlerts {
        from: ended.id.clone(),
        into: target.id.clone(),
    });
    let events = vec![
        merged_event(
            &ended,
            &actor,
            format!("Merged into {} by {actor}", target.id),
            serde_json::json!({ "into": target.id }),
            ctx,
        ),
        merged_event(
            &target,
            &actor,
            format!(
                "{} merged in by {actor}: “{}”, {} alert{} ({firing} firing)",
                ended.id,
                ended.title,
                situation.alerts.len(),
                if situation.alerts.len() == 1 { "" } else { "s" }
            ),
            serde_json::json!({ "from": ended.id, "alerts": situation.alerts.len(), "firing": firing }),
            ctx,
        ),
    ];
    effects.push(Effect::WriteIncident(Box::new(target)));
    Ok(Decision {
        incident: Some(ended),
        alerts: vec![],
        alerts_end_at: None,
        events,
        effects,
    })
}

fn merged_event(
    incident: &Incident,
    actor: &str,
    text: String,
    data: serde_json::Value,
    ctx: &Ctx,
) -> TimelineEvent {
    TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::Merged,
        actor: actor.to_owned(),
        text,
        data,
    }
}
