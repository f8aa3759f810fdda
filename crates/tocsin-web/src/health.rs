//! `/healthz` (the store answers) and `/readyz` (migrations ran, workers started).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// `{"status": "ok"}`, `{"status": "unavailable"}` or `{"status": "ready"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "service",
    security(()),
    responses(
        (status = 200, description = "The store answers: `{\"status\": \"ok\"}`", body = Health),
        (status = 503, description = "The store does not answer: `{\"status\": \"unavailable\"}`", body = Health),
    )
)]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.engine.ping_database().await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok" })),
        Err(error) => {
            tracing::error!(%error, "health check: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                }),
            )
        }
    }
}

/// The router is only served after migrations ran and the workers started, so being able to
/// answer at all means ready.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "service",
    security(()),
    responses((status = 200, description = "Migrations ran and the workers started: `{\"status\": \"ready\"}`", body = Health))
)]
async fn readyz() -> Json<Health> {
    Json(Health { status: "ready" })
}
