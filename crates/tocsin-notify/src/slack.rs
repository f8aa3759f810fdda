//! The Slack channel: renders a notice as an incoming-webhook message (Block Kit plus fallback text).

use serde_json::{Value, json};
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};

use crate::one_line;

/// Slack refuses a section whose text is longer than this (characters).
pub const SECTION_TEXT_LIMIT: usize = 3000;
/// Slack refuses a section field longer than this (characters).
const FIELD_TEXT_LIMIT: usize = 2000;
/// Slack refuses a header block longer than this (characters).
const HEADER_TEXT_LIMIT: usize = 150;
/// The fallback `text` shows in notifications and on lock screens: the title is cut well before
/// Slack's own limit so the acknowledge link after it stays visible.
const FALLBACK_TITLE_LIMIT: usize = 300;

/// The emoji that says at a glance what happened.
pub fn emoji(event: NoticeEvent) -> &'static str {
    match event {
        NoticeEvent::Opened => "🚨",
        NoticeEvent::Acknowledged => "👀",
        NoticeEvent::Resolved => "✅",
        NoticeEvent::ResponseOverdue => "⏰",
        NoticeEvent::PostmortemReminder | NoticeEvent::PostmortemOverdue => "📝",
        NoticeEvent::PhaseOverdue => "⏳",
        NoticeEvent::UpdateDue => "📣",
        NoticeEvent::ReviewDigest => "📊",
        NoticeEvent::SeverityChanged => "🔀",
        NoticeEvent::Timeline => "💬",
    }
}

/// The incoming-webhook JSON for a notice: `text` (what notifications and old clients show) and
/// `blocks` (the message itself): a header, the facts, the summary, and link buttons.
pub fn render(notice: &Notice, links: &NoticeLinks) -> Value {
    let emoji = emoji(notice.event);
    let title = one_line(&notice.title);
    let severity = one_line(&notice.severity);

    let mut blocks = vec![json!({
        "type": "header",
        // plain_text is shown literally, so it is truncated but not escaped.
        "text": {
            "type": "plain_text",
            "text": truncate(&format!("{emoji} {severity}: {title}"), HEADER_TEXT_LIMIT),
            "emoji": true,
        },
    })];

    let mut fields = vec![
        field("Severity", &severity),
        field(
            "Since",
            &notice.opened_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    let placement: Vec<&str> = [&notice.category, &notice.component]
        .into_iter()
        .flatten()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect();
    if !placement.is_empty() {
        fields.push(field("Category / component", &placement.join(" / ")));
    }
    if let Some(runbook) = notice
        .runbook
        .as_deref()
        .filter(|name| !name.trim().is_empty())
    {
        fields.push(field("Runbook", runbook));
    }
    blocks.push(json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": event_line(notice) },
        "fields": fields,
    }));

    if let Some(summary) = notice
        .summary
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": escape_truncated(summary.trim(), SECTION_TEXT_LIMIT) },
        }));
    }

    let mut buttons = Vec::new();
    if let Some(ack_url) = links.ack_url.as_deref().filter(|url| !url.is_empty()) {
        buttons.push(json!({
            "type": "button",
            "action_id": "acknowledge",
            // With the app's interactivity on, a press posts this value to /slack/interactive
            // and acknowledges at once; without it, the URL opens the signed acknowledge page.
            "value": notice.incident_id,
            "style": "primary",
            "text": { "type": "plain_text", "text": "Acknowledge" },
            "url": ack_url,
        }));
    }
    // Slack rejects the whole message for a button without a URL, so an empty link is left out.
    if !links.incident_url.is_empty() {
        buttons.push(json!({
            "type": "button",
            "action_id": "open_incident",
            "text": { "type": "plain_text", "text": open_label(notice.event) },
            "url": links.incident_url,
        }));
    }
    if !buttons.is_empty() {
        blocks.push(json!({ "type": "actions", "elements": buttons }));
    }

    json!({
        "text": fallback_text(notice, links),
        "blocks": blocks,
    })
}

