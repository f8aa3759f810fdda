//! Who may use each route: one table of every route tocsin serves and what each method asks of
//! the caller. The handlers' extractors (`auth::Caller`, `ui::SignedInUser`, the signed-link and
//! signature checks) enforce it; `guard` refuses any route the table does not name, so a route
//! added without a decision about who may call it fails closed (500) instead of being served;
//! the integration test `access::every_route_answers_each_kind_of_caller_as_the_table_says` walks
//! the router and checks every cell with real requests.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tocsin_core::access::Role;

use crate::ApiError;

/// What a route asks of whoever calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone at all: the public status page, sign-in, health and metrics, static assets.
    Anyone,
    /// Whoever holds the signed, expiring token in the link itself (acknowledge, drill and
    /// subscription links, calendar feeds); a session or API token neither helps nor hinders.
    Link,
    /// A signal from an integration, authenticated its own way (routing key, signature, token,
    /// heartbeat key); a session or API token neither helps nor hinders.
    Integration,
    /// A signed-in person (session cookie) of at least this role; anyone else is sent to sign in.
    Person(Role),
    /// An API token (`Authorization: Bearer …`) of at least this role: 401 without one, 403 below.
    Token(Role),
}

/// One cell row of the table: a method on a path (in the router's `{param}` syntax).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
}

const fn rule(method: &'static str, path: &'static str, who: Who) -> Rule {
    Rule { method, path, who }
}

use Who::{Anyone, Integration, Link, Person, Token};
const VIEWER: Role = Role::Viewer;
const RESPONDER: Role = Role::Responder;
const ADMIN: Role = Role::Admin;

