//! `POST /-/reload`: reads the configuration file and its runbooks again and puts them in force,
//! as Prometheus's and Alertmanager's `/-/reload` do (SIGHUP does the same). Admins only. A file
//! with errors changes nothing: the answer lists every problem with its place.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tocsin_core::access::Role;
use tocsin_engine::reload::{Changes, Diff, ReloadError};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reload))
}

/// The configuration was read again and is in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// Always `true`.
    reloaded: bool,
    changes: ReloadChanges,
}

/// What the reload changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadChanges {
    /// Monitors by id: added ones are first checked at their slot, removed ones stop (their
    /// history is kept), changed ones are checked as the new file says from their next slot.
    monitors: IdChanges,
    /// Channels by id: queued messages and pages go where the new file points.
    channels: IdChanges,
    /// Runbooks by id.
    runbooks: IdChanges,
    /// The other sections that changed, by their name in the file (`severity`, `escalation`,
    /// …).
    sections: Vec<String>,
    /// Settings read only at start-up (`server.listen`, `server.database`, `server.replica`, …)
    /// whose new value waits for a restart; they keep their running value.
    ignored: Vec<String>,
    /// The new file's warnings, as `tocsin check` prints them.
    warnings: Vec<String>,
}

/// Ids added, removed and changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdChanges {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

/// The file was refused: `{"error": {"code", "message"}, "problems": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadRefused {
    error: RefusedDetail,
    /// Every problem found, in file and position order.
    problems: Vec<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedDetail {
    /// `invalid_configuration`.
    code: &'static str,
    message: String,
}

/// One problem in the configuration file or a runbook.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// The file it is in.
    file: String,
    /// 1-based; 0 for the whole file.
    line: usize,
    /// 1-based, in characters; 0 for the whole file.
    column: usize,
    /// What was wrong, naming the key.
    message: String,
    /// What to do about it, when there is something useful to say.
    help: Option<String>,
}

fn id_changes(diff: Diff) -> IdChanges {
    IdChanges {
        added: diff.added,
        removed: diff.removed,
        changed: diff.changed,
    }
}

fn wire(changes: Changes) -> ReloadChanges {
    ReloadChanges {
        monitors: id_changes(changes.monitors),
        channels: id_changes(changes.channels),
        runbooks: id_changes(changes.runbooks),
        sections: changes.sections.iter().map(|s| (*s).to_owned()).collect(),
        ignored: changes.ignored.iter().map(|s| (*s).to_owned()).collect(),
        warnings: changes.warnings,
    }
}

#[utoipa::path(
    post,
    path = "/-/reload",
    operation_id = "reload",
    tag = "service",
    responses(
        (status = 200, description = "The configuration was read again and is in force", body = Reloaded),
        (status = 400, description = "The file has errors: nothing changed; every problem is listed", body = ReloadRefused),
        (status = 500, description = "The file is valid but could not be put in force (the database did not answer): nothing changed", body = ErrorBody),
    )
)]
pub async fn reload(caller: Caller, State(state): State<AppState>) -> Result<Response, ApiError> {
    // A new configuration changes who is paged and how: an admin's decision (the access table,
    // `crate::access::TABLE`, says the same).
    if caller.role < Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "reloading the configuration needs an admin token",
        ));
    }
    match state.engine.reload(&caller.name).await {
        Ok(changes) => Ok(Json(Reloaded {
            reloaded: true,
            changes: wire(changes),
        })
        .into_response()),
        Err(ReloadError::Invalid(errors)) => {
            let problems: Vec<Problem> = errors
                .iter()
                .map(|problem| Problem {
                    file: problem.file.display().to_string(),
                    line: problem.line,
                    column: problem.column,
                    message: problem.message.clone(),
                    help: problem.help.clone(),
                })
                .collect();
            let message = format!(
                "the configuration has {} {}; nothing changed, the running configuration stays",
                problems.len(),
                if problems.len() == 1 {
                    "error"
                } else {
                    "errors"
                }
            );
            let body = ReloadRefused {
                error: RefusedDetail {
                    code: "invalid_configuration",
                    message,
                },
                problems,
            };
            Ok((StatusCode::BAD_REQUEST, Json(body)).into_response())
        }
        // The detail (a database error, the mailer's) is in the log, never in the answer.
        Err(ReloadError::Failed(_)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the configuration is valid but could not be put in force; nothing changed (the log says why)",
        )),
    }
}
