//! Channels that follow an incident in one message (a Slack app's, `Policy::live_channels`):
//! besides the opening, the resolution and the overdue response every channel of a severity's
//! `notify` is told, they are told of each acknowledgement and severity change (the message is
//! redrawn) and get the timeline's lines people care about as replies in the message's thread.

use crate::decision::{Decision, Effect};
use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::notice::{Notice, NoticeEvent};
use crate::policy::Policy;

/// The timeline's lines a following channel gets as thread replies. Alerts joining and
/// deliveries are left out: a storm of alerts must not become a storm of chat messages, and a
/// delivery's own line would answer itself.
fn replied(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Acknowledged
            | EventKind::SeverityChanged
            | EventKind::Note
            | EventKind::Update
            | EventKind::Resolved
            | EventKind::Reopened
            | EventKind::Escalated
            | EventKind::ActionRequested
            | EventKind::ActionSucceeded
            | EventKind::ActionFailed
            | EventKind::PostmortemPublished
    )
}

/// The notices the following channels get for `decision`, made against `before` (the incident
/// as it was; `None` when the decision opens it). A channel follows an incident when its
/// severity's `notify` names it, before or after the decision.
pub fn follow(policy: &Policy, before: Option<&Incident>, decision: &Decision) -> Vec<Effect> {
    if policy.live_channels.is_empty() {
        return Vec::new();
    }
    let Some(incident) = decision.incident.as_ref().or(before) else {
        return Vec::new();
    };
    let notified = |severity: &str| {
        policy
            .severity(severity)
            .map(|rule| rule.notify.clone())
            .unwrap_or_default()
    };
    let mut told = notified(&incident.severity);
    if let Some(before) = before {
        told.extend(notified(&before.severity));
    }
    let channels: Vec<&String> = policy
        .live_channels
        .iter()
        .filter(|channel| told.contains(channel))
        .collect();
    if channels.is_empty() {
        return Vec::new();
    }
    let mut effects = Vec::new();
    for event in decision
        .events
        .iter()
        .filter(|event| event.incident_id == incident.id)
    {
        let redraw = match event.kind {
            EventKind::Acknowledged => Some(NoticeEvent::Acknowledged),
            EventKind::SeverityChanged => Some(NoticeEvent::SeverityChanged),
            _ => None,
        };
        for channel in &channels {
            if let Some(what) = redraw {
                effects.push(notify(channel, incident, what, event, None));
            }
            if replied(event.kind) {
                effects.push(notify(
                    channel,
                    incident,
                    NoticeEvent::Timeline,
                    event,
                    Some(event.text.clone()),
                ));
            }
        }
    }
    effects
}

fn notify(
    channel: &str,
    incident: &Incident,
    what: NoticeEvent,
    event: &TimelineEvent,
    line: Option<String>,
) -> Effect {
    let about = Notice::about(incident, what);
    Effect::Notify {
        channel: channel.to_owned(),
        notice: Notice {
            actor: Some(event.actor.clone()),
            summary: line.or(about.summary.clone()),
            ..about
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::decide::{Ctx, Input, Situation, decide};
    use crate::incident::IncidentState;
    use crate::policy::SeverityRule;

    fn policy() -> Policy {
        let rule = |id: &str, notify: &[&str]| SeverityRule {
            id: id.into(),
            respond_within: Duration::from_secs(900),
            notify: notify.iter().map(|c| (*c).to_owned()).collect(),
            pages: false,
            update_every: None,
        };
        Policy {
            severities: vec![
                rule("SEV-1", &["slack-app", "hook"]),
                rule("SEV-3", &["hook"]),
            ],
            live_channels: vec!["slack-app".into()],
            ..Policy::default()
        }
    }

    fn ctx() -> Ctx {
        Ctx {
            now: "2026-11-26T10:00:00Z".parse().expect("time"),
            new_incident_id: "inc".into(),
            new_alert_id: "alert".into(),
            on_call: Default::default(),
            new_comms_id: "comms".into(),
            quiet: Default::default(),
        }
    }

    fn declared(severity: &str) -> Incident {
        let decision = decide(
            &policy(),
            &Situation::default(),
            Input::Declare(crate::decision::Declaration {
                title: "Checkout down".into(),
                severity: severity.into(),
                category: None,
                component: None,
                summary: None,
                actor: "sami".into(),
            }),
            &ctx(),
        )
        .expect("declared");
        decision.incident.expect("incident")
    }

    fn told(decision: &Decision) -> Vec<(String, NoticeEvent, Option<String>)> {
        decision
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Notify { channel, notice } => Some((
                    channel.clone(),
                    notice.event,
                    (notice.event == NoticeEvent::Timeline)
                        .then(|| notice.summary.clone())
                        .flatten(),
                )),
                _ => None,
            })
            .collect()
    }

    fn situation(incident: Incident) -> Situation {
        Situation {
            incident: Some(incident),
            ..Situation::default()
        }
    }

    #[test]
    fn an_acknowledgement_redraws_the_following_channel_and_replies_in_its_thread() {
        let incident = declared("SEV-1");
        let acked = decide(
            &policy(),
            &situation(incident),
            Input::Acknowledge {
                actor: "Sami".into(),
            },
            &ctx(),
        )
        .expect("acknowledged");
        assert_eq!(
            told(&acked),
            [
                ("slack-app".into(), NoticeEvent::Acknowledged, None),
                (
                    "slack-app".into(),
                    NoticeEvent::Timeline,
                    Some("Acknowledged by Sami".into())
                ),
            ]
        );
    }

    #[test]
    fn a_note_is_a_thread_reply_and_other_channels_hear_nothing_new() {
        let incident = declared("SEV-1");
        let noted = decide(
            &policy(),
            &situation(incident),
            Input::Note {
                actor: "Sami".into(),
                text: "Rolled back the deploy".into(),
            },
            &ctx(),
        )
        .expect("noted");
        assert_eq!(
            told(&noted),
            [(
                "slack-app".into(),
                NoticeEvent::Timeline,
                Some("Rolled back the deploy".into())
            )]
        );
    }

    #[test]
    fn a_severity_change_is_told_to_a_channel_that_follows_either_level() {
        let incident = declared("SEV-1");
        let lowered = decide(
            &policy(),
            &situation(incident),
            Input::ChangeSeverity {
                actor: "Sami".into(),
                severity: "SEV-3".into(),
            },
            &ctx(),
        )
        .expect("changed");
        let events: Vec<NoticeEvent> = told(&lowered).into_iter().map(|(_, e, _)| e).collect();
        assert_eq!(
            events,
            [NoticeEvent::SeverityChanged, NoticeEvent::Timeline]
        );
        let mut quiet = declared("SEV-3");
        quiet.state = IncidentState::Acknowledged;
        let noted = decide(
            &policy(),
            &situation(quiet),
            Input::Note {
                actor: "Sami".into(),
                text: "checking".into(),
            },
            &ctx(),
        )
        .expect("noted");
        assert!(told(&noted).is_empty(), "SEV-3 does not notify the app");
    }
}
