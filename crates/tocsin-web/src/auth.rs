//! Bearer-token authentication for the API. `server.admin_token` bootstraps access.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use crate::{ApiError, AppState};

/// Proof that the request carried a valid token; names who made it for the timeline.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(admin) = state
            .engine
            .config()
            .server
            .admin_token
            .as_ref()
            .filter(|t| !t.is_empty())
        else {
            return Err(ApiError::unauthorized(
                "the API is closed: no token is configured; set server.admin_token in the configuration",
            ));
        };
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let Some(token) = header.and_then(|value| value.strip_prefix("Bearer ")) else {
            return Err(ApiError::unauthorized(
                "send the API token as `Authorization: Bearer <token>`",
            ));
        };
        if bool::from(token.trim().as_bytes().ct_eq(admin.expose().as_bytes())) {
            Ok(Caller {
                name: "admin".to_owned(),
            })
        } else {
            Err(ApiError::unauthorized("the API token is not valid"))
        }
    }
}
