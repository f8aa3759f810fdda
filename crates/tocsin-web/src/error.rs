//! The one error type of the HTTP API and its one JSON shape: `{"error": {"code", "message"}}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tocsin_core::decide::Refusal;
use tocsin_engine::{EngineError, TokenError};
use utoipa::ToSchema;

/// Every API error's body: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable word for programs: `invalid_request`, `not_found`, `unauthorized`,
    /// `forbidden`, `conflict`, `busy`, `unavailable`, `internal`, …
    code: &'static str,
    /// What was wrong, in one sentence for people.
    message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for a `Retry-After` header (429 and 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Refused(Refusal::State { .. } | Refusal::Conflict(_)) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", error.to_string())
            }
            EngineError::Refused(Refusal::NoIncident)
            | EngineError::NoIncident(_)
            | EngineError::NoTicket(_) => ApiError::not_found(error.to_string()),
            EngineError::Refused(Refusal::UnknownSeverity(_) | Refusal::Invalid(_)) => {
                ApiError::bad_request(error.to_string())
            }
            EngineError::Token(TokenError::Forged | TokenError::Expired | TokenError::Used) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", error.to_string())
            }
            EngineError::Busy => ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "busy",
                    "tocsin is busy; retry in a second",
                )
            },
            EngineError::Unavailable(detail) => {
                tracing::error!(%detail, "could not commit");
                ApiError {
                    retry_after: Some(1),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "tocsin could not commit; retry",
                    )
                }
            }
            EngineError::Store(store) => {
                // The detail goes to the log, never to the client.
                tracing::error!(error = %store, "store error while answering a request");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "tocsin could not reach its database; try again",
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::bad_request(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(rejection.body_text())
    }
}