/// Every route tocsin serves. `HEAD` is answered as `GET`. Reads need a viewer, changes a
/// responder; the drill (it pages everyone), the configuration and people and tokens need an
/// admin.
pub const TABLE: &[Rule] = &[
    // ── service endpoints ──
    rule("GET", "/healthz", Anyone),
    rule("GET", "/readyz", Anyone),
    // Prometheus scrapes without credentials; it carries counts, never names or text.
    rule("GET", "/metrics", Anyone),
    // ── signals in ──
    rule("POST", "/v2/enqueue", Integration),
    rule("POST", "/v2/change/enqueue", Integration),
    rule("POST", "/hooks/{integration}", Integration),
    rule("POST", "/slack/interactive", Integration),
    rule("POST", "/hooks/sms/{channel}", Integration),
    rule("POST", "/hooks/slack/interactive", Integration),
    rule("POST", "/hooks/slack/commands", Integration),
    rule("GET", "/ping/{key}", Integration),
    rule("POST", "/ping/{key}", Integration),
    rule("GET", "/ping/{key}/{suffix}", Integration),
    rule("POST", "/ping/{key}/{suffix}", Integration),
    // ── the public status page ──
    rule("GET", "/status", Anyone),
    rule("GET", "/status/feed.atom", Anyone),
    rule("POST", "/status/subscribe", Anyone),
    rule("GET", "/status/confirm/{token}", Link),
    rule("POST", "/status/confirm/{token}", Link),
    rule("GET", "/status/unsubscribe/{token}", Link),
    rule("POST", "/status/unsubscribe/{token}", Link),
    rule("GET", "/api/v2/summary.json", Anyone),
    rule("GET", "/api/v2/status.json", Anyone),
    rule("GET", "/api/v2/components.json", Anyone),
    rule("GET", "/api/v2/incidents.json", Anyone),
    rule("GET", "/api/v2/incidents/unresolved.json", Anyone),
    // ── links sent to people ──
    rule("GET", "/ack/{token}", Link),
    rule("POST", "/ack/{token}", Link),
    rule("GET", "/drill/confirm/{token}", Link),
    rule("POST", "/drill/confirm/{token}", Link),
    rule("GET", "/oncall/{file}", Link),
    // ── the API ──
    rule("GET", "/api/v1/openapi.json", Token(VIEWER)),
    rule("GET", "/api/v1/incidents", Token(VIEWER)),
    rule("POST", "/api/v1/incidents", Token(RESPONDER)),
    rule("GET", "/api/v1/incidents/{id}", Token(VIEWER)),
    rule("GET", "/api/v1/incidents/{id}/timeline", Token(VIEWER)),
    rule(
        "POST",
        "/api/v1/incidents/{id}/acknowledge",
        Token(RESPONDER),
    ),
    rule("POST", "/api/v1/incidents/{id}/resolve", Token(RESPONDER)),
    rule("POST", "/api/v1/incidents/{id}/notes", Token(RESPONDER)),
    rule("POST", "/api/v1/incidents/{id}/severity", Token(RESPONDER)),
    rule(
        "PUT",
        "/api/v1/incidents/{id}/public_title",
        Token(RESPONDER),
    ),
    rule("POST", "/api/v1/incidents/{id}/updates", Token(RESPONDER)),
    rule(
        "POST",
        "/api/v1/incidents/{id}/checklist/{item}",
        Token(RESPONDER),
    ),
    rule("GET", "/api/v1/incidents/{id}/actions", Token(VIEWER)),
    rule(
        "POST",
        "/api/v1/incidents/{id}/actions/{action}",
        Token(RESPONDER),
    ),
    rule("GET", "/api/v1/incidents/{id}/comms", Token(VIEWER)),
    rule(
        "POST",
        "/api/v1/incidents/{id}/comms/{draft}/approve",
        Token(RESPONDER),
    ),
    rule("POST", "/api/v1/incidents/{id}/affected", Token(RESPONDER)),
    rule("GET", "/api/v1/monitors", Token(VIEWER)),
    rule("GET", "/api/v1/monitors/{id}/uptime", Token(VIEWER)),
    rule("GET", "/api/v1/deliveries", Token(VIEWER)),
    rule("GET", "/api/v1/oncall", Token(VIEWER)),
    rule("GET", "/api/v1/oncall/overrides", Token(VIEWER)),
    rule("POST", "/api/v1/oncall/overrides", Token(RESPONDER)),
    rule("DELETE", "/api/v1/oncall/overrides/{id}", Token(RESPONDER)),
    rule("GET", "/api/v1/drills", Token(VIEWER)),
    rule("POST", "/api/v1/drills", Token(ADMIN)),
    rule("GET", "/api/v1/drills/{id}", Token(VIEWER)),
    rule("GET", "/api/v1/postmortems", Token(VIEWER)),
    rule("GET", "/api/v1/postmortems/{incident}", Token(VIEWER)),
    rule("PUT", "/api/v1/postmortems/{incident}", Token(RESPONDER)),
    rule(
        "POST",
        "/api/v1/postmortems/{incident}/publish",
        Token(RESPONDER),
    ),
    rule("GET", "/api/v1/metrics/response", Token(VIEWER)),
    rule("GET", "/api/v1/review", Token(VIEWER)),
    rule("GET", "/api/v1/changes", Token(VIEWER)),
    // A tracker other than GitHub reports a ticket closed or reopened with a responder token.
    rule("POST", "/api/v1/tickets/{id}/close", Token(RESPONDER)),
    rule("POST", "/api/v1/tickets/{id}/reopen", Token(RESPONDER)),
    rule("POST", "/api/v1/changes", Token(RESPONDER)),
    rule("GET", "/api/v1/runbooks", Token(VIEWER)),
    // ── the web UI ──
    rule("GET", "/", Anyone),
    rule("GET", "/assets/ui.css", Anyone),
    rule("GET", "/assets/ui.js", Anyone),
    rule("GET", "/login", Anyone),
    rule("POST", "/login", Anyone),
    rule("POST", "/logout", Person(VIEWER)),
    rule("GET", "/incidents", Person(VIEWER)),
    rule("GET", "/incidents/fragment", Person(VIEWER)),
    rule("GET", "/incidents/{id}", Person(VIEWER)),
    rule("GET", "/incidents/{id}/live", Person(VIEWER)),
    rule("POST", "/incidents/{id}/acknowledge", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/resolve", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/severity", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/notes", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/updates", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/public_title", Person(RESPONDER)),
    rule(
        "POST",
        "/incidents/{id}/actions/{action}",
        Person(RESPONDER),
    ),
    rule(
        "POST",
        "/incidents/{id}/comms/{draft}/approve",
        Person(RESPONDER),
    ),
    rule(
        "POST",
        "/incidents/{id}/checklist/{item}",
        Person(RESPONDER),
    ),
    rule("GET", "/monitors", Person(VIEWER)),
    rule("GET", "/oncall", Person(VIEWER)),
    rule("GET", "/deliveries", Person(VIEWER)),
    rule("GET", "/config", Person(ADMIN)),
    rule("GET", "/drills", Person(VIEWER)),
    rule("POST", "/drills/run", Person(ADMIN)),
    rule("GET", "/drills/{id}", Person(VIEWER)),
    rule("GET", "/postmortems", Person(VIEWER)),
    rule("GET", "/postmortems/{incident}", Person(VIEWER)),
    rule("POST", "/postmortems/{incident}", Person(RESPONDER)),
    rule("POST", "/postmortems/{incident}/publish", Person(RESPONDER)),
    rule("GET", "/review", Person(VIEWER)),
    rule("GET", "/runbooks", Person(VIEWER)),
    // ── people and tokens (admins) ──
    rule("GET", "/admin/people", Person(ADMIN)),
    rule("POST", "/admin/people/users/disable", Person(ADMIN)),
    rule("POST", "/admin/people/users/enable", Person(ADMIN)),
    rule("POST", "/admin/people/users/role", Person(ADMIN)),
    rule("POST", "/admin/people/users/remove", Person(ADMIN)),
    rule("POST", "/admin/people/sessions/end", Person(ADMIN)),
    rule("POST", "/admin/people/tokens", Person(ADMIN)),
    rule("POST", "/admin/people/tokens/revoke", Person(ADMIN)),
    // ── the configuration ──
    // A new file changes who is paged and how: admins only (SIGHUP does the same).
    rule("POST", "/-/reload", Token(ADMIN)),
    // ── incident roles, merging, snoozing ──
    rule("POST", "/api/v1/incidents/{id}/roles", Token(RESPONDER)),
    rule("POST", "/api/v1/incidents/{id}/merge", Token(RESPONDER)),
    rule("POST", "/api/v1/incidents/{id}/snooze", Token(RESPONDER)),
    rule("POST", "/incidents/{id}/roles", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/merge", Person(RESPONDER)),
    rule("POST", "/incidents/{id}/snooze", Person(RESPONDER)),
    // ── silences ──
    rule("GET", "/api/v1/silences", Token(VIEWER)),
    rule("POST", "/api/v1/silences", Token(RESPONDER)),
    rule("DELETE", "/api/v1/silences/{id}", Token(RESPONDER)),
    rule("GET", "/silences", Person(VIEWER)),
    rule("POST", "/silences", Person(RESPONDER)),
    rule("POST", "/silences/{id}/expire", Person(RESPONDER)),
];

/// The table's answer for a request's method on a route pattern.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    TABLE
        .iter()
        .find(|rule| rule.method == method && rule.path == path)
}

/// Serves only the routes the table names: a route without a row is a decision nobody made, so
/// it is not served — 405 for a method the table does not list on a path it knows (the method
/// router's own answer for a method it lacks passes through here too), 500 and an error in the
/// log for a path the table does not know at all.
pub async fn guard(request: Request, next: Next) -> Response {
    let Some(matched) = request.extensions().get::<MatchedPath>() else {
        return next.run(request).await;
    };
    // The common case — a route the table names — costs one lookup and no copy.
    if rule_for(request.method(), matched.as_str()).is_some() {
        return next.run(request).await;
    }
    let path = matched.as_str().to_owned();
    let methods: Vec<&str> = TABLE
        .iter()
        .filter(|rule| rule.path == path)
        .map(|rule| rule.method)
        .collect();
    if methods.is_empty() {
        tracing::error!(method = %request.method(), %path, "route missing from the access table");
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "route_not_in_access_table",
            format!(
                "{} {path} is not in tocsin's access table (crates/tocsin-web/src/access.rs), so \
                 it is not served; this is a bug in tocsin",
                request.method()
            ),
        )
        .into_response();
    }
    let allow = methods.join(", ");
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{path} answers {allow}"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The table as markdown, for docs/security.md (a test keeps the page's copy current).
pub fn markdown_table() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| method | path | credential | anonymous | viewer | responder | admin |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for rule in TABLE {
        let (credential, cells) = match rule.who {
            Anyone => ("none", ["yes"; 4]),
            Link => ("the signed token in the link", ["link"; 4]),
            Integration => ("the integration's own key or signature", ["signal"; 4]),
            Person(role) => ("session (signed in)", cells_from(role)),
            Token(role) => ("API token", cells_from(role)),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {credential} | {} |",
            rule.method,
            rule.path,
            cells.join(" | ")
        );
    }
    out
}