/// What happened, in the section's opening line.
fn event_line(notice: &Notice) -> String {
    let actor = notice
        .actor
        .as_deref()
        .map(one_line)
        .filter(|name| !name.is_empty());
    let line = match (notice.event, actor) {
        (NoticeEvent::Opened, _) => "*Incident opened*".to_owned(),
        (NoticeEvent::Acknowledged, Some(actor)) => {
            format!("*Acknowledged* by {}", escape(&actor))
        }
        (NoticeEvent::Acknowledged, None) => "*Acknowledged*".to_owned(),
        (NoticeEvent::Resolved, Some(actor)) => format!("*Resolved* by {}", escape(&actor)),
        (NoticeEvent::Resolved, None) => "*Resolved*".to_owned(),
        (NoticeEvent::ResponseOverdue, _) => {
            "*Response overdue*: nobody has acknowledged this incident yet".to_owned()
        }
        (NoticeEvent::PostmortemReminder, _) => "*Post-mortem due within 24 hours*".to_owned(),
        (NoticeEvent::PostmortemOverdue, _) => "*Post-mortem overdue*".to_owned(),
        (NoticeEvent::PhaseOverdue, Some(owner)) => {
            format!("*Runbook phase overdue*: reminder for {}", escape(&owner))
        }
        (NoticeEvent::PhaseOverdue, None) => "*Runbook phase overdue*".to_owned(),
        (NoticeEvent::UpdateDue, Some(owner)) => {
            format!("*Update due*: {} owns the next update", escape(&owner))
        }
        (NoticeEvent::UpdateDue, None) => "*Update due*".to_owned(),
        (NoticeEvent::ReviewDigest, _) => "*Weekly review*".to_owned(),
        (NoticeEvent::SeverityChanged, Some(actor)) => {
            format!("*Severity changed* by {}", escape(&actor))
        }
        (NoticeEvent::SeverityChanged, None) => "*Severity changed*".to_owned(),
        (NoticeEvent::Timeline, Some(actor)) => format!("*{}* wrote", escape(&actor)),
        (NoticeEvent::Timeline, None) => "*Timeline*".to_owned(),
    };
    truncate(&line, SECTION_TEXT_LIMIT)
}

/// The link button's label: the weekly digest links to the review page, not to an incident.
fn open_label(event: NoticeEvent) -> &'static str {
    match event {
        NoticeEvent::ReviewDigest => "Open the review",
        _ => "Open incident",
    }
}

/// `🚨 sev1: Database down · <https://…|Acknowledge>`: severity, title and the most useful link.
fn fallback_text(notice: &Notice, links: &NoticeLinks) -> String {
    let mut text = format!(
        "{} {}: {}",
        emoji(notice.event),
        escape_truncated(&one_line(&notice.severity), FALLBACK_TITLE_LIMIT),
        escape_truncated(&one_line(&notice.title), FALLBACK_TITLE_LIMIT),
    );
    if notice.event == NoticeEvent::Resolved {
        text.push_str(" (resolved)");
    }
    let link = match links.ack_url.as_deref().filter(|url| !url.is_empty()) {
        Some(ack_url) => Some((ack_url, "Acknowledge")),
        None => Some(links.incident_url.as_str())
            .filter(|url| !url.is_empty())
            .map(|url| (url, open_label(notice.event))),
    };
    if let Some((url, label)) = link {
        text.push_str(&format!(" · <{}|{label}>", escape_link_url(url)));
    }
    text
}

/// `*Label*\nvalue`, the value escaped and cut to fit Slack's field limit.
fn field(label: &str, value: &str) -> Value {
    let heading = format!("*{label}*\n");
    let room = FIELD_TEXT_LIMIT - heading.chars().count();
    json!({ "type": "mrkdwn", "text": format!("{heading}{}", escape_truncated(value.trim(), room)) })
}

/// Escapes the three characters Slack's mrkdwn treats as control characters (and nothing else,
/// as Slack asks): `&`, `<`, `>`.
pub fn escape(text: &str) -> String {
    escape_truncated(text, usize::MAX)
}

