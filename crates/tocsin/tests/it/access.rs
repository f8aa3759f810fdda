//! The route × role table (`tocsin_web::access::TABLE`) against the real server: every route the
//! router serves has a row, every row is served, and every cell — anonymous, a viewer's,
//! responder's and admin's session, a viewer, responder and admin API token — is answered as
//! the row says.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tocsin_store::Role;
use tocsin_web::access::{self, Who};

use crate::support::{Sink, Target, TestApp, basic_config};
use crate::ui::{PASSWORD, add_user, csrf, form_encode};

/// Who sends a request: nobody, a signed-in person, or an API token.
#[derive(Debug, Clone)]
enum Caller {
    Anonymous,
    Session {
        role: Role,
        cookie: String,
        csrf: String,
    },
    Token {
        role: Role,
        token: String,
    },
}

impl Caller {
    fn label(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_owned(),
            Caller::Session { role, .. } => format!("{} session", role.as_str()),
            Caller::Token { role, .. } => format!("{} token", role.as_str()),
        }
    }
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    code: Option<String>,
}

impl Answer {
    /// Sent to sign in by the session check (which always says where to come back to).
    fn sent_to_sign_in(&self) -> bool {
        self.status.is_redirection()
            && self
                .location
                .as_deref()
                .is_some_and(|to| to.starts_with("/login?next="))
    }

    fn refused(&self) -> bool {
        matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) || self.sent_to_sign_in()
    }
}

/// Every method and path the router serves, read from its `Debug` form: axum lists each
/// route's path pattern and its methods' `Allow` header there, and offers no other way to
/// enumerate them. `HEAD` is left out: it is answered as `GET`.
fn served_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let router = tocsin_web::router(app.app.engine.clone());
    let text = format!("{router:?}");
    // The routes proper; the fallback router after them numbers its own routes from 0 again.
    let text = text.split("fallback_router:").next().unwrap_or_default();
    let mut paths = BTreeMap::new();
    let mut methods = BTreeMap::new();
    for piece in text.split("RouteId(").skip(1) {
        let Some((id, rest)) = piece.split_once("): ") else {
            continue;
        };
        if let Some(path) = rest.strip_prefix('"') {
            paths.insert(id, path.split('"').next().unwrap_or_default());
        } else if let Some((_, allow)) = rest.split_once("allow_header: Bytes(b\"") {
            methods.insert(id, allow.split('"').next().unwrap_or_default());
        }
    }
    let served: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(id, path)| {
            methods
                .get(id)
                .copied()
                .unwrap_or_default()
                .split(',')
                .filter(|method| !method.is_empty() && *method != "HEAD")
                .map(|method| (method.to_owned(), (*path).to_owned()))
        })
        .collect();
    assert!(
        served.len() >= access::TABLE.len() / 2,
        "the router's routes could not be read from its Debug form: {served:?}"
    );
    served
}

