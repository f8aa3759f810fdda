//! Post-mortems, pure: when resolving requires one, its file name (never escaping its folder),
//! its first draft in Markdown, and the action items read back from an edited file.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::decision::{Effect, TimerKind};
use crate::incident::{EventKind, Incident, TimelineEvent};
pub use crate::policy::PostmortemRule;

/// A reminder this long before the deadline.
pub const REMINDER_BEFORE: Duration = Duration::from_secs(24 * 3600);

/// The events and effects of resolving `incident` at `now`: nothing unless its severity requires
/// a post-mortem; otherwise a `postmortem_required` event, the post-mortem row (committed with
/// the resolution; the file is written after the commit) and its two reminder timers.
pub fn on_resolve(
    rule: Option<&PostmortemRule>,
    incident: &Incident,
    now: Timestamp,
) -> (Vec<TimelineEvent>, Vec<Effect>) {
    let Some(rule) = rule else {
        return (vec![], vec![]);
    };
    let Some(within) = rule.due_after.get(&incident.severity) else {
        return (vec![], vec![]);
    };
    let due_at = add(now, *within);
    let file = file_name(&rule.file, incident, &rule.zone);
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: now,
        kind: EventKind::PostmortemRequired,
        actor: "tocsin".to_owned(),
        text: format!(
            "A post-mortem is required by {} ({file})",
            local(due_at, &rule.zone)
        ),
        data: serde_json::json!({ "due_at": due_at.to_string(), "file": file }),
    };
    let mut effects = Vec::new();
    // A resolution after a reopening moves the deadline: the old reminders go first.
    for kind in [TimerKind::PostmortemReminder, TimerKind::PostmortemDue] {
        effects.push(Effect::CancelTimers {
            kind,
            incident_id: incident.id.clone(),
        });
    }
    let remind_at = sub(due_at, REMINDER_BEFORE);
    if remind_at > now {
        effects.push(Effect::SetTimer {
            kind: TimerKind::PostmortemReminder,
            incident_id: incident.id.clone(),
            due_at: remind_at,
        });
    }
    effects.push(Effect::SetTimer {
        kind: TimerKind::PostmortemDue,
        incident_id: incident.id.clone(),
        due_at,
    });
    // Last, so that the store can withdraw the timers again for a post-mortem already published.
    effects.push(Effect::RequirePostmortem {
        incident_id: incident.id.clone(),
        file,
        due_at,
    });
    (vec![event], effects)
}

fn add(at: Timestamp, by: Duration) -> Timestamp {
    let by = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
    at.saturating_add(by).unwrap_or(at)
}

fn sub(at: Timestamp, by: Duration) -> Timestamp {
    let by = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
    at.saturating_sub(by).unwrap_or(at)
}

/// `2026-11-26 10:00` in `zone`.
pub fn local(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The incident's start as YYYY-MM-DD in `zone`.
pub fn start_date(incident: &Incident, zone: &TimeZone) -> Date {
    incident.opened_at.to_zoned(zone.clone()).date()
}

/// A file-name-safe slug of a title: lowercase ASCII letters and digits joined by `-`, at most
/// 60 characters. `None` when nothing is left (a title in Arabic, or only punctuation).
pub fn slug(title: &str) -> Option<String> {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if out.len() >= 60 {
                break;
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    (!out.is_empty()).then_some(out)
}

/// Only ASCII letters, digits, `-` and `_`; anything else becomes `-`.
fn safe_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The post-mortem's file name from the pattern: every placeholder's value is sanitized, and the
/// result is one plain name inside the folder — never a `/`, `\`, `..` or a leading dot. A name
/// that would be anything else falls back to `{date}-{id}.md`.
pub fn file_name(pattern: &str, incident: &Incident, zone: &TimeZone) -> String {
    let date = start_date(incident, zone).to_string();
    let id = safe_part(&incident.id);
    let slug = slug(&incident.title).unwrap_or_else(|| id.clone());
    let name = pattern
        .replace("{date}", &date)
        .replace("{slug}", &slug)
        .replace("{id}", &id)
        .replace("{severity}", &safe_part(&incident.severity))
        .replace(['/', '\\'], "-");
    if is_plain_name(&name) {
        name
    } else {
        format!("{date}-{id}.md")
    }
}

/// One path component that stays where it is put.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains("..")
        && !name.contains(['/', '\\', '\0'])
}

/// Everything the first draft is made from.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub incident: &'a Incident,
    pub events: &'a [TimelineEvent],
    pub sections: &'a [String],
    pub zone: &'a TimeZone,
}