/// [`escape`], cut to at most `limit` characters of escaped text, ending in `…` when cut. Counting
/// after escaping keeps `&amp;` from pushing text over a limit, and an entity is never cut in half.
pub fn escape_truncated(text: &str, limit: usize) -> String {
    let total: usize = text.chars().map(escaped_len).sum();
    let cut = total > limit;
    let room = if cut { limit.saturating_sub(1) } else { total };
    let mut out = String::with_capacity(room.min(text.len() * 5));
    let mut used = 0;
    for c in text.chars() {
        let len = escaped_len(c);
        if used + len > room {
            break;
        }
        match entity(c) {
            Some(entity) => out.push_str(entity),
            None => out.push(c),
        }
        used += len;
    }
    if cut && limit > 0 {
        out.push('…');
    }
    out
}

fn entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    }
}

/// Characters `c` takes once escaped (entities are ASCII, so bytes and characters agree).
fn escaped_len(c: char) -> usize {
    entity(c).map_or(1, str::len)
}

/// A URL inside `<url|label>`: escaped like any mrkdwn, and `|` (which would end the URL early)
/// percent-encoded.
fn escape_link_url(url: &str) -> String {
    escape(url).replace('|', "%7C")
}

/// Cuts plain text to `limit` characters, ending in `…` when cut.
fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(event: NoticeEvent) -> Notice {
        Notice {
            event,
            incident_id: "inc_42".into(),
            title: "Checkout API <down> & failing".into(),
            severity: "sev1".into(),
            category: Some("availability".into()),
            component: Some("checkout-api".into()),
            summary: Some("5xx rate above 50% for 5m".into()),
            opened_at: "2026-11-26T21:30:45Z".parse().expect("valid timestamp"),
            runbook: Some("checkout-outage".into()),
            actor: None,
            source: None,
        }
    }

    fn links() -> NoticeLinks {
        NoticeLinks {
            incident_url: "https://tocsin.example.com/incidents/inc_42".into(),
            ack_url: Some("https://tocsin.example.com/ack/inc_42?t=abc".into()),
        }
    }

    fn blocks_of_type<'a>(message: &'a Value, kind: &str) -> Vec<&'a Value> {
        message["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .filter(|block| block["type"] == kind)
            .collect()
    }

    fn field_texts(message: &Value) -> Vec<String> {
        blocks_of_type(message, "section")[0]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|field| field["text"].as_str().expect("text").to_owned())
            .collect()
    }

    #[test]
    fn the_fallback_text_has_severity_title_and_ack_link_escaped() {
        let message = render(&notice(NoticeEvent::Opened), &links());
        assert_eq!(
            message["text"],
            "🚨 sev1: Checkout API &lt;down&gt; &amp; failing · \
             <https://tocsin.example.com/ack/inc_42?t=abc|Acknowledge>"
        );
    }

    #[test]
    fn the_header_carries_the_event_emoji_and_the_literal_title() {
        for (event, emoji) in [
            (NoticeEvent::Opened, "🚨"),
            (NoticeEvent::Acknowledged, "👀"),
            (NoticeEvent::Resolved, "✅"),
            (NoticeEvent::ResponseOverdue, "⏰"),
        ] {
            let message = render(&notice(event), &links());
            let header = blocks_of_type(&message, "header")[0];
            assert_eq!(header["text"]["type"], "plain_text");
            assert_eq!(
                header["text"]["text"],
                format!("{emoji} sev1: Checkout API <down> & failing")
            );
            assert!(message["text"].as_str().expect("text").starts_with(emoji));
        }
    }

    #[test]
    fn fields_say_severity_since_placement_and_runbook() {
        let message = render(&notice(NoticeEvent::Opened), &links());
        assert_eq!(
            field_texts(&message),
            [
                "*Severity*\nsev1",
                "*Since*\n2026-11-26 21:30 UTC",
                "*Category / component*\navailability / checkout-api",
                "*Runbook*\ncheckout-outage",
            ]
        );
        let sections = blocks_of_type(&message, "section");
        assert_eq!(sections[0]["text"]["text"], "*Incident opened*");
        assert_eq!(sections[1]["text"]["text"], "5xx rate above 50% for 5m");
    }

    #[test]
    fn absent_facts_are_left_out() {
        let mut bare = notice(NoticeEvent::Opened);
        bare.category = None;
        bare.component = Some("db".into());
        bare.runbook = None;
        bare.summary = None;
        let message = render(&bare, &links());
        assert_eq!(
            field_texts(&message),
            [
                "*Severity*\nsev1",
                "*Since*\n2026-11-26 21:30 UTC",
                "*Category / component*\ndb",
            ]
        );
        assert_eq!(blocks_of_type(&message, "section").len(), 1);
    }

    #[test]
    fn buttons_link_to_ack_and_incident_and_ack_only_when_present() {
        let message = render(&notice(NoticeEvent::Opened), &links());
        let actions = blocks_of_type(&message, "actions")[0]["elements"]
            .as_array()
            .expect("elements")
            .clone();
        assert_eq!(actions.len(), 2);
        assert_eq!(actions[0]["text"]["text"], "Acknowledge");
        assert_eq!(
            actions[0]["url"],
            "https://tocsin.example.com/ack/inc_42?t=abc"
        );
        assert_eq!(actions[1]["text"]["text"], "Open incident");
        assert_eq!(
            actions[1]["url"],
            "https://tocsin.example.com/incidents/inc_42"
        );

        let acked = NoticeLinks {
            ack_url: None,
            ..links()
        };
        let mut notice = notice(NoticeEvent::Acknowledged);
        notice.actor = Some("alice <ops>".into());
        let message = render(&notice, &acked);
        let actions = blocks_of_type(&message, "actions")[0]["elements"]
            .as_array()
            .expect("elements")
            .clone();
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0]["action_id"], "open_incident");
        assert_eq!(
            blocks_of_type(&message, "section")[0]["text"]["text"],
            "*Acknowledged* by alice &lt;ops&gt;"
        );
        assert!(
            message["text"]
                .as_str()
                .expect("text")
                .ends_with("<https://tocsin.example.com/incidents/inc_42|Open incident>")
        );

        let message = render(&notice, &NoticeLinks::default());
        assert!(blocks_of_type(&message, "actions").is_empty());
    }

    #[test]
    fn long_summaries_are_cut_under_the_section_limit_without_splitting_entities() {
        let mut long = notice(NoticeEvent::Opened);
        long.summary = Some("a&b ".repeat(2000));
        let message = render(&long, &links());
        let summary = blocks_of_type(&message, "section")[1]["text"]["text"]
            .as_str()
            .expect("summary")
            .to_owned();
        assert!(summary.chars().count() <= SECTION_TEXT_LIMIT);
        assert!(summary.ends_with('…'));
        assert!(summary.starts_with("a&amp;b a&amp;b"));
        // Every `&` left is the start of a whole entity.
        let kept = summary.trim_end_matches('…');
        assert_eq!(kept.matches('&').count(), kept.matches("&amp;").count());
    }

    #[test]
    fn escaping_follows_slacks_three_characters_and_truncation_counts_entities() {
        assert_eq!(escape("a & b < c > d *e*"), "a &amp; b &lt; c &gt; d *e*");
        assert_eq!(escape_truncated("&&&", 9), "&amp;…");
        assert_eq!(escape_truncated("abc", 3), "abc");
        assert_eq!(escape_truncated("abcd", 3), "ab…");
        assert_eq!(
            escape_link_url("https://x/?a=1&b=2|3"),
            "https://x/?a=1&amp;b=2%7C3"
        );
    }

    #[test]
    fn headers_stay_under_slacks_limit() {
        let mut long = notice(NoticeEvent::Opened);
        long.title = "x".repeat(500);
        let message = render(&long, &links());
        let header = blocks_of_type(&message, "header")[0]["text"]["text"]
            .as_str()
            .expect("header")
            .to_owned();
        assert_eq!(header.chars().count(), HEADER_TEXT_LIMIT);
    }
}
