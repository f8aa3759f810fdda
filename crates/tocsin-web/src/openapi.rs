//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of tocsin's machine interfaces — the
//! service endpoints, signals in, the `/api/v1` API and the Statuspage-compatible `/api/v2` JSON
//! — derived from the handlers' `#[utoipa::path]` attributes and their types, never written by
//! hand. Those routes are mounted from the same attributes (`utoipa_axum::routes!`), so a route
//! is served exactly when it is documented. Pages for people (the UI, `/status`, links) are not
//! part of it.
//!
//! The document is behind the API token, like the rest of spec/API.md's API table where the
//! contract lists it; it describes the API, never the configuration.

use axum::Extension;
use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{AppState, access, api, health, inbound, metrics, status};
use axum::http::Method;
use tocsin_core::access::Role;

/// Where the machine interfaces live. Every path of the document starts with one of these, and
/// every route under them is registered through `routes!` (a test reads the sources for any other
/// way of mounting one).
pub const DOCUMENTED_PREFIXES: &[&str] = &[
    "/api/", "/v2/", "/hooks/", "/ping/", "/healthz", "/readyz", "/metrics", "/-/",
];

/// The name of the bearer-token security scheme.
const BEARER: &str = "bearer_token"; // also named in `ApiDoc`'s `security`

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tocsin",
        description = "tocsin's HTTP interfaces for programs: the API (`Authorization: Bearer \
                       <token>`), signals in (each integration authenticates its own way), the \
                       Atlassian Statuspage-compatible public JSON and the service endpoints. \
                       spec/API.md is the contract; this document is generated from the code \
                       that serves it."
    ),
    security(("bearer_token" = [])),
    modifiers(&BearerToken),
    components(schemas(ErrorBody)),
    tags(
        (name = "incidents", description = "Incidents and people's actions on them"),
        (name = "actions", description = "Mitigation actions (`[[action]]`) and their runs"),
        (name = "comms", description = "Customer notices and affected customers"),
        (name = "monitors", description = "Monitors, uptime and deliveries"),
        (name = "oncall", description = "Who is on call, and overrides"),
        (name = "drills", description = "The monthly drill"),
        (name = "postmortems", description = "Post-mortems, the weekly review, response metrics"),
        (name = "runbooks", description = "Checklists, the change log, the knowledge base"),
        (name = "signals", description = "Signals in: PagerDuty Events v2, webhooks, heartbeat pings"),
        (name = "status page", description = "The Statuspage-compatible public JSON"),
        (name = "service", description = "Health, readiness, Prometheus metrics and reloading the configuration"),
        (name = "meta", description = "This document"),
        (name = "silences", description = "Silences: matching signals are recorded and page nobody until they end"),
    )
)]
struct ApiDoc;

