//! Which URLs from outside (a deploy's or a merge's link, sent by an integration) the UI makes
//! into links: only `http://` and `https://` ones. A `javascript:` or `data:` URL would run in
//! tocsin's origin when a responder clicks it, so anything else is shown as text.

use minijinja::Value;

/// `http://` or `https://` (any case), then a host, with no whitespace or control character
/// anywhere (browsers drop some of those, which could turn the scheme into another one).
pub(crate) fn is_web_link(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The templates' `is web_link` test: `{% if change.url is web_link %}<a href=…>`.
pub(crate) fn web_link(value: &Value) -> bool {
    value.as_str().is_some_and(is_web_link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_are_links() {
        for url in [
            "https://github.com/dealix/api/pull/7",
            "http://deploys.internal/42",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(is_web_link(url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "https:alert(1)",
            "https:///evil",
            "https://",
            "//evil.example",
            "/incidents/1",
            "https://x.example/\njavascript:1",
            "\u{0}https://x.example",
            "",
        ] {
            assert!(!is_web_link(url), "{url:?}");
        }
        assert!(web_link(&Value::from("https://x.example")));
        assert!(!web_link(&Value::from(())));
    }
}
