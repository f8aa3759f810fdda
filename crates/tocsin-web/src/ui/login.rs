//! `GET/POST /login` and `POST /logout`. Sign-in is limited per address and per (e-mail,
//! address) pair (see `limits`), its password checks wait for a turn at the engine's gate, and it
//! answers the same for an unknown e-mail and a wrong password, so it tells nobody which
//! accounts exist.

mod limits;

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tocsin_engine::users::UserError;

use super::Ui;
use super::auth::{self, safe_next};
use super::csrf::{Posted, read_form};
use crate::AppState;

pub(crate) use limits::SignInLimits as LoginLimits;

#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_page(
    ui: &Ui,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    ui.render(
        status,
        "ui/login.html",
        minijinja::context! { next => next, email => email, error => error },
    )
}

pub async fn form(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = safe_next(query.ok().and_then(|Query(q)| q.next).as_deref());
    // Someone already signed in goes straight on.
    if let Ok(Some(_)) = auth::current(&state, &headers).await {
        return Redirect::to(&next).into_response();
    }
    login_page(&ui, StatusCode::OK, &next, "", None)
}

/// Whether a cross-origin page posted this form. The sign-in form has no session to carry a
/// CSRF token yet, so the browser's `Origin` header is checked instead (absent on old browsers,
/// which the `SameSite` cookie still covers).
fn cross_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let public_origin = public_url
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let matches_host = host.is_some_and(|host| {
        origin == format!("http://{host}") || origin == format!("https://{host}")
    });
    !(matches_host || public_origin.as_deref() == Some(origin))
}

/// The sign-in page again, 429, saying when to come back.
fn come_back_later(ui: &Ui, next: &str, email: &str, wait: Duration, why: &str) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = login_page(
        ui,
        StatusCode::TOO_MANY_REQUESTS,
        next,
        email,
        Some(&format!("{why} Wait {seconds} s, then try again.")),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let address = crate::client_addr::of(&request, &state.engine.config().server.trusted_proxies);
    // Anything but a readable form counts as empty: it fails like a wrong password.
    let fields = read_form(request, &state).await.unwrap_or_default();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let next = safe_next(fields.get("next").map(String::as_str));
    let email = field("email");
    if cross_origin(&headers, &state.engine.config().server.public_url) {
        return ui.message(
            StatusCode::FORBIDDEN,
            None,
            "Sign in on tocsin's own page",
            "This sign-in came from another site, so it was refused. Open tocsin's sign-in page \
             and sign in there.",
        );
    }
    if let Err(refused) = ui.login_limits.admit(address, email, state.engine.now()) {
        let why = match refused {
            limits::Refused::Address { .. } => "Too many sign-in attempts from your address.",
            limits::Refused::Account { .. } => {
                "Too many sign-in attempts for this e-mail from your address."
            }
        };
        return come_back_later(&ui, &next, email, refused.retry_after(), why);
    }
    // The password check waits for a turn: a flood of sign-ins cannot take the memory and CPU
    // the pager needs (see tocsin_engine::sign_in_gate).
    let turn = match state.engine.sign_in_gate().enter().await {
        Ok(turn) => turn,
        Err(busy) => {
            tracing::warn!("sign-in refused: every password check is taken");
            return come_back_later(
                &ui,
                &next,
                email,
                busy.retry_after,
                "Too many sign-in attempts at once.",
            );
        }
    };
    let outcome = state.engine.sign_in(email, field("password")).await;
    drop(turn);
    match &outcome {
        Ok(_) => ui.login_limits.succeeded(address, email),
        Err(UserError::Store(_)) => {}
        Err(_) => ui.login_limits.failed(address, email, state.engine.now()),
    }
    match outcome {
        Ok(signed_in) => {
            tracing::info!(user = %signed_in.user.email, "signed in");
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                auth::session_cookie(&state, &signed_in.token),
            );
            response
        }
        Err(UserError::Store(error)) => {
            crate::ApiError::from(tocsin_engine::EngineError::from(error)).into_response()
        }
        Err(error) => {
            if !matches!(error, UserError::WrongCredentials) {
                tracing::warn!(%error, "sign-in failed");
            }
            login_page(
                &ui,
                StatusCode::UNAUTHORIZED,
                &next,
                email,
                Some("The e-mail or the password is not right."),
            )
        }
    }
}

pub async fn logout(State(state): State<AppState>, posted: Posted) -> Response {
    if let Err(error) = state.engine.sign_out(&posted.user.session_id).await {
        return crate::ApiError::from(error).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth::cleared_cookie(&state));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_from_another_site_is_refused() {
        let mut headers = HeaderMap::new();
        assert!(!cross_origin(&headers, "https://tocsin.example.com"));
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(!cross_origin(&headers, "https://tocsin.example.com"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://tocsin.example.com"),
        );
        assert!(!cross_origin(&headers, "https://tocsin.example.com/"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(cross_origin(&headers, "https://tocsin.example.com"));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_origin(&headers, "https://tocsin.example.com"));
    }
}