/// Declares the bearer-token scheme the API's operations require.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`server.admin_token`, or a token made with `tocsin token create --role \
                         viewer|responder|admin`. A viewer token may only read (GET).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The documented routes: every machine interface, mounted from its handler's attribute.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(inbound::routes())
        .merge(api::routes())
        .routes(routes!(document_handler))
        .merge(status::routes())
        .merge(crate::reload::routes())
        .merge(crate::sms::routes())
        .merge(crate::slack_app::routes())
}

/// The finished document: the routes' operations plus the answers every token-checked
/// operation may give (401 without a valid token, 403 for a viewer's change).
pub(crate) fn finish(mut document: Document) -> Document {
    for (path, item) in &mut document.paths.paths {
        let operations = [
            (&mut item.get, Method::GET),
            (&mut item.put, Method::PUT),
            (&mut item.post, Method::POST),
            (&mut item.delete, Method::DELETE),
            (&mut item.patch, Method::PATCH),
        ];
        for (operation, method) in operations {
            // An operation with its own `security` (the public ones) checks no token.
            let Some(operation) = operation.as_mut().filter(|op| op.security.is_none()) else {
                continue;
            };
            let mut refusals = vec![("401", "No token, or not a valid one")];
            // The 403 says what the access table asks of the token.
            match access::rule_for(&method, path).map(|rule| rule.who) {
                Some(access::Who::Token(Role::Responder)) => {
                    refusals.push(("403", "A viewer token: it may only read"));
                }
                Some(access::Who::Token(Role::Admin)) => {
                    refusals.push(("403", "Not an admin token: only admins may do this"));
                }
                _ => {}
            }
            for (status, description) in refusals {
                operation.responses.responses.insert(
                    status.to_owned(),
                    ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                        )
                        .build()
                        .into(),
                );
            }
        }
    }
    document
}

/// The document as served: built once, with the router.
#[derive(Clone, Debug)]
pub(crate) struct Served(Bytes);

impl Served {
    pub(crate) fn new(document: &Document) -> Self {
        // The document is plain data (strings, maps, numbers): serializing it cannot fail.
        let json = serde_json::to_vec(document).unwrap_or_default();
        Served(Bytes::from(json))
    }
}

/// The document for tests and tools, without a server.
pub fn document() -> Document {
    let (_, document) = documented().split_for_parts();
    finish(document)
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Value))
)]
async fn document_handler(_caller: Caller, Extension(Served(json)): Extension<Served>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// `METHOD path` for every operation of the document.
    fn operations(document: &Document) -> BTreeSet<String> {
        let json = serde_json::to_value(document).expect("the document serializes");
        let mut found = BTreeSet::new();
        for (path, item) in json["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    found.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        found
    }

    /// The machine interfaces tocsin serves (spec/API.md). Adding a route means adding it here
    /// too, on purpose; a route that disappears from the router disappears from the document
    /// (both come from `documented()`) and fails this list.
    const EXPECTED: &[&str] = &[
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "POST /v2/enqueue",
        "POST /v2/change/enqueue",
        "POST /hooks/{integration}",
        "POST /hooks/sms/{channel}",
        "GET /ping/{key}",
        "POST /ping/{key}",
        "GET /ping/{key}/{suffix}",
        "POST /ping/{key}/{suffix}",
        "GET /api/v1/openapi.json",
        "GET /api/v1/incidents",
        "POST /api/v1/incidents",
        "GET /api/v1/incidents/{id}",
        "GET /api/v1/incidents/{id}/timeline",
        "POST /api/v1/incidents/{id}/acknowledge",
        "POST /api/v1/incidents/{id}/resolve",
        "POST /api/v1/incidents/{id}/notes",
        "POST /api/v1/incidents/{id}/severity",
        "PUT /api/v1/incidents/{id}/public_title",
        "POST /api/v1/incidents/{id}/updates",
        "POST /api/v1/incidents/{id}/checklist/{item}",
        "GET /api/v1/incidents/{id}/actions",
        "POST /api/v1/incidents/{id}/actions/{action}",
        "GET /api/v1/incidents/{id}/comms",
        "POST /api/v1/incidents/{id}/comms/{draft}/approve",
        "POST /api/v1/incidents/{id}/affected",
        "GET /api/v1/monitors",
        "GET /api/v1/monitors/{id}/uptime",
        "GET /api/v1/deliveries",
        "GET /api/v1/oncall",
        "GET /api/v1/oncall/overrides",
        "POST /api/v1/oncall/overrides",
        "DELETE /api/v1/oncall/overrides/{id}",
        "GET /api/v1/drills",
        "POST /api/v1/drills",
        "GET /api/v1/drills/{id}",
        "GET /api/v1/postmortems",
        "GET /api/v1/postmortems/{incident}",
        "PUT /api/v1/postmortems/{incident}",
        "POST /api/v1/postmortems/{incident}/publish",
        "GET /api/v1/metrics/response",
        "GET /api/v1/review",
        "GET /api/v1/changes",
        "POST /api/v1/changes",
        "GET /api/v1/runbooks",
        "GET /api/v2/summary.json",
        "GET /api/v2/status.json",
        "GET /api/v2/components.json",
        "GET /api/v2/incidents.json",
        "GET /api/v2/incidents/unresolved.json",
        "POST /-/reload",
        "POST /hooks/slack/interactive",
        "POST /hooks/slack/commands",
        "GET /api/v1/silences",
        "POST /api/v1/silences",
        "DELETE /api/v1/silences/{id}",
        "POST /api/v1/incidents/{id}/roles",
        "POST /api/v1/incidents/{id}/merge",
        "POST /api/v1/incidents/{id}/snooze",
        "POST /api/v1/tickets/{id}/close",
        "POST /api/v1/tickets/{id}/reopen",
    ];

    #[test]
    fn the_document_describes_every_machine_interface_and_nothing_else() {
        let documented = operations(&document());
        let expected: BTreeSet<String> = EXPECTED.iter().map(|s| (*s).to_owned()).collect();
        let missing: Vec<_> = expected.difference(&documented).collect();
        let unexpected: Vec<_> = documented.difference(&expected).collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "missing from the document: {missing:?}; documented but not expected: {unexpected:?}"
        );
    }

    #[test]
    fn every_documented_path_is_under_a_documented_prefix() {
        for operation in operations(&document()) {
            let path = operation.split_once(' ').map_or("", |(_, path)| path);
            assert!(
                DOCUMENTED_PREFIXES.iter().any(|p| path.starts_with(p)),
                "{operation} is outside DOCUMENTED_PREFIXES"
            );
        }
    }

    /// Every Rust file under `dir`.
    fn sources(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("the source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                sources(&path, into);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                into.push(path);
            }
        }
    }

    /// `.route("…")` (and `route_service`, `nest`, `nest_service`) mounts a path without
    /// documenting it; for a machine interface that would be a route missing from the document.
    #[test]
    fn no_machine_interface_is_mounted_around_the_document() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut bypassing = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            // Test modules (this one included) build no served router.
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                for (at, _) in text.match_indices(call) {
                    // The path is the call's first argument, possibly on the next line.
                    let rest = text[at + call.len()..].trim_start();
                    let Some(literal) = rest.strip_prefix('"') else {
                        bypassing.push(format!("{}: {call} with a computed path", file.display()));
                        continue;
                    };
                    let path = literal.split('"').next().unwrap_or_default();
                    if DOCUMENTED_PREFIXES.iter().any(|p| path.starts_with(p)) {
                        bypassing.push(format!("{}: {call}\"{path}\"", file.display()));
                    }
                }
            }
        }
        assert!(
            bypassing.is_empty(),
            "mount these with `routes!` and a `#[utoipa::path]` so /api/v1/openapi.json \
             describes them: {bypassing:?}"
        );
    }

    #[test]
    fn the_api_asks_for_the_token_and_the_public_interfaces_do_not() {
        let json = serde_json::to_value(document()).expect("the document serializes");
        let declare = &json["paths"]["/api/v1/incidents"]["post"];
        assert!(
            declare.get("security").is_none(),
            "inherits the bearer token"
        );
        assert!(declare["responses"]["401"].is_object());
        assert!(declare["responses"]["403"].is_object());
        assert!(json["paths"]["/api/v1/incidents"]["get"]["responses"]["403"].is_null());
        assert_eq!(
            json["security"],
            serde_json::json!([{ "bearer_token": [] }])
        );
        let summary = &json["paths"]["/api/v2/summary.json"]["get"];
        assert!(
            summary["security"].is_array(),
            "public: its own (empty) security"
        );
        assert!(summary["responses"]["401"].is_null());
    }
}
