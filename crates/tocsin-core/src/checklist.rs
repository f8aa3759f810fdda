//! Runbook checklists during an incident: the phase timers of a new incident, the ticks folded
//! from the timeline, and the two decisions about them (a tick, a phase falling due). The
//! checklist itself (parsed from the runbook's markdown) is in [`crate::runbook`].

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

pub use crate::decision::Tick;
use crate::decision::{Ctx, Decision, Effect, Refusal, Situation, TimerKind};
use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::notice::{Notice, NoticeEvent};
use crate::policy::Policy;
pub use crate::runbook::{Checklist, ChecklistItem, RunbookPolicy, Section, parse, phase_deadline};

/// When each phase of a checklist is due for an incident opened at `opened_at`.
pub fn deadline(opened_at: Timestamp, within: Duration) -> Timestamp {
    opened_at
        .saturating_add(SignedDuration::try_from(within).unwrap_or(SignedDuration::MAX))
        .unwrap_or(opened_at)
}

/// The phase timers of a freshly opened incident: one per distinct deadline.
pub fn phase_timers(policy: &Policy, incident: &Incident) -> Vec<Effect> {
    let Some(checklist) = incident
        .runbook
        .as_deref()
        .and_then(|id| policy.runbooks.checklists.get(id))
    else {
        return Vec::new();
    };
    let mut due: Vec<Timestamp> = checklist
        .phases()
        .map(|(_, _, within)| deadline(incident.opened_at, within))
        .collect();
    due.sort();
    due.dedup();
    due.into_iter()
        .map(|due_at| Effect::SetTimer {
            kind: TimerKind::PhaseDue,
            incident_id: incident.id.clone(),
            due_at,
        })
        .collect()
}

/// Folds `checklist_ticked` events (oldest first) into each item's latest state.
pub fn ticks<'a>(events: impl IntoIterator<Item = &'a TimelineEvent>) -> BTreeMap<String, Tick> {
    let mut state = BTreeMap::new();
    for event in events {
        if event.kind != EventKind::ChecklistTicked {
            continue;
        }
        let (Some(item), Some(done)) = (
            event.data.get("item").and_then(|v| v.as_str()),
            event.data.get("done").and_then(serde_json::Value::as_bool),
        ) else {
            continue;
        };
        state.insert(
            item.to_owned(),
            Tick {
                done,
                by: event.actor.clone(),
                at: event.at,
            },
        );
    }
    state
}

/// A person ticks (or unticks) an item. Ticking a ticked item changes nothing.
pub fn tick(
    policy: &Policy,
    situation: &Situation,
    actor: String,
    item: &str,
    done: bool,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let runbook = incident
        .runbook
        .as_deref()
        .ok_or_else(|| Refusal::Invalid("this incident has no runbook".into()))?;
    let checklist = policy
        .runbooks
        .checklists
        .get(runbook)
        .ok_or_else(|| Refusal::Invalid(format!("runbook `{runbook}` is not configured")))?;
    let entry = checklist.item(item).ok_or_else(|| {
        Refusal::Invalid(format!(
            "runbook `{runbook}` has no checklist item `{item}`"
        ))
    })?;
    let was = situation.checklist.get(item).is_some_and(|tick| tick.done);
    if was == done {
        return Ok(Decision::default());
    }
    let verb = if done { "Ticked" } else { "Unticked" };
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::ChecklistTicked,
        actor: actor.clone(),
        text: format!("{verb} by {actor}: {}", plain_text(&entry.text)),
        data: serde_json::json!({ "item": entry.id, "done": done, "runbook": runbook }),
    };
    Ok(Decision {
        incident: None,
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects: vec![],
    })
}

