//! Form posts: every form carries its session's CSRF token in a hidden `csrf` field, checked in
//! constant time before anything else happens. `SameSite=Lax` already keeps the cookie off most
//! cross-site posts; the token also covers older browsers and same-site attackers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::{SignedInUser, Ui};
use crate::AppState;

/// A form posted from a valid session with the right CSRF token.
#[derive(Debug)]
pub struct Posted {
    pub user: SignedInUser,
    fields: HashMap<String, String>,
}

impl Posted {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A form that changes an incident: `Posted`, from a responder or an admin.
#[derive(Debug)]
pub struct Act(pub Posted);

fn ui_of(request: &Request) -> Option<Arc<Ui>> {
    request.extensions().get::<Arc<Ui>>().cloned()
}

/// The 403 page for a form whose token does not match its session.
pub fn bad_token(ui: &Ui, user: &SignedInUser) -> Response {
    ui.message(
        StatusCode::FORBIDDEN,
        Some(user),
        "This form has expired",
        "Its security token does not match your session, so nothing was changed. It may come \
         from an older sign-in or from another site. Go back, reload the page and try again.",
    )
}

/// Reads an `application/x-www-form-urlencoded` body; the last value of a repeated field wins.
pub async fn read_form(
    request: Request,
    state: &AppState,
) -> Result<HashMap<String, String>, FormRejection> {
    let axum::Form(pairs) =
        axum::Form::<Vec<(String, String)>>::from_request(request, state).await?;
    Ok(pairs.into_iter().collect())
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(ui) = ui_of(&request) else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let (mut parts, body) = request.into_parts();
        let user = SignedInUser::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let fields = match read_form(request, state).await {
            Ok(fields) => fields,
            Err(FormRejection::BytesRejection(rejection))
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                return Err(ui.message(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Some(&user),
                    "This form is too large",
                    "Nothing was changed. Shorten the text and send it again.",
                ));
            }
            // Not a form at all: it cannot carry the token.
            Err(_) => return Err(bad_token(&ui, &user)),
        };
        let sent = fields.get("csrf").map(String::as_bytes).unwrap_or_default();
        if !bool::from(sent.ct_eq(user.csrf_token.as_bytes())) {
            return Err(bad_token(&ui, &user));
        }
        Ok(Posted { user, fields })
    }
}

impl FromRequest<AppState> for Act {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(ui) = ui_of(&request) else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let posted = Posted::from_request(request, state).await?;
        if !posted.user.can_act() {
            return Err(ui.message(
                StatusCode::FORBIDDEN,
                Some(&posted.user),
                "Viewers cannot change incidents",
                &format!(
                    "You are signed in as {} with the viewer role, which can see everything but \
                     change nothing. Nothing was changed. Ask an admin for the responder role.",
                    posted.user.email
                ),
            ));
        }
        Ok(Act(posted))
    }
}
