//! `/api/v1/postmortems`, `/api/v1/metrics/response` and `/api/v1/review`: post-mortems (the
//! file on disk is their text), response metrics, and the weekly review.

use axum::Json;
use axum::extract::{Path, Query, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tocsin_core::incident::IncidentState;
use tocsin_core::postmortem::{ActionItem, action_items};
use tocsin_core::response_metrics::MonthRow;
use tocsin_engine::postmortem::PostmortemView;
use tocsin_engine::postmortem_git::PushFailure;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// A post-mortem: its deadline, status and file.
#[derive(Debug, Serialize, ToSchema)]
pub struct Postmortem {
    /// The incident's id.
    incident: String,
    title: String,
    severity: String,
    due_at: Timestamp,
    /// `draft`, `published` or `overdue`.
    status: &'static str,
    /// The file's full path.
    path: String,
    /// Whether the file exists.
    written: bool,
}

fn view(view: &PostmortemView) -> Postmortem {
    Postmortem {
        incident: view.incident_id.clone(),
        title: view.title.clone(),
        severity: view.severity.clone(),
        due_at: view.due_at,
        status: view.status,
        path: view.path.display().to_string(),
        written: view.written,
    }
}

/// A `- [ ]` line of a post-mortem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItemJson {
    text: String,
    owner: Option<String>,
    /// `YYYY-MM-DD`.
    due: Option<String>,
    done: bool,
    /// The incident whose post-mortem holds it (in the weekly review only).
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<String>,
    /// The ticket tracking it (`[tickets]`), when one was opened; its being closed makes the
    /// item `done`. Shown on one post-mortem only.
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<super::tickets::TicketJson>,
}

/// An item of one post-mortem with its ticket: the link tocsin wrote after the text is taken
/// off it and shown as `ticket`; a closed ticket makes the item done.
fn tracked_item(
    item: &ActionItem,
    tickets: &[tocsin_core::ticket_record::Ticket],
) -> ActionItemJson {
    let (text, link) = tocsin_core::tickets::split_link(&item.text);
    let ticket = tickets.iter().find(|ticket| match link {
        Some(url) => ticket.url.as_deref() == Some(url),
        None => ticket.item.as_deref() == Some(text),
    });
    let closed = ticket.is_some_and(|t| t.state == tocsin_core::ticket_record::TicketState::Closed);
    ActionItemJson {
        text: text.to_owned(),
        owner: item.owner.clone(),
        due: item.due.map(|due| due.to_string()),
        done: item.done || closed,
        incident: None,
        ticket: ticket.map(super::tickets::ticket_json),
    }
}

fn item(incident: Option<&str>, item: &ActionItem) -> ActionItemJson {
    ActionItemJson {
        text: item.text.clone(),
        owner: item.owner.clone(),
        due: item.due.map(|due| due.to_string()),
        done: item.done,
        incident: incident.map(str::to_owned),
        ticket: None,
    }
}

/// Post-mortems, latest deadline first, and the last failed `git push` of their commits.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostmortemList {
    postmortems: Vec<Postmortem>,
    /// The last failed push (`push = true`); `null` when none has failed since the last success.
    push_failure: Option<PushFailure>,
}

#[utoipa::path(
    get,
    path = "/api/v1/postmortems",
    operation_id = "list_postmortems",
    tag = "postmortems",
    responses((status = 200, description = "Post-mortems, latest deadline first", body = PostmortemList))
)]
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<PostmortemList>, ApiError> {
    let views = state.engine.postmortems().await?;
    Ok(Json(PostmortemList {
        postmortems: views.iter().map(view).collect(),
        push_failure: state.engine.postmortem_push_failure(),
    }))
}

/// One post-mortem with its file's text and action items.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostmortemDetail {
    #[serde(flatten)]
    postmortem: Postmortem,
    action_items: Vec<ActionItemJson>,
    /// The file as it is on disk now; `null` before it is written.
    text: Option<String>,
    /// The last failed push of post-mortem commits; `null` when none.
    push_failure: Option<PushFailure>,
}