/// The heading under which the timeline table goes, when the sections name one.
const TIMELINE: &str = "timeline";
/// The section holding the action-item checklist.
const ACTION_ITEMS: &str = "action items";

/// The first draft: a header (severity, start, duration, time to acknowledge and to resolve,
/// responders, impact), the timeline as a table in the organisation's zone, and the configured
/// sections as `## ` headings. The action-items section explains its checklist format.
pub fn render(draft: &Draft<'_>) -> String {
    let incident = draft.incident;
    let zone = draft.zone;
    let mut out = String::new();
    out.push_str(&format!("# Post-mortem: {}\n\n", text(&incident.title)));
    out.push_str("| | |\n|---|---|\n");
    let mut row = |name: &str, value: String| {
        out.push_str(&format!("| {name} | {} |\n", cell(&value)));
    };
    row("Incident", incident.id.clone());
    row("Severity", incident.severity.clone());
    row(
        "Start",
        format!("{} ({})", local(incident.opened_at, zone), zone_name(zone)),
    );
    row(
        "Duration",
        span(incident.opened_at, incident.resolved_at).unwrap_or_else(|| "ongoing".into()),
    );
    row(
        "Time to acknowledge",
        span(incident.opened_at, incident.acknowledged_at)
            .unwrap_or_else(|| "not acknowledged".into()),
    );
    row(
        "Time to resolve",
        span(incident.opened_at, incident.resolved_at).unwrap_or_else(|| "not resolved".into()),
    );
    let people = responders(draft.events);
    row(
        "Responders",
        if people.is_empty() {
            "none recorded".into()
        } else {
            people.join(", ")
        },
    );
    for role in crate::roles::IncidentRole::ALL {
        row(
            role_heading(role),
            role_holders(incident, draft.events, role),
        );
    }
    row("Impact", impact(incident));
    out.push('\n');

    let timeline = timeline_table(draft.events, zone);
    let names_timeline = draft
        .sections
        .iter()
        .any(|section| section.trim().eq_ignore_ascii_case(TIMELINE));
    let names_actions = draft
        .sections
        .iter()
        .any(|section| section.trim().to_lowercase().starts_with(ACTION_ITEMS));
    if !names_timeline {
        out.push_str("## Timeline\n\n");
        out.push_str(&timeline);
        out.push('\n');
    }
    for section in draft.sections {
        out.push_str(&format!("## {}\n\n", text(section)));
        let lower = section.trim().to_lowercase();
        if lower == TIMELINE {
            out.push_str(&timeline);
        } else if lower.starts_with(ACTION_ITEMS) {
            out.push_str(ACTION_HINT);
        } else {
            out.push_str("_To be written._\n");
        }
        out.push('\n');
    }
    if !names_actions {
        out.push_str("## Action items\n\n");
        out.push_str(ACTION_HINT);
    }
    out
}

fn role_heading(role: crate::roles::IncidentRole) -> &'static str {
    match role {
        crate::roles::IncidentRole::Commander => "Incident commander",
        crate::roles::IncidentRole::Communications => "Communications",
        crate::roles::IncidentRole::Scribe => "Scribe",
    }
}

/// Who held `role`, in the order they took it (`role_assigned` events: "Sami → Ana" after a
/// hand-over), else who holds it now; "not assigned" when nobody did.
fn role_holders(
    incident: &Incident,
    events: &[TimelineEvent],
    role: crate::roles::IncidentRole,
) -> String {
    let mut names: Vec<String> = Vec::new();
    for event in events {
        let of_role = event.kind == EventKind::RoleAssigned
            && event.data.get("role").and_then(|v| v.as_str()) == Some(role.as_str());
        let name = event.data.get("name").and_then(|v| v.as_str());
        if let (true, Some(name)) = (of_role, name)
            && names.last().map(String::as_str) != Some(name)
        {
            names.push(name.to_owned());
        }
    }
    if names.is_empty()
        && let Some(holder) = incident.roles.get(role)
    {
        names.push(holder.name.clone());
    }
    if names.is_empty() {
        "not assigned".to_owned()
    } else {
        names.join(" → ")
    }
}

const ACTION_HINT: &str =
    "<!-- One per line: - [ ] what to do — owner: who, due: YYYY-MM-DD (tick [x] when done) -->\n";

