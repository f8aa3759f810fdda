//! `/api/v1/tickets/{id}/close` and `…/reopen`: a ticket tracker that is not GitHub (`[tickets]
//! type = "webhook"`) reports a ticket closed or reopened with an API token; the ticket's JSON
//! shape, shown on the incident (`ticket`, `tickets`).

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::Serialize;
use tocsin_core::ticket_record::{Ticket, TicketState};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// A ticket opened for an incident (instead of paging) or for one of its post-mortem's action
/// items.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketJson {
    /// tocsin's id for it (the one `POST /api/v1/tickets/{id}/close` takes).
    pub id: String,
    pub incident: String,
    /// `requested` (the tracker has not answered yet), `open` or `closed`.
    pub state: TicketState,
    /// The tracker's number (a GitHub issue's), once opened.
    pub number: Option<i64>,
    /// The ticket's page, once opened.
    pub url: Option<String>,
    /// The action item it tracks; `null` for the incident's own ticket.
    pub action_item: Option<String>,
    pub title: String,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

pub fn ticket_json(ticket: &Ticket) -> TicketJson {
    TicketJson {
        id: ticket.id.clone(),
        incident: ticket.incident_id.clone(),
        state: ticket.state,
        number: ticket.number,
        url: ticket.url.clone(),
        action_item: ticket.item.clone(),
        title: ticket.title.clone(),
        created_at: ticket.created_at,
        closed_at: ticket.closed_at,
    }
}

/// Marks a ticket closed: for a tracker that cannot send GitHub's `issues` hook. A timeline event
/// (`ticket_closed`) on its incident; closing a closed ticket changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/close",
    operation_id = "close_ticket",
    tag = "incidents",
    params(("id" = String, Path, description = "tocsin's id for the ticket")),
    responses(
        (status = 200, description = "The ticket as it now is", body = TicketJson),
        (status = 404, description = "No such ticket", body = ErrorBody),
    )
)]
pub async fn close(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TicketJson>, ApiError> {
    let ticket = state
        .engine
        .set_ticket_closed(&id, true, &caller.name)
        .await?;
    Ok(Json(ticket_json(&ticket)))
}

/// Marks a closed ticket open again (`ticket_reopened` on the timeline).
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/reopen",
    operation_id = "reopen_ticket",
    tag = "incidents",
    params(("id" = String, Path, description = "tocsin's id for the ticket")),
    responses(
        (status = 200, description = "The ticket as it now is", body = TicketJson),
        (status = 404, description = "No such ticket", body = ErrorBody),
    )
)]
pub async fn reopen(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TicketJson>, ApiError> {
    let ticket = state
        .engine
        .set_ticket_closed(&id, false, &caller.name)
        .await?;
    Ok(Json(ticket_json(&ticket)))
}
