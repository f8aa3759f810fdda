//! Signals in: PagerDuty Events v2 (`/v2/enqueue`, `/v2/change/enqueue`), the per-integration
//! webhooks (`/hooks/{integration}`) and heartbeat pings (`/ping/{key}`). Each request is
//! authenticated, parsed by a pure parser, and committed before the 2xx.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use subtle::ConstantTimeEq;
use tocsin_config::IntegrationKind;
use tocsin_core::inbound::{self, Inbound, IntegrationContext, ParseError};
use tocsin_engine::{Delivery, EngineError};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pagerduty_event))
        .routes(routes!(pagerduty_change))
        .routes(routes!(hook))
        .routes(routes!(ping_get, ping_post))
        .routes(routes!(ping_with_get, ping_with_post))
}

/// PagerDuty's own answer to an accepted event.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagerDutyAccepted {
    /// `success`.
    status: &'static str,
    message: &'static str,
    /// The incident key: the event's own, or one tocsin made for a trigger without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    dedup_key: Option<String>,
}

/// PagerDuty's own answer to an event it refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagerDutyInvalid {
    /// `invalid event`.
    status: &'static str,
    message: &'static str,
    /// What was wrong, one sentence each.
    errors: Vec<String>,
}

/// A webhook's signals, committed.
#[derive(Debug, Serialize, ToSchema)]
pub struct HookAccepted {
    /// `accepted`.
    status: &'static str,
    /// Signals and changes that were decided on.
    applied: usize,
    /// Items already seen (the sender's delivery id) or that changed nothing.
    ignored: usize,
}

fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The body, or the API's error: 413 past the limit, 400 otherwise.
pub(crate) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is over the {} KiB limit",
                crate::BODY_LIMIT / 1024
            ),
        ),
        _ => ApiError::bad_request(rejection.body_text()),
    })
}

fn engine_error(error: EngineError) -> Response {
    ApiError::from(error).into_response()
}

/// A firing signal that maps to no severity would be refused by the engine; say why up front.
fn check_severities(items: &[Inbound], ctx: &IntegrationContext) -> Result<(), String> {
    let unmapped = items.iter().any(|item| {
        matches!(item, Inbound::Signal(signal)
            if signal.status == tocsin_core::signal::SignalStatus::Firing && signal.severity.is_none())
    });
    if unmapped {
        return Err(format!(
            "the alert's severity maps to no tocsin severity; set `severity` or `severity_map` on integration `{}`",
            ctx.id
        ));
    }
    Ok(())
}

// ── PagerDuty Events API v2 ─────────────────────────────────────────────────────────────────

fn pd_invalid(errors: Vec<String>) -> Response {
    let body = PagerDutyInvalid {
        status: "invalid event",
        message: "Event object is invalid",
        errors,
    };
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// The PagerDuty-compatible integration whose key this is.
fn pagerduty_context(state: &AppState, routing_key: &str) -> Option<IntegrationContext> {
    let config = state.engine.config();
    let id = config
        .integrations
        .iter()
        .find_map(|integration| match &integration.kind {
            IntegrationKind::Pagerduty { key } if same(key.expose(), routing_key) => {
                Some(integration.id.clone())
            }
            _ => None,
        })?;
    state.engine.integration_context(&id)
}

#[utoipa::path(
    post,
    path = "/v2/enqueue",
    operation_id = "pagerduty_enqueue",
    tag = "signals",
    security(()),
    request_body(content = Value, description = "A PagerDuty Events API v2 event (`routing_key` = a `pagerduty` integration's `key`, `event_action` trigger/acknowledge/resolve, `dedup_key`, `payload.summary/source/severity/…`), in PagerDuty's own format"),
    responses(
        (status = 202, description = "Committed", body = PagerDutyAccepted),
        (status = 400, description = "Invalid, or an unknown `routing_key` (PagerDuty's shape)", body = PagerDutyInvalid),
        (status = 413, description = "Over the size limit", body = ErrorBody),
        (status = 429, description = "Shedding load; retry after `Retry-After`", body = ErrorBody),
    )
)]
async fn pagerduty_event(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let raw = match body(raw) {
        Ok(raw) => raw,
        Err(error) => return error.into_response(),
    };
    let event = match inbound::pagerduty::parse_event(&raw) {
        Ok(event) => event,
        Err(errors) => return pd_invalid(errors),
    };
    let Some(ctx) = pagerduty_context(&state, &event.routing_key) else {
        return pd_invalid(vec![
            "routing_key is not the key of any integration".to_owned(),
        ]);
    };
    let generated = generated_key();
    let (dedup_key, item) = event.into_inbound(&ctx, &generated);
    let items = vec![item];
    if let Err(message) = check_severities(&items, &ctx) {
        state.engine.counters().signal_rejected(&ctx.id);
        return pd_invalid(vec![message]);
    }
    match state.engine.accept(items, None).await {
        Ok(_) => {
            state.engine.counters().signals_accepted(&ctx.id, 1);
            (
                StatusCode::ACCEPTED,
                Json(PagerDutyAccepted {
                    status: "success",
                    message: "Event processed",
                    dedup_key: Some(dedup_key),
                }),
            )
                .into_response()
        }
        Err(error) => {
            state.engine.counters().signal_rejected(&ctx.id);
            engine_error(error)
        }
    }
}