/// A phase timer fired: each phase due at `due_at` with items still open writes
/// `phase_overdue` and reminds the incident's owner through the severity's channels. A
/// resolved incident, or a phase whose items are all ticked, changes nothing.
pub fn phase_due(policy: &Policy, situation: &Situation, due_at: Timestamp, ctx: &Ctx) -> Decision {
    let Some(incident) = situation
        .incident
        .as_ref()
        .filter(|incident| incident.state.is_open())
    else {
        return Decision::default();
    };
    // A snoozed incident's reminders are held.
    if crate::snooze::holds(incident, ctx.now) {
        return Decision::default();
    }
    let Some(runbook) = incident.runbook.as_deref() else {
        return Decision::default();
    };
    let Some(checklist) = policy.runbooks.checklists.get(runbook) else {
        return Decision::default();
    };
    let owner = owner(policy, incident, ctx);
    let mut decision = Decision::default();
    for (index, section, within) in checklist.phases() {
        if deadline(incident.opened_at, within) != due_at {
            continue;
        }
        let open: Vec<&str> = section
            .items
            .iter()
            .filter(|item| !situation.checklist.get(&item.id).is_some_and(|t| t.done))
            .map(|item| item.id.as_str())
            .collect();
        if open.is_empty() {
            continue;
        }
        let text = format!(
            "Phase \"{}\" is overdue: {} of {} items open; reminded {}",
            section.title,
            open.len(),
            section.items.len(),
            owner.as_deref().unwrap_or("the channels")
        );
        decision.events.push(TimelineEvent {
            incident_id: incident.id.clone(),
            at: ctx.now,
            kind: EventKind::PhaseOverdue,
            actor: "tocsin".to_owned(),
            text: text.clone(),
            data: serde_json::json!({
                "runbook": runbook,
                "phase": section.title,
                "phase_index": index,
                "deadline": due_at,
                "open_items": open,
                "owner": owner,
            }),
        });
        if let Some(rule) = policy.severity(&incident.severity) {
            decision
                .effects
                .extend(rule.notify.iter().map(|channel| Effect::Notify {
                    channel: channel.clone(),
                    notice: Notice {
                        summary: Some(text.clone()),
                        actor: owner.clone(),
                        ..Notice::about(incident, NoticeEvent::PhaseOverdue)
                    },
                }));
        }
    }
    decision
}