/// One post-mortem with its file's text as it is on disk now and its action items.
#[utoipa::path(
    get,
    path = "/api/v1/postmortems/{incident}",
    operation_id = "show_postmortem",
    tag = "postmortems",
    params(("incident" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "The post-mortem", body = PostmortemDetail),
        (status = 404, description = "The incident has no post-mortem", body = ErrorBody),
    )
)]
pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<PostmortemDetail>, ApiError> {
    let (found, text) = state.engine.postmortem_text(&incident).await?;
    let tickets = state.engine.tickets(&incident).await?;
    Ok(Json(PostmortemDetail {
        postmortem: view(&found),
        action_items: text
            .as_deref()
            .map(action_items)
            .unwrap_or_default()
            .iter()
            .map(|one| tracked_item(one, &tickets))
            .collect(),
        text,
        push_failure: state.engine.postmortem_push_failure(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The file's new text (Markdown); not empty.
    text: String,
}

/// Replaces the file's text.
#[utoipa::path(
    put,
    path = "/api/v1/postmortems/{incident}",
    operation_id = "save_postmortem",
    tag = "postmortems",
    params(("incident" = String, Path, description = "The incident's id")),
    request_body = Edit,
    responses(
        (status = 200, description = "Saved; the post-mortem as `GET` shows it", body = PostmortemDetail),
        (status = 400, description = "An empty text; nothing written", body = ErrorBody),
        (status = 404, description = "The incident has no post-mortem", body = ErrorBody),
    )
)]
pub async fn save(
    _caller: Caller,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    body: Result<Json<Edit>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PostmortemDetail>, ApiError> {
    let Json(edit) = body?;
    if edit.text.trim().is_empty() {
        return Err(ApiError::bad_request("text must not be empty"));
    }
    state.engine.save_postmortem(&incident, &edit.text).await?;
    show(_caller, State(state), Path(incident)).await
}

/// Marks it done (`published`): its reminders stop.
#[utoipa::path(
    post,
    path = "/api/v1/postmortems/{incident}/publish",
    operation_id = "publish_postmortem",
    tag = "postmortems",
    params(("incident" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "Published; the post-mortem as `GET` shows it", body = PostmortemDetail),
        (status = 404, description = "The incident has no post-mortem", body = ErrorBody),
    )
)]
pub async fn publish(
    caller: Caller,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<PostmortemDetail>, ApiError> {
    state
        .engine
        .publish_postmortem(&incident, &caller.name)
        .await?;
    show(caller, State(state), Path(incident)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// How many months back, 1 to 36 (default 6).
    months: Option<u32>,
}

/// Response metrics per month and severity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseMetrics {
    months: Vec<MonthRow>,
}

#[utoipa::path(
    get,
    path = "/api/v1/metrics/response",
    operation_id = "response_metrics",
    tag = "postmortems",
    params(MetricsQuery),
    responses(
        (status = 200, description = "MTTA, MTTR and the share acknowledged within target", body = ResponseMetrics),
        (status = 400, description = "`months` outside 1 to 36", body = ErrorBody),
    )
)]
pub async fn metrics(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<MetricsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ResponseMetrics>, ApiError> {
    let Query(query) = query?;
    let months = query.months.unwrap_or(6);
    if months == 0 || months > tocsin_engine::response::MAX_MONTHS {
        return Err(ApiError::bad_request(format!(
            "months must be between 1 and {}",
            tocsin_engine::response::MAX_MONTHS
        )));
    }
    let rows = state.engine.response_metrics(months).await?;
    Ok(Json(ResponseMetrics { months: rows }))
}

/// The weekly review.
#[derive(Debug, Serialize, ToSchema)]
pub struct Review {
    from: Timestamp,
    until: Timestamp,
    /// Incidents opened in the week, oldest first.
    incidents: Vec<ReviewIncident>,
    /// Time to acknowledge and to resolve per severity, against its target.
    response: Vec<ReviewResponse>,
    /// Post-mortems due within a week, or overdue.
    postmortems: Vec<Postmortem>,
    /// Open action items, with their incident.
    action_items: Vec<ActionItemJson>,
    /// The week's incidents that matched no runbook.
    without_runbook: Vec<IncidentRef>,
}

/// An incident in the weekly review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewIncident {
    id: String,
    title: String,
    severity: String,
    state: IncidentState,
    opened_at: Timestamp,
    runbook: Option<String>,
}

/// An incident by id and title.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentRef {
    id: String,
    title: String,
}

/// One severity's response in the weekly review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewResponse {
    severity: String,
    incidents: u32,
    mtta_seconds: Option<u64>,
    mttr_seconds: Option<u64>,
    /// Share (0 to 1) acknowledged within `respond_within_seconds`.
    acknowledged_within_target: f64,
    respond_within_seconds: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/review",
    operation_id = "weekly_review",
    tag = "postmortems",
    responses((status = 200, description = "The last seven days", body = Review))
)]
pub async fn review(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Review>, ApiError> {
    let review = state.engine.weekly_review().await?;
    Ok(Json(Review {
        from: review.from,
        until: review.until,
        incidents: review
            .incidents
            .iter()
            .map(|i| ReviewIncident {
                id: i.id.clone(),
                title: i.title.clone(),
                severity: i.severity.clone(),
                state: i.state,
                opened_at: i.opened_at,
                runbook: i.runbook.clone(),
            })
            .collect(),
        response: review
            .response
            .iter()
            .map(|row| ReviewResponse {
                severity: row.severity.clone(),
                incidents: row.incidents,
                mtta_seconds: row.mtta_seconds,
                mttr_seconds: row.mttr_seconds,
                acknowledged_within_target: row.acknowledged_within_target,
                respond_within_seconds: review.targets.get(&row.severity).map(|d| d.as_secs()),
            })
            .collect(),
        postmortems: review.postmortems.iter().map(view).collect(),
        action_items: review
            .action_items
            .iter()
            .map(|(incident, one)| item(Some(incident), one))
            .collect(),
        without_runbook: review
            .without_runbook
            .iter()
            .map(|i| IncidentRef {
                id: i.id.clone(),
                title: i.title.clone(),
            })
            .collect(),
    }))
}
