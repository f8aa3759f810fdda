//! Mitigation actions and customer communications in the API: run an action, list its runs,
//! list and approve customer-notice drafts, name an incident's affected customers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tocsin_engine::DraftEdit;

use super::ApiJson;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// An optional JSON body: empty means every field's default.
fn optional_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|error| ApiError::bad_request(format!("the body is not valid: {error}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    #[serde(default)]
    confirm: bool,
}

/// `POST /api/v1/incidents/{id}/actions/{action}`: runs it and answers with the finished run.
/// An action with `confirm = true` needs `{"confirm": true}`.
pub async fn run(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body: RunBody = optional_body(&body)?;
    let run = state
        .engine
        .run_action(&id, &action, &caller.name, body.confirm)
        .await?;
    Ok((StatusCode::OK, Json(json!(run))))
}

/// `GET /api/v1/incidents/{id}/actions`: the configured actions and this incident's runs.
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let runs = state.engine.action_runs(&id).await?;
    let actions: Vec<Value> = state
        .engine
        .actions()
        .iter()
        .map(|action| {
            json!({
                "id": action.id,
                "title": action.title,
                "type": match action.kind {
                    tocsin_config::ActionKind::Http { .. } => "http",
                    tocsin_config::ActionKind::Command { .. } => "command",
                },
                "confirm": action.confirm,
                "timeout_seconds": action.timeout.as_secs_f64(),
            })
        })
        .collect();
    Ok(Json(json!({ "actions": actions, "runs": runs })))
}

/// `GET /api/v1/incidents/{id}/comms`: customer notices, drafts and approved ones.
pub async fn comms(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let comms = state.engine.comms(&id).await?;
    Ok(Json(json!({ "comms": comms })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    locale: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// `POST /api/v1/incidents/{id}/comms/{draft}/approve`: sends a draft, edited if asked.
pub async fn approve(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, draft)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!(approved)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffectedBody {
    emails: Vec<String>,
}

/// `POST /api/v1/incidents/{id}/affected`: names the customers an incident affects.
pub async fn add_affected(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AffectedBody>,
) -> Result<Json<Value>, ApiError> {
    let added = state
        .engine
        .add_affected(&id, &body.emails, &caller.name)
        .await?;
    let affected = state.engine.affected(&id).await?;
    Ok(Json(json!({ "added": added, "affected": affected })))
}