/// The incident's owner: whoever acknowledged it, else the people the escalation ladder's
/// current step pages now (by name), else nobody in particular.
pub fn owner(policy: &Policy, incident: &Incident, ctx: &Ctx) -> Option<String> {
    // The incident commander leads the response, so reminders name them first.
    if let Some(commander) = &incident.roles.commander {
        return Some(commander.name.clone());
    }
    if let Some(person) = &incident.acknowledged_by {
        return Some(person.clone());
    }
    let names: Vec<String> = crate::escalation::current_contacts(policy, incident, ctx)
        .into_iter()
        .map(|id| {
            policy
                .contacts
                .iter()
                .find(|contact| contact.id == id)
                .map_or(id, |contact| contact.name.clone())
        })
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// An item's text with its directives left out, for the timeline.
pub fn plain_text(text: &str) -> String {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        plain.push_str(&rest[..open]);
        rest = rest[open..]
            .find("}}")
            .map_or("", |close| &rest[open + close + 2..]);
    }
    plain.push_str(rest);
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEV1: &str = "\n## Within 5 minutes\n\n- [ ] Confirm: open `/healthz`. {{ monitor \"api-health\" }}\n- [ ] Check the dashboard.\n\n## Within 15 minutes\n\n- [ ] Diagnose: last deploy? {{ last_change \"deploy\" }}\n- [x] Check the dashboard.\n\n## Communicate\n\nPost to customers:\n\n* [ ] Post. {{ template \"customer-notice\" }}\n";

    #[test]
    fn sections_headed_within_are_phases_with_deadlines() {
        let checklist = parse(SEV1);
        let titles: Vec<_> = checklist
            .sections
            .iter()
            .map(|s| s.title.as_str())
            .collect();
        assert_eq!(
            titles,
            ["Within 5 minutes", "Within 15 minutes", "Communicate"]
        );
        let phases: Vec<_> = checklist
            .phases()
            .map(|(i, _, within)| (i, within))
            .collect();
        assert_eq!(
            phases,
            [(0, Duration::from_secs(300)), (1, Duration::from_secs(900))]
        );
        assert_eq!(checklist.sections[2].within, None);
    }

    #[test]
    fn items_get_stable_unique_ids_without_their_directives() {
        let checklist = parse(SEV1);
        let ids: Vec<_> = checklist
            .items()
            .map(|(_, item)| item.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "confirm-open-healthz",
                "check-the-dashboard",
                "diagnose-last-deploy",
                "check-the-dashboard-2",
                "post",
            ]
        );
        assert_eq!(
            checklist
                .item("confirm-open-healthz")
                .map(|i| i.text.as_str()),
            Some("Confirm: open `/healthz`. {{ monitor \"api-health\" }}")
        );
        // The same text parses to the same ids: a tick survives a restart and a reload.
        assert_eq!(parse(SEV1), checklist);
    }

    #[test]
    fn reads_deadlines_in_several_spellings() {
        assert_eq!(
            phase_deadline("Within 5 minutes"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            phase_deadline("within 1 hour"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            phase_deadline("Within 48h"),
            Some(Duration::from_secs(172_800))
        );
        assert_eq!(phase_deadline("Within reason"), None);
        assert_eq!(phase_deadline("After resolution (within 48h)"), None);
        assert_eq!(phase_deadline("Within 5 fortnights"), None);
    }

    #[test]
    fn prose_and_plain_bullets_are_not_items() {
        let checklist = parse("- a bullet\n1. a number\n- [ ]\n- [ ] real\n");
        let ids: Vec<_> = checklist
            .items()
            .map(|(_, item)| item.id.as_str())
            .collect();
        assert_eq!(ids, ["real"]);
        assert_eq!(checklist.sections[0].title, "");
    }

    #[test]
    fn boxes_and_hashes_inside_code_are_text_not_items_or_sections() {
        let body = "## Fix\n\nRun this:\n\n```markdown\n# Not a section\n- [ ] not an item\n```\n\n    - [ ] indented code, not an item\n\n- [ ] Real item. {{ monitor \"db\" }}\n  - [x] Nested item\n\nSetext section\n--------------\n\n+ [ ] Plus item\n";
        let checklist = parse(body);
        let titles: Vec<_> = checklist
            .sections
            .iter()
            .map(|s| s.title.as_str())
            .collect();
        assert_eq!(titles, ["Fix", "Setext section"]);
        let items: Vec<_> = checklist
            .items()
            .map(|(_, item)| (item.id.as_str(), item.text.as_str(), item.line))
            .collect();
        assert_eq!(
            items,
            [
                ("real-item", "Real item. {{ monitor \"db\" }}", 11),
                ("nested-item", "Nested item", 12),
                ("plus-item", "Plus item", 17),
            ]
        );
    }

    #[test]
    fn the_shipped_runbooks_keep_their_items() {
        let sev1 = include_str!("../../../spec/runbooks/sev1-full-outage.md");
        let body = sev1.splitn(3, "+++").nth(2).unwrap_or_default();
        let checklist = parse(body);
        let ids: Vec<_> = checklist
            .items()
            .map(|(section, item)| format!("{}/{}", section.title, item.id))
            .collect();
        assert_eq!(
            ids,
            [
                "Within 5 minutes/confirm-open-healthz-5xx-or-timeout-means-sev",
                "Within 5 minutes/check-the-hosting-dashboard-service-status",
                "Within 5 minutes/check-when-the-outage-started",
                "Within 15 minutes/diagnose-last-deploy",
                "Within 15 minutes/diagnose-recent-pr-merged",
                "Within 15 minutes/diagnose-database-connection",
                "Within 15 minutes/diagnose-payment-provider-outage",
                "Within 15 minutes/mitigate-roll-back-the-last-deploy-if-a",
                "Within 15 minutes/mitigate-restart-the-service",
                "Within 15 minutes/mitigate-check-environment-variables",
                "Communicate/post-to-customers-if-any-active",
            ]
        );
    }

    #[test]
    fn resolution_prefers_own_then_route_then_severity() {
        let mut policy = RunbookPolicy::default();
        policy.by_route.insert("payments".into(), "pay".into());
        policy.by_severity.insert("SEV-1".into(), "sev1".into());
        assert_eq!(
            policy.resolve(Some("own"), Some("payments"), "SEV-1"),
            Some("own".into())
        );
        assert_eq!(
            policy.resolve(None, Some("payments"), "SEV-1"),
            Some("pay".into())
        );
        assert_eq!(
            policy.resolve(None, Some("web"), "SEV-1"),
            Some("sev1".into())
        );
        policy.by_route.insert("*".into(), "default".into());
        assert_eq!(
            policy.resolve(None, Some("web"), "SEV-1"),
            Some("default".into())
        );
        assert_eq!(policy.resolve(None, None, "SEV-4"), Some("default".into()));
    }

    fn policy() -> Policy {
        let mut policy = Policy {
            severities: vec![crate::policy::SeverityRule {
                id: "SEV-1".into(),
                respond_within: Duration::from_secs(900),
                notify: vec!["slack".into()],
                pages: false,
                update_every: None,
            }],
            ..Policy::default()
        };
        policy
            .runbooks
            .checklists
            .insert("sev1".into(), parse(SEV1));
        policy
            .runbooks
            .by_severity
            .insert("SEV-1".into(), "sev1".into());
        policy
    }

    fn ctx(at: Timestamp) -> Ctx {
        Ctx {
            now: at,
            new_incident_id: "inc-1".into(),
            new_alert_id: "alert-1".into(),
            on_call: BTreeMap::new(),
            new_comms_id: "comms-1".into(),
            quiet: Default::default(),
        }
    }

    #[test]
    fn an_incident_opened_by_severity_gets_one_timer_per_phase_and_misses_only_open_items() {
        let opened = Timestamp::from_second(1_790_000_000).expect("valid");
        let declaration = crate::decision::Declaration {
            title: "Checkout down".into(),
            severity: "SEV-1".into(),
            category: None,
            component: None,
            summary: None,
            actor: "sami".into(),
        };
        let decision = crate::decide::decide(
            &policy(),
            &Situation::default(),
            crate::decision::Input::Declare(declaration),
            &ctx(opened),
        )
        .expect("opens");
        let incident = decision.incident.expect("incident");
        assert_eq!(incident.runbook.as_deref(), Some("sev1"));
        let phase_timers: Vec<i64> = decision
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::SetTimer {
                    kind: TimerKind::PhaseDue,
                    due_at,
                    ..
                } => Some(due_at.duration_since(opened).as_secs()),
                _ => None,
            })
            .collect();
        assert_eq!(phase_timers, [300, 900]);

        let mut situation = Situation {
            incident: Some(incident),
            ..Situation::default()
        };
        situation.checklist.insert(
            "confirm-open-healthz".into(),
            Tick {
                done: true,
                by: "sami".into(),
                at: opened,
            },
        );
        let due = deadline(opened, Duration::from_secs(300));
        let missed = phase_due(&policy(), &situation, due, &ctx(due));
        assert_eq!(missed.events.len(), 1);
        assert_eq!(missed.events[0].kind, EventKind::PhaseOverdue);
        assert_eq!(
            missed.events[0].data["open_items"],
            serde_json::json!(["check-the-dashboard"])
        );
        assert_eq!(missed.effects.len(), 1, "one reminder per channel");

        // Both items ticked: the deadline passes quietly.
        situation.checklist.insert(
            "check-the-dashboard".into(),
            Tick {
                done: true,
                by: "sami".into(),
                at: opened,
            },
        );
        assert!(phase_due(&policy(), &situation, due, &ctx(due)).is_empty());
    }
}
