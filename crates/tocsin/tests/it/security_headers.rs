//! Every answer carries the security headers, whatever route family answered and whatever the
//! status: the API, the status page and its JSON, the hooks, the UI, acknowledge links, health,
//! and a path nobody serves. HSTS is sent exactly when `public_url` is https.

use reqwest::Method;

use crate::support::{Sink, Target, TestApp, basic_config};

/// One request of each route family (method, path, with the admin token).
const ROUTES: &[(&str, &str, bool)] = &[
    ("GET", "/api/v1/incidents", true),
    ("GET", "/api/v1/incidents", false),
    ("POST", "/api/v1/incidents", true),
    ("GET", "/status", false),
    ("GET", "/status/feed.atom", false),
    ("GET", "/api/v2/summary.json", false),
    ("GET", "/status/confirm/not-a-token", false),
    ("POST", "/hooks/nobody", false),
    ("POST", "/v2/enqueue", false),
    ("GET", "/login", false),
    ("GET", "/incidents", false),
    ("GET", "/assets/ui.js", false),
    ("GET", "/ack/not-a-token", false),
    ("GET", "/healthz", false),
    ("GET", "/readyz", false),
    ("GET", "/metrics", true),
    ("GET", "/no/such/page", false),
];

async fn headers_of(
    app: &TestApp,
    method: &str,
    path: &str,
    token: bool,
) -> (u16, reqwest::header::HeaderMap) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.request(
        Method::from_bytes(method.as_bytes()).expect("method"),
        app.url(path),
    );
    if token {
        request = request.bearer_auth(crate::support::TOKEN);
    }
    if method == "POST" {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request.send().await.expect("request");
    (response.status().as_u16(), response.headers().clone())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

async fn app(public_url: &str) -> TestApp {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "1h", 1).replace(
        "public_url = \"http://tocsin.test\"",
        &format!("public_url = \"{public_url}\""),
    );
    TestApp::start(&config).await
}

#[tokio::test]
async fn every_route_family_answers_with_the_security_headers() {
    let app = app("http://tocsin.test").await;
    for &(method, path, token) in ROUTES {
        let (status, headers) = headers_of(&app, method, path, token).await;
        let what = format!("{method} {path} ({status})");
        let csp = header(&headers, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp:?}");
        assert!(csp.contains("base-uri 'none'"), "{what}: {csp:?}");
        assert!(
            !csp.contains("script-src 'unsafe") && !csp.contains("*"),
            "{what}: {csp:?}"
        );
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{what}"
        );
        assert_eq!(header(&headers, "x-frame-options"), "DENY", "{what}");
        assert!(
            ["same-origin", "no-referrer"].contains(&header(&headers, "referrer-policy")),
            "{what}: {:?}",
            headers.get("referrer-policy")
        );
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{what}: HSTS over plain http"
        );
    }
}

#[tokio::test]
async fn the_ui_runs_only_its_own_script_and_public_pages_none() {
    let app = app("http://tocsin.test").await;
    let (_, ui) = headers_of(&app, "GET", "/login", false).await;
    let csp = header(&ui, "content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // The login page loads exactly what the policy allows: its own stylesheet and script.
    let page = app
        .http
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("page");
    assert!(page.contains(r#"<script src="/assets/ui.js?v="#), "{page}");
    assert!(
        !page.contains("<script>") && !page.contains("style="),
        "{page}"
    );

    // The status page keeps its inline stylesheet and runs no script at all.
    let (status, page_headers) = headers_of(&app, "GET", "/status", false).await;
    assert_eq!(status, 200);
    let csp = header(&page_headers, "content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("style-src 'unsafe-inline'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    let page = crate::status::html(&app, "/status").await;
    assert!(!page.contains("<script"), "{page}");
}

#[tokio::test]
async fn hsts_only_when_the_public_url_is_https() {
    let app = app("https://tocsin.example.com").await;
    for &(method, path, token) in ROUTES {
        let (status, headers) = headers_of(&app, method, path, token).await;
        assert!(
            header(&headers, "strict-transport-security").starts_with("max-age="),
            "{method} {path} ({status})"
        );
    }
}
