//! E-mail subscriptions from the status page: the form posts here, a confirmation link is mailed
//! (double opt-in), and every message carries a one-click unsubscribe link. The answers never
//! say whether an address was already subscribed.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tocsin_core::decide::Refusal;
use tocsin_engine::EngineError;

use super::Shared;
use super::i18n::{self, Strings};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(super) struct SubscribeForm {
    email: String,
    lang: Option<String>,
}

/// The language to answer in: the requested one when offered, else the page's.
fn locale<'a>(state: &'a AppState, requested: Option<&'a str>) -> Option<&'a str> {
    let config = state.engine.config();
    let page = config.status_page.as_ref()?;
    Some(
        requested
            .filter(|lang| config.org.locales.iter().any(|known| known == lang))
            .unwrap_or(page.locale.as_str()),
    )
}

/// A one-paragraph page; personal (it answers a link with a secret), so neither cached nor
/// referred onwards.
fn message(
    status: &Shared,
    state: &AppState,
    code: StatusCode,
    t: &'static Strings,
    heading: &str,
    text: &str,
) -> Response {
    let title = state
        .engine
        .config()
        .status_page
        .as_ref()
        .map_or("", |page| page.title.as_str());
    let context = minijinja::context! {
        t => minijinja::Value::from(minijinja::value::Serde(t)),
        title => title,
        heading => heading,
        text => text,
        back => format!("/status?lang={}", t.lang),
    };
    match status.render("status/message.html", context) {
        Ok(html) => {
            let mut response = (code, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(error) => error.into_response(),
    }
}

fn no_status_page() -> Response {
    ApiError::not_found("this tocsin has no status page ([status_page])").into_response()
}

pub(super) async fn subscribe(
    State(state): State<AppState>,
    status: Shared,
    form: Result<Form<SubscribeForm>, FormRejection>,
) -> Response {
    let form = form.ok().map(|Form(form)| form);
    let requested = form.as_ref().and_then(|f| f.lang.clone());
    let Some(locale) = locale(&state, requested.as_deref()) else {
        return no_status_page();
    };
    let t = i18n::strings(locale);
    if !state.engine.subscriptions_open() {
        return message(
            &status,
            &state,
            StatusCode::NOT_FOUND,
            t,
            t.subscribe,
            t.subscriptions_closed,
        );
    }
    let Some(form) = form else {
        return message(
            &status,
            &state,
            StatusCode::BAD_REQUEST,
            t,
            t.subscribe,
            t.invalid_email,
        );
    };
    match state.engine.subscribe(&form.email, locale).await {
        // The same answer whether the mail went out, was sent lately or is not needed.
        Ok(_) => message(
            &status,
            &state,
            StatusCode::OK,
            t,
            t.check_inbox,
            t.check_inbox_text,
        ),
        Err(EngineError::Refused(Refusal::Invalid(_))) => message(
            &status,
            &state,
            StatusCode::BAD_REQUEST,
            t,
            t.subscribe,
            t.invalid_email,
        ),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// What a link did, for its page.
enum Link {
    Confirm,
    Unsubscribe,
}

async fn follow(state: &AppState, status: &Shared, token: &str, link: Link) -> Response {
    let Some(default) = locale(state, None) else {
        return no_status_page();
    };
    let followed = match link {
        Link::Confirm => state.engine.confirm_subscription(token).await,
        Link::Unsubscribe => state.engine.unsubscribe(token).await,
    };
    match followed {
        Ok(subscriber) => {
            let t = i18n::strings(&subscriber.locale);
            let (heading, text) = match link {
                Link::Confirm => (t.confirmed, t.confirmed_text),
                Link::Unsubscribe => (t.unsubscribed, t.unsubscribed_text),
            };
            message(status, state, StatusCode::OK, t, heading, text)
        }
        Err(EngineError::Token(_)) => {
            let t = i18n::strings(default);
            message(
                status,
                state,
                StatusCode::NOT_FOUND,
                t,
                t.link_not_working,
                t.link_not_working_text,
            )
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `GET /status/confirm/{token}`: the double opt-in's second step.
pub(super) async fn confirm(
    State(state): State<AppState>,
    status: Shared,
    Path(token): Path<String>,
) -> Response {
    follow(&state, &status, &token, Link::Confirm).await
}

/// `GET` (the link in the message) or `POST` (RFC 8058 one-click from the mail client):
/// either ends the subscription at once and says so.
pub(super) async fn unsubscribe(
    State(state): State<AppState>,
    status: Shared,
    Path(token): Path<String>,
) -> Response {
    follow(&state, &status, &token, Link::Unsubscribe).await
}
