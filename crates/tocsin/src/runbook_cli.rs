//! `tocsin runbook search` (offline, from the configuration folder) and `tocsin change …`
//! (over the HTTP API): their requests and their plain-text output.

use serde_json::{Value, json};

/// The knowledge base's answer to `text`, one runbook per paragraph, best first.
pub fn format_search(runbooks: &[tocsin_config::Runbook], text: &str) -> String {
    let hits = tocsin_config::knowledge::search(runbooks, text);
    if hits.is_empty() {
        return format!("no runbook matches `{text}`\n");
    }
    let mut out = String::new();
    for hit in hits {
        out.push_str(&format!(
            "{}  {}  (score {})\n",
            hit.runbook.id, hit.runbook.title, hit.score
        ));
        if let Some(cause) = &hit.runbook.likely_cause {
            out.push_str(&format!("    likely cause: {cause}\n"));
        }
        out.push_str(&format!("    matched: {}\n", hit.reasons.join("; ")));
        out.push_str(&format!("    file: {}\n", hit.runbook.path.display()));
    }
    out
}

/// The body of `POST /api/v1/changes`.
pub fn change_body(
    kind: &str,
    service: &str,
    title: &str,
    url: Option<&str>,
    author: Option<&str>,
) -> Value {
    json!({ "kind": kind, "service": service, "title": title, "url": url, "author": author })
}

fn text(value: &Value) -> String {
    value.as_str().map(str::to_owned).unwrap_or_default()
}

/// One line per change: `2026-… deploy api "title" by author <url>`.
pub fn format_changes(changes: &[Value]) -> String {
    if changes.is_empty() {
        return "no changes\n".to_owned();
    }
    let mut out = String::new();
    for change in changes {
        out.push_str(&format!(
            "{}  {}  {}  {}",
            text(&change["occurred_at"]),
            text(&change["kind"]),
            change["service"].as_str().unwrap_or("-"),
            text(&change["title"])
        ));
        if let Some(author) = change["author"].as_str() {
            out.push_str(&format!("  by {author}"));
        }
        if let Some(url) = change["url"].as_str() {
            out.push_str(&format!("  {url}"));
        }
        out.push('\n');
    }
    out
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
