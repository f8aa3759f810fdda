//! A runbook as a static page: its markdown rendered to HTML, with every `{{ … }}` directive
//! (live data in the running tocsin) replaced by a plain placeholder like `[monitor database]`.

use pulldown_cmark::{CowStr, Event, Options, Parser};
use tocsin_config::{ChangeKind, DirectiveKind, Runbook};

use super::html::escape;

/// What a directive shows in place of its live data.
fn placeholder(kind: &DirectiveKind) -> String {
    match kind {
        DirectiveKind::Monitor(id) => format!("[monitor {id}]"),
        DirectiveKind::Since(id) => format!("[since {id}]"),
        DirectiveKind::Action(id) => format!("[action {id}]"),
        DirectiveKind::Template(id) => format!("[template {id}]"),
        DirectiveKind::LastChange(ChangeKind::Deploy) => "[last deploy]".to_owned(),
        DirectiveKind::LastChange(ChangeKind::Merge) => "[last merge]".to_owned(),
    }
}

/// The runbook's body with its directives replaced (from the end, so earlier ranges stay valid).
fn without_directives(runbook: &Runbook) -> String {
    let mut body = runbook.body.clone();
    let mut directives: Vec<_> = runbook.directives.iter().collect();
    directives.sort_by_key(|directive| std::cmp::Reverse(directive.range.start));
    for directive in directives {
        if body.get(directive.range.clone()).is_some() {
            body.replace_range(directive.range.clone(), &placeholder(&directive.kind));
        }
    }
    body
}

/// The runbook's markdown as HTML. Raw HTML in the markdown is shown as text, not interpreted:
/// the export must open safely anywhere, whoever edited the runbooks.
pub fn body_html(runbook: &Runbook) -> String {
    let markdown = without_directives(runbook);
    let options =
        Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(&markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(CowStr::from(raw.into_string())),
        // Boxes a responder can tick while working through the list (nothing is saved).
        Event::TaskListMarker(done) => Event::InlineHtml(CowStr::from(if done {
            "<input type=\"checkbox\" checked> "
        } else {
            "<input type=\"checkbox\"> "
        })),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The page's content: title, likely cause and severity, then the body.
pub fn content(runbook: &Runbook) -> String {
    let mut out = format!("<h1>{}</h1>\n", escape(&runbook.title));
    if let Some(cause) = &runbook.likely_cause {
        out.push_str(&format!(
            "<p><strong>Likely cause:</strong> {}</p>\n",
            escape(cause)
        ));
    }
    if let Some(severity) = &runbook.severity {
        out.push_str(&format!(
            "<p><strong>Severity:</strong> {}</p>\n",
            escape(severity)
        ));
    }
    out.push_str(&body_html(runbook));
    out
}