fn zone_name(zone: &TimeZone) -> String {
    zone.iana_name().unwrap_or("UTC").to_owned()
}

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text from outside (a title from an integration, a note, a name) as one line of Markdown that
/// is only text: `&`, `<` and `>` as entities, so no raw HTML (`<script>`, `<img onerror>`) reaches
/// a renderer of the file, and the file still reads the same on GitHub or in an editor's preview.
fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: [`text`], with `|` escaped.
fn cell(value: &str) -> String {
    text(value).replace('|', "\\|")
}

fn span(from: Timestamp, to: Option<Timestamp>) -> Option<String> {
    let to = to?;
    let seconds = to.as_second().saturating_sub(from.as_second()).max(0);
    Some(crate::format_duration(Duration::from_secs(
        u64::try_from(seconds).unwrap_or(0),
    )))
}

/// The people who acted: acknowledged, resolved, wrote notes or updates (not the engine, nor
/// monitors and integrations).
fn responders(events: &[TimelineEvent]) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    for event in events {
        let by_person = matches!(
            event.kind,
            EventKind::Acknowledged
                | EventKind::Resolved
                | EventKind::Note
                | EventKind::Update
                | EventKind::SeverityChanged
        ) && event.actor != "tocsin"
            && !event.actor.contains(':');
        if by_person && !people.contains(&event.actor) {
            people.push(event.actor.clone());
        }
    }
    people
}

fn impact(incident: &Incident) -> String {
    let mut parts = Vec::new();
    if let Some(component) = &incident.component {
        parts.push(format!("component {component}"));
    }
    if let Some(summary) = &incident.summary {
        parts.push(summary.clone());
    }
    if parts.is_empty() {
        "to be written".into()
    } else {
        parts.join("; ")
    }
}

fn timeline_table(events: &[TimelineEvent], zone: &TimeZone) -> String {
    let mut out = format!(
        "| Time ({}) | Event | By | What |\n|---|---|---|---|\n",
        zone_name(zone)
    );
    for event in events {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            local(event.at, zone),
            event.kind.as_str(),
            cell(&event.actor),
            cell(&event.text)
        ));
    }
    out
}

/// One action item of a post-mortem: `- [ ] text — owner: x, due: YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActionItem {
    pub text: String,
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub done: bool,
}

/// The action items of a post-mortem file: every checklist line (`- [ ]` or `- [x]`), with its
/// owner and due date when given after ` — ` (or ` -- `).
pub fn action_items(markdown: &str) -> Vec<ActionItem> {
    markdown
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("- ")
                .or_else(|| line.strip_prefix("* "))?;
            let (done, rest) = if let Some(rest) = rest.strip_prefix("[ ]") {
                (false, rest)
            } else if let Some(rest) = rest
                .strip_prefix("[x]")
                .or_else(|| rest.strip_prefix("[X]"))
            {
                (true, rest)
            } else {
                return None;
            };
            let (text, fields) = match rest.rsplit_once(" — ").or_else(|| rest.rsplit_once(" -- "))
            {
                Some((text, fields)) if fields.contains(':') => (text, fields),
                _ => (rest, ""),
            };
            let mut owner = None;
            let mut due = None;
            for field in fields.split(',') {
                if let Some((name, value)) = field.split_once(':') {
                    let value = value.trim();
                    match name.trim().to_lowercase().as_str() {
                        "owner" if !value.is_empty() => owner = Some(value.to_owned()),
                        "due" => due = value.parse::<Date>().ok(),
                        _ => {}
                    }
                }
            }
            let text = text.trim().to_owned();
            (!text.is_empty()).then_some(ActionItem {
                text,
                owner,
                due,
                done,
            })
        })
        .collect()
}

/// An item in the checklist format [`action_items`] reads.
pub fn action_item_line(item: &ActionItem) -> String {
    let mut fields = Vec::new();
    if let Some(owner) = &item.owner {
        fields.push(format!("owner: {owner}"));
    }
    if let Some(due) = item.due {
        fields.push(format!("due: {due}"));
    }
    let check = if item.done { "x" } else { " " };
    if fields.is_empty() {
        format!("- [{check}] {}", one_line(&item.text))
    } else {
        format!(
            "- [{check}] {} — {}",
            one_line(&item.text),
            fields.join(", ")
        )
    }
}

