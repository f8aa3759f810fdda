//! E-mail subscriptions from the status page: the form posts here, a confirmation link is mailed
//! (double opt-in), and every message carries an unsubscribe link. The answers never say whether
//! an address was already subscribed. Sign-ups are limited per client address and overall
//! (`sign_up_limit.rs`: 429 with `Retry-After`).
//!
//! A link in a mail only shows a page with one button (`GET`); the button (`POST`) acts, like an
//! acknowledge link. Mail scanners and link previews follow every link, and must neither confirm
//! a subscription nobody asked for nor end one. Mail clients' one-click unsubscribe (RFC 8058)
//! posts to the same address, so it acts at once.

use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tocsin_core::decide::Refusal;
use tocsin_engine::{EngineError, SubscriptionLink};

use super::Shared;
use super::i18n::{self, Strings};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize)]
pub(super) struct SubscribeForm {
    email: String,
    lang: Option<String>,
}

/// The language to answer in: the requested one when offered, else the page's.
fn locale(state: &AppState, requested: Option<&str>) -> Option<String> {
    let config = state.engine.config();
    let page = config.status_page.as_ref()?;
    Some(
        requested
            .filter(|lang| config.org.locales.iter().any(|known| known == lang))
            .unwrap_or(page.locale.as_str())
            .to_owned(),
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
    button: Option<&str>,
) -> Response {
    let config = state.engine.config();
    let title = config
        .status_page
        .as_ref()
        .map_or("", |page| page.title.as_str());
    let context = minijinja::context! {
        t => minijinja::Value::from(minijinja::value::Serde(t)),
        title => title,
        heading => heading,
        text => text,
        button => button,
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

/// The socket peer: `tocsin serve`'s accept loop records it on every request. Without it (a
/// router served some other way) only the overall limit holds.
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

pub(super) async fn subscribe(
    State(state): State<AppState>,
    status: Shared,
    peer: Peer,
    headers: HeaderMap,
    form: Result<Form<SubscribeForm>, FormRejection>,
) -> Response {
    let form = form.ok().map(|Form(form)| form);
    let requested = form.as_ref().and_then(|f| f.lang.clone());
    let Some(locale) = locale(&state, requested.as_deref()) else {
        return no_status_page();
    };
    let t = i18n::strings(&locale);
    if !state.engine.subscriptions_open() {
        return message(
            &status,
            &state,
            StatusCode::NOT_FOUND,
            t,
            t.subscribe,
            t.subscriptions_closed,
            None,
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
            None,
        );
    };
    let peer = peer.map(|Extension(ConnectInfo(address))| address);
    let client = crate::client_addr::from_peer(
        peer,
        &headers,
        &state.engine.config().server.trusted_proxies,
    );
    if let Err(retry_after) = status.sign_ups.admit(client, state.engine.now()) {
        let mut response = message(
            &status,
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            t,
            t.too_many,
            t.too_many_text,
            None,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return response;
    }
    match state.engine.subscribe(&form.email, &locale).await {
        // The same answer whether the mail went out, was sent lately or is not needed.
        Ok(_) => message(
            &status,
            &state,
            StatusCode::OK,
            t,
            t.check_inbox,
            t.check_inbox_text,
            None,
        ),
        Err(EngineError::Refused(Refusal::Invalid(_))) => message(
            &status,
            &state,
            StatusCode::BAD_REQUEST,
            t,
            t.subscribe,
            t.invalid_email,
            None,
        ),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The page for a link that does not work (forged, expired, or its sign-up forgotten).
fn link_not_working(state: &AppState, status: &Shared, locale: &str) -> Response {
    let t = i18n::strings(locale);
    message(
        status,
        state,
        StatusCode::NOT_FOUND,
        t,
        t.link_not_working,
        t.link_not_working_text,
        None,
    )
}

/// `GET`: says what the button will do, changes nothing.
async fn show(state: &AppState, status: &Shared, token: &str, link: SubscriptionLink) -> Response {
    let Some(default) = locale(state, None) else {
        return no_status_page();
    };
    match state.engine.check_subscription_link(token, link).await {
        Ok(subscriber) => {
            let t = i18n::strings(&subscriber.locale);
            let (heading, text, button) = match link {
                SubscriptionLink::Confirm => (t.confirm_heading, t.confirm_text, t.confirm_button),
                SubscriptionLink::Unsubscribe => (
                    t.unsubscribe_heading,
                    t.unsubscribe_text,
                    t.unsubscribe_button,
                ),
            };
            message(
                status,
                state,
                StatusCode::OK,
                t,
                heading,
                text,
                Some(button),
            )
        }
        Err(EngineError::Token(_)) => link_not_working(state, status, &default),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `POST`: confirms or unsubscribes, and says so.
async fn act(state: &AppState, status: &Shared, token: &str, link: SubscriptionLink) -> Response {
    let Some(default) = locale(state, None) else {
        return no_status_page();
    };
    let done = match link {
        SubscriptionLink::Confirm => state.engine.confirm_subscription(token).await,
        SubscriptionLink::Unsubscribe => state.engine.unsubscribe(token).await,
    };
    match done {
        Ok(subscriber) => {
            let t = i18n::strings(&subscriber.locale);
            let (heading, text) = match link {
                SubscriptionLink::Confirm => (t.confirmed, t.confirmed_text),
                SubscriptionLink::Unsubscribe => (t.unsubscribed, t.unsubscribed_text),
            };
            message(status, state, StatusCode::OK, t, heading, text, None)
        }
        Err(EngineError::Token(_)) => link_not_working(state, status, &default),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `GET /status/confirm/{token}`: the page of the double opt-in's second step.
pub(super) async fn show_confirm(
    State(state): State<AppState>,
    status: Shared,
    Path(token): Path<String>,
) -> Response {
    show(&state, &status, &token, SubscriptionLink::Confirm).await
}

/// `POST /status/confirm/{token}`: confirms.
pub(super) async fn confirm(
    State(state): State<AppState>,
    status: Shared,
    Path(token): Path<String>,
) -> Response {
    act(&state, &status, &token, SubscriptionLink::Confirm).await
}

/// `GET /status/unsubscribe/{token}`: the page with the unsubscribe button.
pub(super) async fn show_unsubscribe(
    State(state): State<AppState>,
    status: Shared,
    Path(token): Path<String>,
) -> Response {
    show(&state, &status, &token, SubscriptionLink::Unsubscribe).await
}

/// `POST /status/unsubscribe/{token}`: the button, or the mail client's one-click unsubscribe
/// (RFC 8058); ends the subscription at once.
pub(super) async fn unsubscribe(
    State(state): State<AppState>,
    status: Shared,
    Path(token): Path<String>,
) -> Response {
    act(&state, &status, &token, SubscriptionLink::Unsubscribe).await
}
