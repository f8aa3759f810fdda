//! Which customers are told what when an incident opens, reopens or resolves: one notice per
//! customer-facing channel of its severity, each from that event's own template, queued at once
//! or kept as a draft for a person to approve. The shell renders the texts; the choice is here.

use jiff::Timestamp;

use crate::decision::{Ctx, Effect};
use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::notice::{CommsEvent, CustomerComms};
use crate::policy::Policy;

/// The event as the timeline says it.
fn event_words(event: CommsEvent) -> &'static str {
    match event {
        CommsEvent::Opened => "opening",
        CommsEvent::Reopened => "reopening",
        CommsEvent::Resolved => "resolution",
    }
}

/// `comms_skipped`: why customers were told nothing about this event through `channel`.
pub fn skipped(
    incident_id: &str,
    at: Timestamp,
    channel: &str,
    event: CommsEvent,
    template: &str,
    text: String,
) -> TimelineEvent {
    TimelineEvent {
        incident_id: incident_id.to_owned(),
        at,
        kind: EventKind::CommsSkipped,
        actor: "tocsin".into(),
        text,
        data: serde_json::json!({ "channel": channel, "event": event.as_str(), "template": template }),
    }
}

/// `comms_skipped` for a template that exists but rendered no text in any locale (the shell
/// found out while rendering).
pub fn unrenderable(notice: &CustomerComms, at: Timestamp) -> TimelineEvent {
    skipped(
        &notice.incident_id,
        at,
        &notice.channel,
        notice.event,
        &notice.template,
        format!(
            "No customer notice for the {} through {}: template `{}` does not render (see the \
             log); customers were not told",
            event_words(notice.event),
            notice.channel,
            notice.template
        ),
    )
}

/// `comms_drafted`: a draft awaits a person's approval.
pub fn drafted(notice: &CustomerComms, at: Timestamp) -> TimelineEvent {
    TimelineEvent {
        incident_id: notice.incident_id.clone(),
        at,
        kind: EventKind::CommsDrafted,
        actor: "tocsin".into(),
        text: format!(
            "A customer notice for {} awaits approval; nothing was sent to customers",
            notice.channel
        ),
        data: serde_json::json!({ "draft": notice.id, "channel": notice.channel }),
    }
}

