//! The security headers every response carries, set in one layer over the whole router so no
//! route (API, status page, hooks, UI, acknowledge links, health) can be left without them.
//!
//! - `Content-Security-Policy`: the signed-in UI loads its script and stylesheet from tocsin
//!   itself and nothing inline; the public pages (status page, acknowledge and drill links) run no
//!   script at all and keep their styles inline (the status page draws its bars with `style`
//!   attributes). Both forbid framing (`frame-ancestors 'none'`), `<base>` and forms posting
//!   elsewhere.
//! - `X-Frame-Options: DENY`, for browsers that predate `frame-ancestors`.
//! - `X-Content-Type-Options: nosniff`: a JSON answer echoing a title is never read as HTML.
//! - `Referrer-Policy: same-origin`, unless the handler chose a stricter one (pages answering a
//!   link with a secret in its path say `no-referrer`).
//! - `Strict-Transport-Security`, only when `server.public_url` is https: a plain-http tocsin
//!   (a laptop, a private network) must not tell browsers to refuse it later.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The signed-in UI and everything that is not a public page (JSON answers included).
const APP_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";
/// Public pages: no script anywhere, inline styles only.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Two years, the preload lists' minimum; subdomains are the operator's business.
const HSTS: &str = "max-age=63072000";

/// The paths served as public pages, each with its own small inline stylesheet.
const PAGE_PREFIXES: [&str; 3] = ["/status", "/ack/", "/drill/"];

/// What the layer needs to know of the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    https: bool,
}

impl Policy {
    /// HSTS when the address people use is https.
    pub(crate) fn new(public_url: &str) -> Policy {
        Policy {
            https: public_url
                .trim()
                .get(..8)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")),
        }
    }

    /// The content security policy for a path: the public pages' or the app's.
    fn csp_for(path: &str) -> &'static str {
        if PAGE_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
            PAGE_POLICY
        } else {
            APP_POLICY
        }
    }

    fn apply_with(self, csp: &'static str, headers: &mut HeaderMap) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if !headers.contains_key(header::REFERRER_POLICY) {
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
        }
        if self.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
    }
}

/// The middleware: `.layer(axum::middleware::from_fn_with_state(policy, headers::apply))`.
pub(crate) async fn apply(State(policy): State<Policy>, request: Request, next: Next) -> Response {
    // Chosen before the handler runs, so the path need not be kept past it.
    let csp = Policy::csp_for(request.uri().path());
    let mut response = next.run(request).await;
    policy.apply_with(csp, response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Policy {
        /// The headers a response to `path` gets.
        fn apply_to(self, path: &str, headers: &mut HeaderMap) {
            self.apply_with(Policy::csp_for(path), headers);
        }
    }

    #[test]
    fn hsts_only_when_the_public_url_is_https() {
        for (url, https) in [
            ("https://tocsin.example.com", true),
            ("HTTPS://tocsin.example.com", true),
            ("http://tocsin.example.com", false),
            ("http://127.0.0.1:8080", false),
            ("", false),
        ] {
            let mut headers = HeaderMap::new();
            Policy::new(url).apply_to("/healthz", &mut headers);
            assert_eq!(
                headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
                https,
                "{url}"
            );
        }
    }

    #[test]
    fn public_pages_run_no_script_and_the_ui_loads_only_its_own() {
        let mut page = HeaderMap::new();
        Policy::new("http://x").apply_to("/status", &mut page);
        let mut ui = HeaderMap::new();
        Policy::new("http://x").apply_to("/incidents", &mut ui);
        assert_eq!(page[header::CONTENT_SECURITY_POLICY], PAGE_POLICY);
        assert_eq!(ui[header::CONTENT_SECURITY_POLICY], APP_POLICY);
        for policy in [PAGE_POLICY, APP_POLICY] {
            assert!(policy.contains("frame-ancestors 'none'"));
            assert!(!policy.contains("script-src 'unsafe"), "{policy}");
        }
    }

    #[test]
    fn a_stricter_referrer_policy_from_the_handler_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        Policy::new("http://x").apply_to("/status/confirm/abc", &mut headers);
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    }
}
