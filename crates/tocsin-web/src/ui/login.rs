//! `GET/POST /login` and `POST /logout`. Sign-in is rate-limited per e-mail and answers the same
//! for an unknown e-mail and a wrong password, so it tells nobody which accounts exist.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tocsin_engine::users::UserError;

use super::Ui;
use super::auth::{self, safe_next};
use super::csrf::{Posted, read_form};
use crate::AppState;

/// Sign-in attempts allowed per e-mail: a burst of this many, then one more every 12 seconds.
const ATTEMPTS_PER_MINUTE: u32 = 5;
/// Past this many remembered e-mails, forget those whose limit has recovered, so made-up
/// addresses cannot grow the table without end.
const REMEMBERED: usize = 10_000;

pub struct LoginLimits {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
}

impl LoginLimits {
    pub fn new() -> Self {
        let rate = NonZeroU32::new(ATTEMPTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        LoginLimits {
            limiter: RateLimiter::keyed(Quota::per_minute(rate)),
        }
    }

    /// Whether another attempt for this e-mail may be checked now.
    fn admit(&self, email: &str) -> bool {
        if self.limiter.len() > REMEMBERED {
            self.limiter.retain_recent();
        }
        let key: String = email.trim().to_lowercase().chars().take(254).collect();
        self.limiter.check_key(&key).is_ok()
    }
}

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

pub async fn submit(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
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
    if !ui.login_limits.admit(email) {
        return login_page(
            &ui,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            email,
            Some("Too many sign-in attempts for this e-mail. Wait a minute, then try again."),
        );
    }
    match state.engine.sign_in(email, field("password")).await {
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
    use axum::http::HeaderValue;

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

    #[test]
    fn attempts_are_limited_per_email_whatever_its_case() {
        let limits = LoginLimits::new();
        for _ in 0..ATTEMPTS_PER_MINUTE {
            assert!(limits.admit("Dana@example.com"));
        }
        assert!(!limits.admit("dana@example.com "));
        assert!(limits.admit("sam@example.com"));
    }
}