#[utoipa::path(
    post,
    path = "/v2/change/enqueue",
    operation_id = "pagerduty_change_enqueue",
    tag = "signals",
    security(()),
    request_body(content = Value, description = "A PagerDuty change event (deploys, merges), in PagerDuty's own format"),
    responses(
        (status = 202, description = "Recorded", body = PagerDutyAccepted),
        (status = 400, description = "Invalid, or an unknown `routing_key` (PagerDuty's shape)", body = PagerDutyInvalid),
        (status = 413, description = "Over the size limit", body = ErrorBody),
    )
)]
async fn pagerduty_change(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let raw = match body(raw) {
        Ok(raw) => raw,
        Err(error) => return error.into_response(),
    };
    let change = match inbound::pagerduty::parse_change(&raw) {
        Ok(change) => change,
        Err(errors) => return pd_invalid(errors),
    };
    let Some(ctx) = pagerduty_context(&state, &change.routing_key) else {
        return pd_invalid(vec![
            "routing_key is not the key of any integration".to_owned(),
        ]);
    };
    let change = change.into_change(&ctx);
    match state
        .engine
        .accept(vec![Inbound::Change(change)], None)
        .await
    {
        Ok(_) => (
            StatusCode::ACCEPTED,
            Json(PagerDutyAccepted {
                status: "success",
                message: "Change event processed",
                dedup_key: None,
            }),
        )
            .into_response(),
        Err(error) => engine_error(error),
    }
}

/// A dedup key for a trigger that came without one.
fn generated_key() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

// ── /hooks/{integration} ────────────────────────────────────────────────────────────────────

#[derive(Debug, serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn unauthorized(message: &str) -> Response {
    ApiError::unauthorized(message).into_response()
}

fn parse_failed(error: ParseError) -> Response {
    ApiError::bad_request(error.to_string()).into_response()
}

/// [`hook_request`], counted for `/metrics`: a refused request of a configured integration
/// counts as one rejection (its body may not even parse into signals to count).
#[utoipa::path(
    post,
    path = "/hooks/{integration}",
    operation_id = "webhook",
    tag = "signals",
    security(()),
    params(
        ("integration" = String, Path, description = "The integration's id in the configuration"),
        ("token" = Option<String>, Query, description = "The integration's token (`uptimerobot`, `railway`)"),
    ),
    request_body(content = Value, description = "The sender's own webhook, by the integration's `type`: `alertmanager` (webhook v4), `sentry`, `github`, `uptimerobot`, `railway`, `generic` (Standard Webhooks). Authenticated per type: `Authorization: Bearer` (alertmanager), `Sentry-Hook-Signature` (with `Sentry-Hook-Timestamp` within 5 minutes), `X-Hub-Signature-256` (a repeated `X-GitHub-Delivery` is 202 and changes nothing), `?token=` (uptimerobot, railway), `webhook-id`/`webhook-timestamp`/`webhook-signature` (generic)"),
    responses(
        (status = 202, description = "Committed", body = HookAccepted),
        (status = 400, description = "Malformed; the message says what", body = ErrorBody),
        (status = 401, description = "A bad or missing signature or token", body = ErrorBody),
        (status = 404, description = "No such integration", body = ErrorBody),
        (status = 413, description = "Over the size limit", body = ErrorBody),
        (status = 429, description = "Over the integration's rate limit, or shedding load; retry after `Retry-After`", body = ErrorBody),
    )
)]
async fn hook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: RawQuery,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let response = hook_request(State(state.clone()), Path(id.clone()), query, headers, raw).await;
    let known = state.engine.config().integration(&id).is_some();
    if known && !response.status().is_success() {
        state.engine.counters().signal_rejected(&id);
    }
    response
}

