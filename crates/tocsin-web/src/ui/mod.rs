//! The signed-in web UI: incidents, monitors, on-call, deliveries and the configuration, rendered
//! on the server (minijinja, auto-escaped) with one CSS file and one small script.
//!
//! Live parts poll, they do not stream: the script fetches a server-rendered HTML fragment
//! (`/incidents/fragment?…`, `/incidents/{id}/live`) every 5 seconds and swaps it in. Polling
//! survives proxies and sleeping laptops, holds no connection per open tab, and reuses the very
//! templates of the full page; five seconds is quick enough for a person watching. Without
//! JavaScript every page still works, one reload at a time.
//!
//! Every page needs a session (see `auth`); every form carries the session's CSRF token
//! (see `csrf`); viewers see no action forms, and their POSTs are refused with 403.

mod actions;
mod auth;
pub use auth::session_token;
mod charts;
mod config;
mod coordination;
mod csrf;
mod deliveries;
mod drills;
mod incidents;
mod links;
mod login;
mod monitors;
mod oncall;
mod people;
mod postmortems;
mod runbooks;
mod silences;
mod view;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use minijinja::Environment;

use crate::AppState;

pub(crate) use auth::SignedInUser;

const CSS: &str = include_str!("../../static/ui.css");
const JS: &str = include_str!("../../static/ui.js");

/// The UI's own state, beside `AppState`: its templates and the sign-in rate limit.
pub(crate) struct Ui {
    env: Environment<'static>,
    login_limits: login::LoginLimits,
    /// Appended to the asset URLs, so a new build's CSS and script replace cached ones at once.
    css_version: String,
    js_version: String,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ui")
    }
}

/// FNV-1a: a stable fingerprint of an asset for its URL (not a security measure).
fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

impl Ui {
    fn new() -> Self {
        let mut env = Environment::new();
        env.add_test("web_link", links::web_link);
        for (name, source) in [
            (
                "ui/layout.html",
                include_str!("../../templates/ui/layout.html"),
            ),
            (
                "ui/login.html",
                include_str!("../../templates/ui/login.html"),
            ),
            (
                "ui/message.html",
                include_str!("../../templates/ui/message.html"),
            ),
            (
                "ui/incidents.html",
                include_str!("../../templates/ui/incidents.html"),
            ),
            (
                "ui/incident_rows.html",
                include_str!("../../templates/ui/incident_rows.html"),
            ),
            (
                "ui/incident.html",
                include_str!("../../templates/ui/incident.html"),
            ),
            (
                "ui/incident_live.html",
                include_str!("../../templates/ui/incident_live.html"),
            ),
            (
                "ui/incident_head.html",
                include_str!("../../templates/ui/incident_head.html"),
            ),
            (
                "ui/incident_body.html",
                include_str!("../../templates/ui/incident_body.html"),
            ),
            (
                "ui/monitors.html",
                include_str!("../../templates/ui/monitors.html"),
            ),
            (
                "ui/oncall.html",
                include_str!("../../templates/ui/oncall.html"),
            ),
            (
                "ui/deliveries.html",
                include_str!("../../templates/ui/deliveries.html"),
            ),
            (
                "ui/config.html",
                include_str!("../../templates/ui/config.html"),
            ),
            (
                "ui/drills.html",
                include_str!("../../templates/ui/drills.html"),
            ),
            (
                "ui/postmortems.html",
                include_str!("../../templates/ui/postmortems.html"),
            ),
            (
                "ui/postmortem.html",
                include_str!("../../templates/ui/postmortem.html"),
            ),
            (
                "ui/review.html",
                include_str!("../../templates/ui/review.html"),
            ),
            (
                "ui/incident_runbook.html",
                include_str!("../../templates/ui/incident_runbook.html"),
            ),
            (
                "ui/runbooks.html",
                include_str!("../../templates/ui/runbooks.html"),
            ),
            (
                "ui/action_confirm.html",
                include_str!("../../templates/ui/action_confirm.html"),
            ),
            (
                "ui/people.html",
                include_str!("../../templates/ui/people.html"),
            ),
            (
                "ui/silences.html",
                include_str!("../../templates/ui/silences.html"),
            ),
        ] {
            // The templates are part of the binary; a syntax error is caught by the tests.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, template = name, "a built-in template does not compile");
            }
        }
        Ui {
            env,
            login_limits: login::LoginLimits::new(),
            css_version: fingerprint(CSS),
            js_version: fingerprint(JS),
        }
    }

    /// Renders a template; a rendering failure is logged and answered with a plain 500.
    fn render(&self, status: StatusCode, name: &str, context: minijinja::Value) -> Response {
        let context = minijinja::context! {
            css_version => &self.css_version,
            js_version => &self.js_version,
            ..context
        };
        match self
            .env
            .get_template(name)
            .and_then(|template| template.render(context))
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(%error, template = name, "page rendering failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "tocsin could not render this page",
                )
                    .into_response()
            }
        }
    }

    /// A page of the signed-in UI: the template gets `user` (email, role, `can_act`, `admin`), the
    /// session's `csrf` token and the `nav` entry to highlight, beside `context`.
    fn page(
        &self,
        status: StatusCode,
        user: &SignedInUser,
        nav: &str,
        name: &str,
        context: minijinja::Value,
    ) -> Response {
        self.render(
            status,
            name,
            minijinja::context! {
                user => minijinja::context! {
                    email => &user.email,
                    role => user.role.as_str(),
                    can_act => user.can_act(),
                    admin => user.role == tocsin_core::access::Role::Admin,
                },
                csrf => &user.csrf_token,
                nav => nav,
                ..context
            },
        )
    }

    /// A page that says one thing: why something was refused, or that it failed.
    fn message(
        &self,
        status: StatusCode,
        user: Option<&SignedInUser>,
        title: &str,
        text: &str,
    ) -> Response {
        let context =
            minijinja::context! { title => title, text => text, status => status.as_u16() };
        match user {
            Some(user) => self.page(status, user, "", "ui/message.html", context),
            None => self.render(status, "ui/message.html", context),
        }
    }

    /// A store or engine failure: the detail goes to the log, the person gets a calm sentence.
    fn failure(&self, user: &SignedInUser, error: &dyn std::fmt::Display) -> Response {
        tracing::error!(%error, "a UI page could not be built");
        self.message(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(user),
            "tocsin could not load this page",
            "The database did not answer. Reload in a few seconds; if it keeps failing, check \
             tocsin's log.",
        )
    }
}

