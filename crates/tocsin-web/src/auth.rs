//! Bearer-token authentication for the API. `server.admin_token` bootstraps access.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use subtle::ConstantTimeEq;
use tocsin_core::access::Role;

use crate::{ApiError, AppState};

/// Proof that the request carried a valid token; names who made it for the timeline, and what
/// its role allows.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let Some(token) = header.and_then(|value| value.strip_prefix("Bearer ")) else {
            return Err(ApiError::unauthorized(
                "send the API token as `Authorization: Bearer <token>` (`server.admin_token`, or \
                 one made with `tocsin token create --role …`)",
            ));
        };
        let token = token.trim();
        let config = state.engine.config();
        let admin = config.server.admin_token.as_ref().filter(|t| !t.is_empty());
        let caller = if admin
            .is_some_and(|admin| bool::from(token.as_bytes().ct_eq(admin.expose().as_bytes())))
        {
            Some(Caller {
                name: "admin".to_owned(),
                role: Role::Admin,
            })
        } else {
            // Named on the timeline and in the log as `token "ci-deploy" (tok_ab12cd34)`.
            state.engine.api_token(token).await?.map(|record| Caller {
                name: tocsin_engine::api_tokens::caller_name(&record),
                role: record.role,
            })
        };
        let caller = caller.ok_or_else(|| {
            ApiError::unauthorized(
                "the API token is not valid: it is unknown, revoked or expired (`tocsin token \
                 list` shows which)",
            )
        })?;
        tracing::debug!(caller = %caller.name, method = %parts.method, path = %parts.uri.path(), "API request");
        // A viewer reads; anything that changes state needs a responder or an admin.
        let reads = matches!(parts.method, Method::GET | Method::HEAD);
        if !reads && caller.role == Role::Viewer {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a viewer token reads only; use a responder or admin token to change anything",
            ));
        }
        Ok(caller)
    }
}