async fn hook_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(integration) = state.engine.config().integration(&id).cloned() else {
        return ApiError::not_found(format!(
            "no integration `{id}`; check the URL against the configuration"
        ))
        .into_response();
    };
    let raw = match body(raw) {
        Ok(raw) => raw,
        Err(error) => return error.into_response(),
    };
    let Some(ctx) = state.engine.integration_context(&id) else {
        return ApiError::not_found(format!("no integration `{id}`")).into_response();
    };
    let token = query
        .as_deref()
        .and_then(token_from_query)
        .unwrap_or_default();
    let mut delivery = None;
    // An `issues` event closing or reopening one of tocsin's tickets (`[tickets]`).
    let mut issue = None;
    let parsed: Result<Vec<Inbound>, ParseError> = match &integration.kind {
        IntegrationKind::Alertmanager { token: expected } => {
            let sent = header(&headers, "authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !same(sent.trim(), expected.expose()) {
                return unauthorized(
                    "send the integration's token as `Authorization: Bearer <token>`",
                );
            }
            inbound::alertmanager::parse(&raw, &ctx)
        }
        IntegrationKind::Sentry { secret } => {
            let verified = inbound::sentry::verify(
                secret.expose().as_bytes(),
                header(&headers, "sentry-hook-signature"),
                header(&headers, "sentry-hook-timestamp"),
                &raw,
                state.engine.now(),
            );
            if let Err(error) = verified {
                return unauthorized(&error.to_string());
            }
            inbound::sentry::parse(header(&headers, "sentry-hook-resource"), &raw, &ctx)
        }
        IntegrationKind::Github { secret } => {
            if !inbound::github::verify_signature(
                secret.expose().as_bytes(),
                header(&headers, "x-hub-signature-256"),
                &raw,
            ) {
                return unauthorized(
                    "the X-Hub-Signature-256 header does not match the body and the webhook secret",
                );
            }
            delivery = header(&headers, "x-github-delivery").map(|id| Delivery {
                source: ctx.source(),
                id: id.to_owned(),
            });
            let event = header(&headers, "x-github-event").unwrap_or("");
            match inbound::github::issue_change(event, &raw) {
                Ok(change) => {
                    issue = change;
                    inbound::github::parse(event, &raw, &ctx)
                }
                Err(error) => Err(error),
            }
        }
        IntegrationKind::Uptimerobot { token: expected } => {
            if !same(&token, expected.expose()) {
                return unauthorized("add the integration's token to the URL as `?token=<token>`");
            }
            inbound::uptimerobot::parse(
                &raw,
                header(&headers, "content-type"),
                query.as_deref(),
                &ctx,
            )
        }
        IntegrationKind::Railway { token: expected } => {
            if !same(&token, expected.expose()) {
                return unauthorized("add the integration's token to the URL as `?token=<token>`");
            }
            inbound::railway::parse(&raw, &ctx)
        }
        IntegrationKind::Generic { secret } => {
            let verified = inbound::generic::verify(
                secret.expose(),
                header(&headers, "webhook-id"),
                header(&headers, "webhook-timestamp"),
                header(&headers, "webhook-signature"),
                &raw,
                state.engine.now(),
            );
            if let Err(error) = verified {
                return unauthorized(&error.to_string());
            }
            delivery = header(&headers, "webhook-id").map(|id| Delivery {
                source: ctx.source(),
                id: id.to_owned(),
            });
            inbound::generic::parse(&raw, &ctx)
        }
        IntegrationKind::Pagerduty { .. } => {
            return ApiError::bad_request("a pagerduty integration receives events at /v2/enqueue")
                .into_response();
        }
    };
    // Only an authenticated request gets this far (each kind answers 401 above): junk from
    // outside never uses the integration's rate-limit budget, so it cannot 429 real alerts.
    if let Err(limited) = state.limits.admit(&id) {
        return limited.into_response();
    }
    let items = match parsed {
        Ok(items) => items,
        Err(error) => return parse_failed(error),
    };
    if let Err(message) = check_severities(&items, &ctx) {
        return ApiError::bad_request(message).into_response();
    }
    let mut ticket_changed = 0;
    if let Some(issue) = issue {
        match state
            .engine
            .github_issue_changed(&issue.repo, issue.number, issue.closed, &issue.actor)
            .await
        {
            Ok(changed) => ticket_changed = usize::from(changed),
            Err(error) => return engine_error(error),
        }
    }
    match state.engine.accept(items, delivery).await {
        Ok(mut accepted) => {
            accepted.applied = accepted.applied.saturating_add(ticket_changed);
            let count = accepted.applied.saturating_add(accepted.ignored);
            state
                .engine
                .counters()
                .signals_accepted(&id, u64::try_from(count).unwrap_or(u64::MAX));
            (
                StatusCode::ACCEPTED,
                Json(HookAccepted {
                    status: "accepted",
                    applied: accepted.applied,
                    ignored: accepted.ignored,
                }),
            )
                .into_response()
        }
        Err(error) => engine_error(error),
    }
}

