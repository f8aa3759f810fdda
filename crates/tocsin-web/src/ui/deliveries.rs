//! `/deliveries`: the latest messages tocsin sent or is trying to send, with their attempts.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::view::{Times, When, value};
use super::{SignedInUser, Ui};
use crate::AppState;

/// The page shows this many, newest first.
const LIMIT: u32 = 200;

#[derive(Debug, Serialize)]
struct DeliveryView {
    id: String,
    incident: Option<String>,
    channel: String,
    recipient: Option<String>,
    status: &'static str,
    attempts: u32,
    last_error: Option<String>,
    created: When,
    sent: Option<When>,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    let times = Times::of(&state);
    let deliveries = match state.engine.recent_deliveries(None, LIMIT).await {
        Ok(deliveries) => deliveries,
        Err(error) => return ui.failure(&user, &error),
    };
    let views: Vec<DeliveryView> = deliveries
        .iter()
        .map(|delivery| DeliveryView {
            id: delivery.id.clone(),
            incident: delivery.incident_id.clone(),
            channel: delivery.channel.clone(),
            recipient: delivery.recipient.clone(),
            status: delivery.status.as_str(),
            attempts: delivery.attempts,
            last_error: delivery.last_error.clone(),
            created: times.when(delivery.created_at),
            sent: times.when_opt(delivery.sent_at),
        })
        .collect();
    ui.page(
        StatusCode::OK,
        &user,
        "deliveries",
        "ui/deliveries.html",
        context! {
            deliveries => value(views),
            more => deliveries.len() == LIMIT as usize,
            zone => times.zone_name(),
        },
    )
}
