//! Server-rendered pages (minijinja, HTML auto-escaped by the `.html` template names) for the
//! acknowledge links, and the on-call calendar feeds. The incident page notifications link to is
//! the signed-in UI's (`ui/`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::Environment;

use crate::AppState;

/// The compiled-in templates.
pub struct Pages {
    env: Environment<'static>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

impl Pages {
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in [
            ("layout.html", include_str!("../templates/layout.html")),
            ("ack.html", include_str!("../templates/ack.html")),
            ("refused.html", include_str!("../templates/refused.html")),
            (
                "drill_link.html",
                include_str!("../templates/drill_link.html"),
            ),
        ] {
            // The templates are part of the binary; a syntax error is caught by the tests.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, template = name, "a built-in template does not compile");
            }
        }
        Pages { env }
    }

    /// Renders a page; a rendering failure is logged and answered with a plain 500.
    pub fn render(&self, status: StatusCode, name: &str, context: minijinja::Value) -> Response {
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
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/oncall/{file}", get(calendar))
}

#[derive(Debug, serde::Deserialize)]
struct CalendarQuery {
    token: Option<String>,
}

/// `/oncall/{schedule}.ics?token=…`: the schedule's next eight weeks for a phone's calendar.
async fn calendar(
    State(state): State<AppState>,
    Path(file): Path<String>,
    axum::extract::Query(query): axum::extract::Query<CalendarQuery>,
) -> Response {
    let Some(schedule) = file.strip_suffix(".ics") else {
        return crate::ApiError::not_found("calendar feeds end in .ics").into_response();
    };
    match state
        .engine
        .calendar(schedule, query.token.as_deref().unwrap_or(""))
        .await
    {
        Ok(Some(ics)) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            )],
            ics,
        )
            .into_response(),
        Ok(None) => crate::ApiError::not_found(format!("no schedule `{schedule}`")).into_response(),
        Err(error) => crate::ApiError::from(error).into_response(),
    }
}
