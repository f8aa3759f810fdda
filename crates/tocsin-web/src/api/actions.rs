//! Mitigation actions and customer communications in the API: run an action, list its runs,
//! list and approve customer-notice drafts, name an incident's affected customers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tocsin_core::action_run::ActionRun;
use tocsin_core::comms::CommsRecord;
use tocsin_engine::DraftEdit;
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// An optional JSON body: empty means every field's default.
fn optional_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|error| ApiError::bad_request(format!("the body is not valid: {error}")))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// Required `true` for an action configured with `confirm = true`.
    #[serde(default)]
    confirm: bool,
}

/// `POST /api/v1/incidents/{id}/actions/{action}`: runs it and answers with the finished run.
/// An action with `confirm = true` needs `{"confirm": true}`.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/actions/{action}",
    operation_id = "run_action",
    tag = "actions",
    params(
        ("id" = String, Path, description = "The incident's id"),
        ("action" = String, Path, description = "The `[[action]]`'s id"),
    ),
    request_body(content = Option<RunBody>, description = "Optional; empty means `{\"confirm\": false}`"),
    responses(
        (status = 200, description = "The finished run; a failed action is still 200 (read `status`)", body = ActionRun),
        (status = 400, description = "An unknown action, or one that needs `confirm: true`; nothing ran", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn run(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<ActionRun>), ApiError> {
    let body: RunBody = optional_body(&body)?;
    let run = state
        .engine
        .run_action(&id, &action, &caller.name, body.confirm)
        .await?;
    Ok((StatusCode::OK, Json(run)))
}

/// A configured `[[action]]`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Action {
    id: String,
    title: String,
    /// `http` or `command`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// Whether running it needs `{"confirm": true}`.
    confirm: bool,
    timeout_seconds: f64,
}

/// The configured actions and this incident's runs (the audit trail).
#[derive(Debug, Serialize, ToSchema)]
pub struct Actions {
    actions: Vec<Action>,
    runs: Vec<ActionRun>,
}

/// `GET /api/v1/incidents/{id}/actions`: the configured actions and this incident's runs.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/actions",
    operation_id = "list_actions",
    tag = "actions",
    params(("id" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "The actions and this incident's runs", body = Actions),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Actions>, ApiError> {
    let runs = state.engine.action_runs(&id).await?;
    let actions = state
        .engine
        .actions()
        .iter()
        .map(|action| Action {
            id: action.id.clone(),
            title: action.title.clone(),
            kind: match action.kind {
                tocsin_config::ActionKind::Http { .. } => "http",
                tocsin_config::ActionKind::Command { .. } => "command",
            },
            confirm: action.confirm,
            timeout_seconds: action.timeout.as_secs_f64(),
        })
        .collect();
    Ok(Json(Actions { actions, runs }))
}

/// An incident's customer notices.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommsList {
    comms: Vec<CommsRecord>,
}

/// `GET /api/v1/incidents/{id}/comms`: customer notices, drafts and approved ones.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/comms",
    operation_id = "list_comms",
    tag = "comms",
    params(("id" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "Its customer notices, drafts and approved ones", body = CommsList),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn comms(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CommsList>, ApiError> {
    let comms = state.engine.comms(&id).await?;
    Ok(Json(CommsList { comms }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The locale whose text is edited; default the draft's default locale.
    locale: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// `POST /api/v1/incidents/{id}/comms/{draft}/approve`: sends a draft, edited if asked.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/comms/{draft}/approve",
    operation_id = "approve_comms",
    tag = "comms",
    params(
        ("id" = String, Path, description = "The incident's id"),
        ("draft" = String, Path, description = "The draft's id"),
    ),
    request_body(content = Option<ApproveBody>, description = "Optional: one locale's edited text"),
    responses(
        (status = 200, description = "Approved; its mail is queued", body = CommsRecord),
        (status = 400, description = "An unknown draft or locale", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "Already approved", body = ErrorBody),
    )
)]
pub async fn approve(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, draft)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<CommsRecord>, ApiError> {
    let body: ApproveBody = optional_body(&body)?;
    let approved = state
        .engine
        .approve_comms(
            &id,
            &draft,
            &caller.name,
            DraftEdit {
                locale: body.locale,
                subject: body.subject,
                body: body.body,
            },
        )
        .await?;
    Ok(Json(approved))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AffectedBody {
    /// Customers' e-mail addresses.
    emails: Vec<String>,
}

/// The customers an incident affects.
#[derive(Debug, Serialize, ToSchema)]
pub struct Affected {
    /// The addresses that were new.
    added: Vec<String>,
    /// Every affected address.
    affected: Vec<String>,
}

/// `POST /api/v1/incidents/{id}/affected`: names the customers an incident affects.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/affected",
    operation_id = "add_affected",
    tag = "comms",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = AffectedBody,
    responses(
        (status = 200, description = "Added; approved notices are queued to the new addresses", body = Affected),
        (status = 400, description = "A bad address; nothing added", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn add_affected(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AffectedBody>,
) -> Result<Json<Affected>, ApiError> {
    let added = state
        .engine
        .add_affected(&id, &body.emails, &caller.name)
        .await?;
    let affected = state.engine.affected(&id).await?;
    Ok(Json(Affected { added, affected }))
}