pub fn routes() -> Router<AppState> {
    let ui = Arc::new(Ui::new());
    Router::new()
        .route("/", get(|| async { Redirect::to("/incidents") }))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/incidents", get(incidents::list))
        .route("/incidents/fragment", get(incidents::rows))
        .route("/incidents/{id}", get(incidents::show))
        .route("/incidents/{id}/live", get(incidents::live))
        .route("/incidents/{id}/acknowledge", post(incidents::acknowledge))
        .route("/incidents/{id}/resolve", post(incidents::resolve))
        .route("/incidents/{id}/severity", post(incidents::severity))
        .route("/incidents/{id}/notes", post(incidents::note))
        .route("/incidents/{id}/updates", post(incidents::update))
        .route(
            "/incidents/{id}/public_title",
            post(incidents::public_title),
        )
        // ── mitigation actions and customer communications ──
        .route("/incidents/{id}/actions/{action}", post(actions::run))
        .route(
            "/incidents/{id}/comms/{draft}/approve",
            post(actions::approve),
        )
        .route("/monitors", get(monitors::page))
        .route("/oncall", get(oncall::page))
        .route("/deliveries", get(deliveries::page))
        .route("/config", get(config::page))
        .route("/drills", get(drills::page))
        .route("/drills/run", post(drills::run))
        .route("/drills/{id}", get(drills::show))
        .route("/postmortems", get(postmortems::list))
        .route(
            "/postmortems/{incident}",
            get(postmortems::show).post(postmortems::save),
        )
        .route(
            "/postmortems/{incident}/publish",
            post(postmortems::publish),
        )
        .route("/review", get(postmortems::review))
        // ── runbooks ──
        .route("/incidents/{id}/checklist/{item}", post(runbooks::tick))
        .route("/runbooks", get(runbooks::page))
        // ── people, sessions and API tokens (admins only) ──
        .route("/admin/people", get(people::page))
        .route("/admin/people/users/disable", post(people::disable))
        .route("/admin/people/users/enable", post(people::enable))
        .route("/admin/people/users/role", post(people::role))
        .route("/admin/people/users/remove", post(people::remove))
        .route("/admin/people/sessions/end", post(people::end_session))
        .route("/admin/people/tokens", post(people::create_token))
        .route("/admin/people/tokens/revoke", post(people::revoke_token))
        // ── incident roles, merging, snoozing ──
        .route("/incidents/{id}/roles", post(coordination::assign))
        .route("/incidents/{id}/merge", post(coordination::merge))
        .route("/incidents/{id}/snooze", post(coordination::snooze))
        // ── silences ──
        .route("/silences", get(silences::page).post(silences::create))
        .route("/silences/{id}/expire", post(silences::expire))
        .layer(axum::middleware::from_fn(page_headers))
        .route("/assets/ui.css", get(css))
        .route("/assets/ui.js", get(js))
        .layer(Extension(ui))
}

/// Every UI page is personal and live (who is signed in, the incident as it is now), so none is
/// cached. The security headers (CSP, framing, nosniff, referrer) come from `crate::headers`,
/// over the whole router.
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Assets are addressed by their fingerprint (`?v=`), so they may be cached for a year.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let ui = Ui::new();
        for name in [
            "ui/layout.html",
            "ui/login.html",
            "ui/message.html",
            "ui/incidents.html",
            "ui/incident_rows.html",
            "ui/incident.html",
            "ui/incident_live.html",
            "ui/incident_head.html",
            "ui/incident_body.html",
            "ui/monitors.html",
            "ui/oncall.html",
            "ui/deliveries.html",
            "ui/config.html",
            "ui/drills.html",
            "ui/people.html",
        ] {
            assert!(ui.env.get_template(name).is_ok(), "{name} does not compile");
        }
    }

    #[test]
    fn asset_fingerprints_follow_the_content() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