/// A post-mortem's status as people see it: a draft past its deadline is overdue.
pub fn shown_status(stored: &str, due_at: Timestamp, now: Timestamp) -> &'static str {
    match stored {
        "published" => "published",
        _ if now >= due_at => "overdue",
        _ => "draft",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::incident::IncidentState;

    fn t(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn incident(title: &str) -> Incident {
        Incident {
            id: "0190-abc".into(),
            title: title.into(),
            public_title: None,
            severity: "SEV-1".into(),
            state: IncidentState::Resolved,
            category: None,
            component: Some("api".into()),
            summary: None,
            runbook: None,
            source: "manual".into(),
            opened_at: t("2026-11-25T22:30:00Z"),
            acknowledged_at: Some(t("2026-11-25T22:35:00Z")),
            acknowledged_by: Some("Sara".into()),
            resolved_at: Some(t("2026-11-25T23:40:00Z")),
            respond_by: t("2026-11-25T22:45:00Z"),
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

    fn riyadh() -> TimeZone {
        TimeZone::get("Asia/Riyadh").expect("zone")
    }

    #[test]
    fn the_date_is_the_start_in_the_org_zone_and_the_slug_is_plain() {
        // 22:30 UTC on the 25th is 01:30 on the 26th in Riyadh.
        let name = file_name("{date}-{slug}.md", &incident("API down: 503s!"), &riyadh());
        assert_eq!(name, "2026-11-26-api-down-503s.md");
    }

    #[test]
    fn a_title_cannot_escape_the_folder() {
        for title in ["../../x", "..", "/etc/passwd", "a/../../b", ".hidden"] {
            let name = file_name("{date}-{slug}.md", &incident(title), &riyadh());
            assert!(is_plain_name(&name), "{title} → {name}");
            assert!(
                !name.contains('/') && !name.contains(".."),
                "{title} → {name}"
            );
        }
        assert_eq!(
            file_name("{date}-{slug}.md", &incident("../../x"), &riyadh()),
            "2026-11-26-x.md"
        );
        // A pattern that tries to climb is flattened, and one left with a `..` falls back.
        assert_eq!(
            file_name("../{slug}.md", &incident("x"), &riyadh()),
            "2026-11-26-0190-abc.md"
        );
    }

    #[test]
    fn an_arabic_title_falls_back_to_the_incident_id() {
        let name = file_name("{date}-{slug}.md", &incident("انقطاع الخدمة"), &riyadh());
        assert_eq!(name, "2026-11-26-0190-abc.md");
    }

    #[test]
    fn the_draft_has_the_header_the_timeline_and_every_section() {
        let incident = incident("API down");
        let events = vec![
            TimelineEvent {
                incident_id: incident.id.clone(),
                at: incident.opened_at,
                kind: EventKind::Opened,
                actor: "tocsin".into(),
                text: "Opened | with a pipe".into(),
                data: serde_json::Value::Null,
            },
            TimelineEvent {
                incident_id: incident.id.clone(),
                at: t("2026-11-25T22:35:00Z"),
                kind: EventKind::Acknowledged,
                actor: "Sara".into(),
                text: "Acknowledged by Sara".into(),
                data: serde_json::Value::Null,
            },
        ];
        let sections: Vec<String> = [
            "Timeline",
            "Root cause",
            "Action items to prevent recurrence",
        ]
        .map(String::from)
        .to_vec();
        let text = render(&Draft {
            incident: &incident,
            events: &events,
            sections: &sections,
            zone: &riyadh(),
        });
        assert!(text.contains("| Severity | SEV-1 |"), "{text}");
        assert!(
            text.contains("| Start | 2026-11-26 01:30 (Asia/Riyadh) |"),
            "{text}"
        );
        assert!(text.contains("| Time to acknowledge | 5m |"), "{text}");
        assert!(text.contains("| Time to resolve | 1h10m |"), "{text}");
        assert!(text.contains("| Responders | Sara |"), "{text}");
        assert!(
            text.contains("| 2026-11-26 01:30 | opened | tocsin | Opened \\| with a pipe |"),
            "{text}"
        );
        assert!(
            text.contains("| 2026-11-26 01:35 | acknowledged | Sara |"),
            "{text}"
        );
        for heading in [
            "## Timeline\n",
            "## Root cause\n",
            "## Action items to prevent recurrence\n",
        ] {
            assert_eq!(text.matches(heading).count(), 1, "{heading} in {text}");
        }
        // The hint is a comment, not an action item.
        assert!(action_items(&text).is_empty());
    }

    #[test]
    fn the_draft_names_the_roles_and_who_handed_over() {
        let mut incident = incident("API down");
        incident.roles.scribe = Some(crate::roles::Person {
            id: "lina".into(),
            name: "Lina".into(),
            kind: crate::roles::PersonKind::Contact,
        });
        let assigned = |name: &str, id: &str| TimelineEvent {
            incident_id: incident.id.clone(),
            at: incident.opened_at,
            kind: EventKind::RoleAssigned,
            actor: "admin".into(),
            text: format!("{name} is now the incident commander"),
            data: serde_json::json!({ "role": "commander", "user": id, "name": name }),
        };
        let events = vec![
            assigned("Sami", "sami@example.com"),
            assigned("Ana", "ana@example.com"),
        ];
        let text = render(&Draft {
            incident: &incident,
            events: &events,
            sections: &[],
            zone: &riyadh(),
        });
        assert!(
            text.contains("| Incident commander | Sami → Ana |"),
            "{text}"
        );
        assert!(text.contains("| Communications | not assigned |"), "{text}");
        assert!(text.contains("| Scribe | Lina |"), "{text}");
    }

    #[test]
    fn text_from_outside_carries_no_raw_html_into_the_draft() {
        let mut incident = incident("{{ 7*7 }} <script>alert(1)</script> & more");
        incident.summary = Some("<img src=x onerror=alert(2)>".into());
        let events = vec![TimelineEvent {
            incident_id: incident.id.clone(),
            at: incident.opened_at,
            kind: EventKind::Note,
            actor: "<b>Mallory</b>".into(),
            text: "see </td><iframe src=//evil>".into(),
            data: serde_json::Value::Null,
        }];
        let text = render(&Draft {
            incident: &incident,
            events: &events,
            sections: &["Root <u>cause</u>".to_owned()],
            zone: &riyadh(),
        });
        assert!(
            text.starts_with(
                "# Post-mortem: {{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt; &amp; more\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "{text}"
        );
        assert!(text.contains("| &lt;b&gt;Mallory&lt;/b&gt; |"), "{text}");
        assert!(
            text.contains("see &lt;/td&gt;&lt;iframe src=//evil&gt;"),
            "{text}"
        );
        assert!(
            text.contains("## Root &lt;u&gt;cause&lt;/u&gt;\n"),
            "{text}"
        );
        // The only tag left is the action items' hint, which tocsin writes itself.
        let without_hint = text.replace(ACTION_HINT, "");
        assert!(!without_hint.contains('<'), "{text}");
        assert!(!text.contains("49"), "{text}");
    }

    #[test]
    fn action_items_round_trip() {
        let items = vec![
            ActionItem {
                text: "Add a retry to the payment client".into(),
                owner: Some("Sara".into()),
                due: Some("2026-12-10".parse().expect("date")),
                done: false,
            },
            ActionItem {
                text: "Page on 5xx ratio".into(),
                owner: None,
                due: None,
                done: true,
            },
        ];
        let text = items
            .iter()
            .map(action_item_line)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(action_items(&text), items);
        assert_eq!(
            action_items("- [ ] Rotate keys -- owner: Omar, due: not-a-date"),
            vec![ActionItem {
                text: "Rotate keys".into(),
                owner: Some("Omar".into()),
                due: None,
                done: false
            }]
        );
    }

    #[test]
    fn resolving_a_required_severity_sets_the_row_and_both_reminders() {
        let rule = PostmortemRule {
            due_after: BTreeMap::from([("SEV-1".to_owned(), Duration::from_secs(48 * 3600))]),
            file: "{date}-{slug}.md".into(),
            zone: riyadh(),
        };
        let incident = incident("API down");
        let now = t("2026-11-26T00:00:00Z");
        let (events, effects) = on_resolve(Some(&rule), &incident, now);
        assert_eq!(events[0].kind, EventKind::PostmortemRequired);
        assert!(effects.contains(&Effect::RequirePostmortem {
            incident_id: incident.id.clone(),
            file: "2026-11-26-api-down.md".into(),
            due_at: t("2026-11-28T00:00:00Z"),
        }));
        assert!(effects.contains(&Effect::SetTimer {
            kind: TimerKind::PostmortemReminder,
            incident_id: incident.id.clone(),
            due_at: t("2026-11-27T00:00:00Z"),
        }));
        let mut sev3 = incident.clone();
        sev3.severity = "SEV-3".into();
        assert_eq!(on_resolve(Some(&rule), &sev3, now), (vec![], vec![]));
    }

    #[test]
    fn a_draft_past_its_deadline_is_overdue() {
        let due = t("2026-11-28T00:00:00Z");
        assert_eq!(
            shown_status("draft", due, t("2026-11-27T00:00:00Z")),
            "draft"
        );
        assert_eq!(shown_status("draft", due, due), "overdue");
        assert_eq!(shown_status("published", due, due), "published");
    }
}