/// `yes` for each role at or above `least`, `—` below it and for anonymous callers.
fn cells_from(least: Role) -> [&'static str; 4] {
    let at = |role: Role| if role >= least { "yes" } else { "—" };
    ["—", at(Role::Viewer), at(Role::Responder), at(Role::Admin)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
    const START: &str = "<!-- access table: generated from crates/tocsin-web/src/access.rs -->\n";
    const END: &str = "<!-- end of the access table -->";

    /// docs/security.md shows the table the code serves. `TOCSIN_WRITE_DOCS=1 cargo test -p
    /// tocsin-web access` rewrites the page's copy.
    #[test]
    fn the_security_page_shows_this_table() {
        let page = std::fs::read_to_string(PAGE).expect("docs/security.md");
        let (before, rest) = page
            .split_once(START)
            .expect("the page marks the table's start");
        let (_, after) = rest
            .split_once(END)
            .expect("the page marks the table's end");
        let current = format!("{before}{START}{}{END}{after}", markdown_table());
        if std::env::var_os("TOCSIN_WRITE_DOCS").is_some() {
            std::fs::write(PAGE, &current).expect("write docs/security.md");
        }
        assert!(
            page == current,
            "docs/security.md's access table is stale: run `TOCSIN_WRITE_DOCS=1 cargo test -p \
             tocsin-web access`"
        );
    }

    #[test]
    fn each_method_and_path_has_one_row() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in TABLE {
            assert!(
                seen.insert((rule.method, rule.path)),
                "{} {} is in the table twice",
                rule.method,
                rule.path
            );
        }
    }

    #[test]
    fn head_is_answered_as_get_and_the_drill_needs_an_admin() {
        assert_eq!(
            rule_for(&Method::HEAD, "/status").map(|rule| rule.who),
            Some(Anyone)
        );
        assert_eq!(
            rule_for(&Method::POST, "/api/v1/drills").map(|rule| rule.who),
            Some(Token(ADMIN))
        );
        assert!(rule_for(&Method::PATCH, "/status").is_none());
    }
}