/// `token` from a query string.
pub(crate) fn token_from_query(query: &str) -> Option<String> {
    Query::<TokenQuery>::try_from_uri(&format!("/?{query}").parse().ok()?)
        .ok()
        .and_then(|Query(q)| q.token)
}

// ── /ping/{key} ─────────────────────────────────────────────────────────────────────────────

// Healthchecks.io takes GET or POST (and HEAD, which axum answers from GET). One handler per
// method, so that each operation of the OpenAPI document has its own id.

#[utoipa::path(
    get,
    path = "/ping/{key}",
    operation_id = "ping_get",
    tag = "signals",
    security(()),
    params(("key" = String, Path, description = "The heartbeat monitor's key")),
    responses(
        (status = 200, description = "`OK`: the job succeeded", content_type = "text/plain", body = String),
        (status = 404, description = "`not found`: no heartbeat has this key", content_type = "text/plain", body = String),
    )
)]
async fn ping_get(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    record_ping(&state, &key, None).await
}

#[utoipa::path(
    post,
    path = "/ping/{key}",
    operation_id = "ping_post",
    tag = "signals",
    security(()),
    params(("key" = String, Path, description = "The heartbeat monitor's key")),
    responses(
        (status = 200, description = "`OK`: the job succeeded", content_type = "text/plain", body = String),
        (status = 404, description = "`not found`: no heartbeat has this key", content_type = "text/plain", body = String),
    )
)]
async fn ping_post(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    record_ping(&state, &key, None).await
}

#[utoipa::path(
    get,
    path = "/ping/{key}/{suffix}",
    operation_id = "ping_with_suffix_get",
    tag = "signals",
    security(()),
    params(
        ("key" = String, Path, description = "The heartbeat monitor's key"),
        ("suffix" = String, Path, description = "`start` (a run began), `fail`, or the job's exit status (0 is success)"),
    ),
    responses(
        (status = 200, description = "`OK`", content_type = "text/plain", body = String),
        (status = 400, description = "`invalid url format`: an unknown suffix", content_type = "text/plain", body = String),
        (status = 404, description = "`not found`: no heartbeat has this key", content_type = "text/plain", body = String),
    )
)]
async fn ping_with_get(
    State(state): State<AppState>,
    Path((key, suffix)): Path<(String, String)>,
) -> Response {
    record_ping(&state, &key, Some(&suffix)).await
}

#[utoipa::path(
    post,
    path = "/ping/{key}/{suffix}",
    operation_id = "ping_with_suffix_post",
    tag = "signals",
    security(()),
    params(
        ("key" = String, Path, description = "The heartbeat monitor's key"),
        ("suffix" = String, Path, description = "`start` (a run began), `fail`, or the job's exit status (0 is success)"),
    ),
    responses(
        (status = 200, description = "`OK`", content_type = "text/plain", body = String),
        (status = 400, description = "`invalid url format`: an unknown suffix", content_type = "text/plain", body = String),
        (status = 404, description = "`not found`: no heartbeat has this key", content_type = "text/plain", body = String),
    )
)]
async fn ping_with_post(
    State(state): State<AppState>,
    Path((key, suffix)): Path<(String, String)>,
) -> Response {
    record_ping(&state, &key, Some(&suffix)).await
}

async fn record_ping(state: &AppState, key: &str, suffix: Option<&str>) -> Response {
    let plain = |status: StatusCode, text: &'static str| {
        (
            status,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            text,
        )
            .into_response()
    };
    let Ok(ping) = inbound::heartbeat::parse_suffix(suffix) else {
        return plain(StatusCode::BAD_REQUEST, "invalid url format");
    };
    match state.engine.ping(key, ping).await {
        Ok(true) => plain(StatusCode::OK, "OK"),
        Ok(false) => plain(StatusCode::NOT_FOUND, "not found"),
        Err(error) => engine_error(error),
    }
}
