//! `GET /status/feed.atom`: Atom 1.0 (RFC 4287) of what the page shows: one entry per public
//! update and per incident opened or resolved, newest first. Written by hand: the format is
//! small, and every text goes through [`xml_text`], which escapes markup and drops the control
//! characters XML 1.0 cannot carry at all.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::i18n::{self, Strings};
use super::{LangQuery, Shared, Snapshot};
use crate::AppState;

/// Entries kept in the feed; readers poll, and older news is on the page's history.
const ENTRIES: usize = 50;

pub(super) async fn feed(
    State(state): State<AppState>,
    status: Shared,
    query: Result<Query<LangQuery>, QueryRejection>,
) -> Response {
    let requested = query.ok().and_then(|Query(query)| query.lang);
    let cached = match status.current(&state).await {
        Ok(cached) => cached,
        Err(error) => return error.into_response(),
    };
    let snapshot = &cached.snapshot;
    let locale = snapshot.locale(requested.as_deref());
    let t = i18n::strings(locale);
    let mut response = atom(snapshot, locale, t).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    super::public_headers(headers, true);
    response
}

/// Escapes text for XML element content and attribute values, dropping characters XML 1.0
/// forbids even as references (most C0 controls, lone surrogates cannot occur in a `str`,
/// U+FFFE and U+FFFF).
pub(super) fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() && u32::from(c) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

struct Entry {
    id: String,
    title: String,
    at: Timestamp,
    link: String,
    content: String,
}

fn atom(snapshot: &Snapshot, locale: &str, t: &Strings) -> String {
    let mut entries = Vec::new();
    for incident in &snapshot.incidents {
        let id = &incident.incident.id;
        let link = format!("{}?lang={}#incident-{id}", snapshot.url, t.lang);
        let base = format!("{}#incident-{id}", snapshot.url);
        let title = incident.title(locale);
        entries.push(Entry {
            id: format!("{base}-opened"),
            title: format!("{}: {title}", t.incident_opened),
            at: incident.incident.opened_at,
            link: link.clone(),
            content: format!("{}: {}", t.impact, t.impact(incident.impact)),
        });
        for update in &incident.updates {
            let state = update
                .state
                .map_or("investigating", tocsin_core::status::public_state);
            entries.push(Entry {
                id: format!("{base}-update-{}", update.seq),
                title: format!("{}: {title} ({})", t.update, t.state(state)),
                at: update.at,
                link: link.clone(),
                content: update.text.clone(),
            });
        }
        if let Some(resolved_at) = incident.incident.resolved_at {
            entries.push(Entry {
                id: format!("{base}-resolved"),
                title: format!("{}: {title}", t.incident_resolved),
                at: resolved_at,
                link,
                content: t.resolved.to_owned(),
            });
        }
    }
    // Newest first; equal times keep a stable order by id.
    entries.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    entries.truncate(ENTRIES);
    let updated = entries.first().map_or(snapshot.updated_at, |entry| {
        entry.at.max(snapshot.updated_at)
    });
    let mut xml = String::with_capacity(2048 + entries.len() * 512);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        xml_text(t.lang)
    ));
    xml.push_str(&format!("  <id>{}</id>\n", xml_text(&snapshot.url)));
    xml.push_str(&format!("  <title>{}</title>\n", xml_text(&snapshot.title)));
    xml.push_str(&format!("  <updated>{updated}</updated>\n"));
    xml.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_text(&format!(
            "{}/status/feed.atom?lang={}",
            snapshot.public_url, t.lang
        ))
    ));
    xml.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_text(&format!("{}?lang={}", snapshot.url, t.lang))
    ));
    xml.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml_text(&snapshot.org)
    ));
    for entry in entries {
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <id>{}</id>\n", xml_text(&entry.id)));
        xml.push_str(&format!("    <title>{}</title>\n", xml_text(&entry.title)));
        xml.push_str(&format!("    <updated>{}</updated>\n", entry.at));
        xml.push_str(&format!("    <published>{}</published>\n", entry.at));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_text(&entry.link)
        ));
        xml.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            xml_text(&entry.content)
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn markup_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            xml_text("<b>\"Tom\" & 'Jerry'</b>\u{0}\u{1b}\u{FFFF}\nok"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/b&gt;\nok"
        );
        assert_eq!(xml_text("انقطاع جزئي"), "انقطاع جزئي");
    }
}