/// The customer notices `event` of `incident` calls for: a `CustomerComms` effect per
/// customer-facing channel of its severity whose template for the event exists (with a
/// `comms_drafted` event for each draft), and a `comms_skipped` event for each channel whose
/// template does not — customers are told nothing rather than the opening text again.
pub fn notices(
    policy: &Policy,
    incident: &Incident,
    event: CommsEvent,
    ctx: &Ctx,
) -> (Vec<TimelineEvent>, Vec<Effect>) {
    let rule = &policy.customer_comms;
    let Some(severity) = rule.by_severity.get(&incident.severity) else {
        return (Vec::new(), Vec::new());
    };
    let mut events = Vec::new();
    let mut notices = Vec::new();
    for channel in &severity.channels {
        let template = event.template_id(&channel.template);
        if !rule.templates.contains(&template) {
            events.push(skipped(
                &incident.id,
                ctx.now,
                &channel.id,
                event,
                &template,
                format!(
                    "No customer notice for the {} through {}: there is no template `{template}`, \
                     and the opening text is never sent again; customers were not told",
                    event_words(event),
                    channel.id
                ),
            ));
            continue;
        }
        notices.push(CustomerComms {
            id: format!("{}-{}", ctx.new_comms_id, notices.len().saturating_add(1)),
            incident_id: incident.id.clone(),
            channel: channel.id.clone(),
            event,
            template,
            audience: channel.audience.clone(),
            default_locale: rule.default_locale.clone(),
            texts: Default::default(),
            draft: severity.draft,
        });
    }
    events.extend(
        notices
            .iter()
            .filter(|notice| notice.draft)
            .map(|notice| drafted(notice, ctx.now)),
    );
    let effects = notices.into_iter().map(Effect::CustomerComms).collect();
    (events, effects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::IncidentState;
    use crate::policy::{CustomerChannel, CustomerCommsRule, SeverityComms};

    fn t() -> Timestamp {
        Timestamp::from_second(1_790_000_000).expect("valid timestamp")
    }

    fn ctx() -> Ctx {
        Ctx {
            now: t(),
            new_incident_id: "inc-1".into(),
            new_alert_id: "alert-1".into(),
            on_call: Default::default(),
            new_comms_id: "c".into(),
            quiet: Default::default(),
        }
    }

    fn incident(severity: &str) -> Incident {
        Incident {
            id: "inc-1".into(),
            title: "db down".into(),
            public_title: None,
            severity: severity.into(),
            state: IncidentState::Triggered,
            category: None,
            component: None,
            summary: None,
            runbook: None,
            source: "manual".into(),
            opened_at: t(),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            respond_by: t(),
            alert_count: 0,
            escalation: None,
            escalation_step: 0,
            escalation_round: 0,
            escalation_due_at: None,
            escalation_ladder: 0,
            roles: Default::default(),
            merged_into: None,
            snoozed_until: None,
            held_by: None,
            route_escalation: None,
        }
    }

    /// SEV-1 tells subscribers (`status`) and named customers (`affected`) at once; SEV-2 drafts
    /// for subscribers; templates exist for `status` (all three events) and `affected` (opening
    /// only).
    fn policy() -> Policy {
        let channel = |id: &str, audience: &str, template: &str| CustomerChannel {
            id: id.into(),
            audience: audience.into(),
            template: template.into(),
        };
        Policy {
            customer_comms: CustomerCommsRule {
                by_severity: [
                    (
                        "SEV-1".to_owned(),
                        SeverityComms {
                            draft: false,
                            channels: vec![
                                channel("status", "subscribers", "outage"),
                                channel("affected", "affected", "direct"),
                            ],
                        },
                    ),
                    (
                        "SEV-2".to_owned(),
                        SeverityComms {
                            draft: true,
                            channels: vec![channel("status", "subscribers", "outage")],
                        },
                    ),
                ]
                .into_iter()
                .collect(),
                templates: ["outage", "outage-reopened", "outage-resolved", "direct"]
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                default_locale: "en".into(),
            },
            ..Policy::default()
        }
    }

    /// (kind, channel) of every event, and (channel, template, draft) of every notice.
    #[allow(clippy::type_complexity)]
    fn told(
        severity: &str,
        event: CommsEvent,
    ) -> (Vec<(&'static str, String)>, Vec<(String, String, bool)>) {
        let (events, effects) = notices(&policy(), &incident(severity), event, &ctx());
        let events = events
            .iter()
            .map(|event| {
                (
                    event.kind.as_str(),
                    event.data["channel"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        let notices = effects
            .iter()
            .map(|effect| match effect {
                Effect::CustomerComms(notice) => {
                    assert!(notice.texts.is_empty(), "the shell renders the texts");
                    (
                        notice.channel.clone(),
                        notice.template.clone(),
                        notice.draft,
                    )
                }
                other => panic!("only customer notices, not {other:?}"),
            })
            .collect();
        (events, notices)
    }

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn each_event_uses_its_own_template_and_a_missing_one_is_skipped_never_the_opening_text() {
        use CommsEvent::*;
        let table = [
            (
                "SEV-1",
                Opened,
                vec![],
                vec![
                    (s("status"), s("outage"), false),
                    (s("affected"), s("direct"), false),
                ],
            ),
            (
                "SEV-1",
                Reopened,
                vec![("comms_skipped", s("affected"))],
                vec![(s("status"), s("outage-reopened"), false)],
            ),
            (
                "SEV-1",
                Resolved,
                vec![("comms_skipped", s("affected"))],
                vec![(s("status"), s("outage-resolved"), false)],
            ),
            (
                "SEV-2",
                Opened,
                vec![("comms_drafted", s("status"))],
                vec![(s("status"), s("outage"), true)],
            ),
            (
                "SEV-2",
                Resolved,
                vec![("comms_drafted", s("status"))],
                vec![(s("status"), s("outage-resolved"), true)],
            ),
            ("SEV-3", Opened, vec![], vec![]),
        ];
        for (severity, event, events, notices) in table {
            assert_eq!(
                told(severity, event),
                (events, notices),
                "{severity} {event:?}"
            );
        }
    }

    #[test]
    fn notices_of_one_decision_get_distinct_ids_and_drafts_name_theirs() {
        let (_, effects) = notices(&policy(), &incident("SEV-1"), CommsEvent::Opened, &ctx());
        let ids: Vec<&str> = effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::CustomerComms(notice) => Some(notice.id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, ["c-1", "c-2"]);
        let (events, effects) = notices(&policy(), &incident("SEV-2"), CommsEvent::Opened, &ctx());
        let Some(Effect::CustomerComms(draft)) = effects.first() else {
            panic!("a draft: {effects:?}");
        };
        assert_eq!(events[0].data["draft"], draft.id.as_str());
        assert_eq!(draft.audience, "subscribers");
        assert_eq!(draft.default_locale, "en");
    }
}
