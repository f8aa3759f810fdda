//! The shared page shell of the static export: one self-contained HTML file per page, CSS inline,
//! no script, links relative so the folder works from `file://` or any static host.

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub use tocsin_core::escape::html as escape;

const STYLE: &str = "\
body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Tahoma,sans-serif;margin:0 auto;max-width:52rem;padding:1rem 1.25rem;color:#1b1b1b;background:#fff}\
nav{border-bottom:1px solid #ddd;padding-bottom:.5rem;margin-bottom:1rem}\
nav a{margin-inline-end:1rem}\
a{color:#0645ad}\
.banner{background:#fff4ce;border:1px solid #e0c36c;padding:.5rem .75rem;border-radius:4px}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:start;vertical-align:top}\
th{background:#f4f4f4}\
li:has(> input[type=checkbox]){list-style:none}\
.placeholder{font-family:ui-monospace,monospace;background:#eef;padding:0 .25rem;border-radius:3px}\
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4}\
pre{padding:.5rem;overflow:auto}\
@media print{nav,.banner{display:none}}";

/// A whole page. `root` is the relative path from this page to the export's top (`""` or
/// `"../"`). The labels are English; the content (runbooks, names) takes its direction from its
/// own text (`dir="auto"`), so an Arabic runbook reads right to left.
pub fn page(title: &str, org: &str, root: &str, body: &str, exported_at: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {org}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <nav><a href=\"{root}index.html\">Index</a><a href=\"{root}status.html\">Status</a>\
         <a href=\"{root}contacts.html\">Contacts</a><a href=\"{root}routes.html\">Routes</a></nav>\n\
         <p class=\"banner\">Break-glass copy exported {exported_at}: live data (monitor states, \
         actions, who is on call now) is not included.</p>\n<main dir=\"auto\">\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
        org = escape(org),
        exported_at = escape(exported_at),
    );
    out
}
