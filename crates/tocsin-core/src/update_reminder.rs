//! Update reminders: a severity's `update_every` is a promise ("we'll update you within 30
//! minutes"). While an incident of that level is open, a durable `update_due` timer runs; when it
//! fires the owner is reminded through the team channels, and each posted update moves the next
//! reminder to the update's time plus `update_every`.

use jiff::Timestamp;

use crate::decision::{Ctx, Decision, Effect, Situation, TimerKind};
use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::notice::{Notice, NoticeEvent};
use crate::policy::Policy;

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
    // A snoozed incident's reminders are held; the cadence goes on for after the snooze.
    if crate::snooze::holds(incident, ctx.now) {
        let mut next = crate::checklist::deadline(due_at, every);
        if next <= ctx.now {
            next = crate::checklist::deadline(ctx.now, every);
        }
        return Decision {
            effects: vec![set(incident, next)],
            ..Decision::default()
        };
    }
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
                summary: Some(text.clone()),
                actor: owner.clone(),
                ..Notice::about(incident, NoticeEvent::UpdateDue)
            },
        })
        .collect();
    // The cadence keeps its rhythm from the deadline, not from when the timer ran; after a long
    // outage (that deadline long past) it restarts from now rather than firing again at once.
    let mut next = crate::checklist::deadline(due_at, every);
    if next <= ctx.now {
        next = crate::checklist::deadline(ctx.now, every);
    }
    effects.push(set(incident, next));
    Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::decide::decide;
    use crate::decision::{Declaration, Input};
    use crate::policy::SeverityRule;

    fn t(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + minutes * 60).expect("valid timestamp")
    }

    fn ctx(now: Timestamp) -> Ctx {
        Ctx {
            now,
            new_incident_id: "inc-1".into(),
            new_alert_id: "alert-1".into(),
            on_call: Default::default(),
            new_comms_id: "comms-1".into(),
            quiet: Default::default(),
        }
    }

    fn policy() -> Policy {
        Policy {
            severities: vec![SeverityRule {
                id: "SEV-1".into(),
                respond_within: Duration::from_secs(900),
                notify: vec!["slack".into()],
                pages: false,
                update_every: Some(Duration::from_secs(1800)),
            }],
            ..Policy::default()
        }
    }

    fn timers(decision: &Decision) -> Vec<Timestamp> {
        decision
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::SetTimer {
                    kind: TimerKind::UpdateDue,
                    due_at,
                    ..
                } => Some(*due_at),
                _ => None,
            })
            .collect()
    }

    fn opened() -> (Decision, Situation) {
        let declaration = Declaration {
            title: "Checkout down".into(),
            severity: "SEV-1".into(),
            category: None,
            component: None,
            summary: None,
            actor: "sara".into(),
        };
        let decision = decide(
            &policy(),
            &Situation::default(),
            Input::Declare(declaration),
            &ctx(t(0)),
        )
        .expect("declared");
        let situation = Situation {
            incident: decision.incident.clone(),
            ..Situation::default()
        };
        (decision, situation)
    }

    #[test]
    fn opening_sets_the_first_reminder_and_a_late_firing_restarts_the_cadence_from_now() {
        let (decision, situation) = opened();
        assert_eq!(timers(&decision), [t(30)]);

        let on_time = update_due(&policy(), &situation, t(30), &ctx(t(30)));
        assert_eq!(on_time.events[0].kind, EventKind::UpdateDue);
        assert_eq!(timers(&on_time), [t(60)]);
        assert!(matches!(
            &on_time.effects[0],
            Effect::Notify { channel, notice } if channel == "slack" && notice.event == NoticeEvent::UpdateDue
        ));

        // Fired three hours late (tocsin was down): one reminder now, the next 30 minutes on.
        let late = update_due(&policy(), &situation, t(30), &ctx(t(210)));
        assert_eq!(late.events.len(), 1);
        assert_eq!(timers(&late), [t(240)]);
    }

    #[test]
    fn an_update_moves_the_reminder_and_a_resolved_incident_is_not_reminded() {
        let (_, situation) = opened();
        let update = Input::Update {
            actor: "sara".into(),
            text: "Rolling back".into(),
            public: false,
        };
        let posted = decide(&policy(), &situation, update, &ctx(t(40))).expect("update");
        assert!(
            posted
                .effects
                .contains(&cancel(situation.incident.as_ref().expect("incident")))
        );
        assert_eq!(timers(&posted), [t(70)]);

        let resolve = Input::Resolve {
            actor: "sara".into(),
        };
        let resolved = decide(&policy(), &situation, resolve, &ctx(t(50))).expect("resolve");
        assert!(
            resolved
                .effects
                .contains(&cancel(situation.incident.as_ref().expect("incident")))
        );
        let after = Situation {
            incident: resolved.incident.clone(),
            ..Situation::default()
        };
        assert_eq!(
            update_due(&policy(), &after, t(70), &ctx(t(70))),
            Decision::default()
        );
    }
}