/// A concrete URL path for a pattern: each `{param}` filled with something of its kind.
fn concrete(pattern: &str, incident: &str) -> String {
    pattern
        .split('/')
        .map(|segment| match segment {
            "{id}" if pattern.starts_with("/api/v1/monitors") => "api-health".to_owned(),
            "{id}" if pattern.contains("/incidents/") => incident.to_owned(),
            "{incident}" => incident.to_owned(),
            "{id}" => "nothing-here".to_owned(),
            "{item}" => "0".to_owned(),
            "{action}" => "rollback".to_owned(),
            "{draft}" => "d-none".to_owned(),
            "{token}" => "not-a-signed-token".to_owned(),
            "{file}" => "primary.ics".to_owned(),
            "{key}" => "no-such-heartbeat".to_owned(),
            "{suffix}" => "start".to_owned(),
            "{integration}" => "no-such-integration".to_owned(),
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(app: &TestApp, caller: &Caller, method: &Method, path: &str) -> Answer {
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = http.request(method.clone(), app.url(path));
    let ui_form = !path.starts_with("/api/") && !path.starts_with("/v2/");
    match caller {
        Caller::Anonymous => {}
        Caller::Session { cookie, .. } => {
            request = request.header(COOKIE, format!("tocsin_session={cookie}"));
        }
        Caller::Token { token, .. } => request = request.bearer_auth(token),
    }
    if *method != Method::GET {
        request = if path == "/login" {
            // Anyone may sign in: with right credentials it opens a session.
            request
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_encode(&[
                    ("email", "signer@example.com"),
                    ("password", PASSWORD),
                ]))
        } else if ui_form {
            let csrf = match caller {
                Caller::Session { csrf, .. } => csrf.as_str(),
                _ => "",
            };
            request
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_encode(&[
                    ("csrf", csrf),
                    ("text", "from the access test"),
                ]))
        } else {
            request.json(&json!({}))
        };
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Answer {
        status,
        location,
        code: body["error"]["code"].as_str().map(str::to_owned),
    }
}

async fn session(app: &TestApp, email: &str, role: Role) -> Caller {
    add_user(app, email, role).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let signed_in = http
        .post(app.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_encode(&[("email", email), ("password", PASSWORD)]))
        .send()
        .await
        .expect("sign in");
    let cookie = signed_in
        .headers()
        .get(SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("tocsin_session="))
        .and_then(|rest| rest.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = http
        .get(app.url("/incidents"))
        .header(COOKIE, format!("tocsin_session={cookie}"))
        .send()
        .await
        .expect("the incident list")
        .text()
        .await
        .expect("its html");
    Caller::Session {
        role,
        cookie,
        csrf: csrf(&page),
    }
}

/// Whether `caller` holds at least `role` in the way `who` asks for it.
fn holds(caller: &Caller, who: Who) -> bool {
    match (who, caller) {
        (Who::Person(needed), Caller::Session { role, .. })
        | (Who::Token(needed), Caller::Token { role, .. }) => *role >= needed,
        _ => false,
    }
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_the_table_says() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "30s", 2)).await;
    let (status, incident) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout fails", "severity": "SEV-2", "component": "api" }),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let incident = incident["id"].as_str().expect("an id").to_owned();
    add_user(&app, "signer@example.com", Role::Viewer).await;

    // Every route the router serves has a row, and every row is served.
    let served = served_routes(&app);
    let table: BTreeSet<(String, String)> = access::TABLE
        .iter()
        .map(|rule| (rule.method.to_owned(), rule.path.to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&table).collect();
    let unserved: Vec<_> = table.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "served but not in the access table (crates/tocsin-web/src/access.rs): {missing:?}"
    );
    assert!(
        unserved.is_empty(),
        "in the access table but not served: {unserved:?}"
    );

    let callers = vec![
        Caller::Anonymous,
        session(&app, "viewer@example.com", Role::Viewer).await,
        session(&app, "responder@example.com", Role::Responder).await,
        session(&app, "admin@example.com", Role::Admin).await,
        Caller::Token {
            role: Role::Viewer,
            token: crate::tokens::create(&app, "viewer"),
        },
        Caller::Token {
            role: Role::Responder,
            token: crate::tokens::create(&app, "responder"),
        },
        Caller::Token {
            role: Role::Admin,
            token: crate::tokens::create(&app, "admin"),
        },
    ];

    // Signing out ends the sessions the other rows use: it goes last.
    let mut rows: Vec<_> = access::TABLE.iter().collect();
    rows.sort_by_key(|rule| rule.path == "/logout");
    let mut wrong = Vec::new();
    for rule in rows {
        let method = Method::from_bytes(rule.method.as_bytes()).expect("a method");
        let path = concrete(rule.path, &incident);
        let cell = |caller: &Caller, answer: &Answer, expected: &str| {
            format!(
                "{} {} as {}: {} (location {:?}, code {:?}), expected {expected}",
                rule.method,
                rule.path,
                caller.label(),
                answer.status,
                answer.location,
                answer.code
            )
        };
        match rule.who {
            // Anyone: nobody is refused, so the anonymous answer says it all.
            Who::Anyone => {
                let answer = send(&app, &Caller::Anonymous, &method, &path).await;
                if answer.refused() || answer.status.is_server_error() {
                    wrong.push(cell(&Caller::Anonymous, &answer, "an answer for anyone"));
                }
            }
            // Links and signals: who sends them makes no difference at all.
            Who::Link | Who::Integration => {
                let first = send(&app, &Caller::Anonymous, &method, &path).await;
                for caller in &callers[1..] {
                    let answer = send(&app, caller, &method, &path).await;
                    if answer.status != first.status {
                        wrong.push(cell(
                            caller,
                            &answer,
                            &format!("{} as for anyone", first.status),
                        ));
                    }
                }
            }
            Who::Person(_) | Who::Token(_) => {
                for caller in &callers {
                    let answer = send(&app, caller, &method, &path).await;
                    let allowed = holds(caller, rule.who);
                    let ok = if allowed {
                        !answer.refused() && !answer.status.is_server_error()
                    } else {
                        match (rule.who, caller) {
                            // No session: sent to sign in.
                            (Who::Person(_), Caller::Anonymous | Caller::Token { .. }) => {
                                answer.sent_to_sign_in()
                            }
                            (Who::Person(_), Caller::Session { .. }) => {
                                answer.status == StatusCode::FORBIDDEN
                            }
                            // No token: 401; a token below the role: 403.
                            (Who::Token(_), Caller::Anonymous | Caller::Session { .. }) => {
                                answer.status == StatusCode::UNAUTHORIZED
                            }
                            _ => answer.status == StatusCode::FORBIDDEN,
                        }
                    };
                    if !ok {
                        let expected = if allowed { "allowed" } else { "refused" };
                        wrong.push(cell(caller, &answer, expected));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
