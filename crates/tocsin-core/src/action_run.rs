//! The audit record of a mitigation action's run: what ran, for whom, and how it ended.

use jiff::Timestamp;
use serde::Serialize;

/// How an action run ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(RunStatus::Running),
            "succeeded" => Some(RunStatus::Succeeded),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

/// One run of an `[[action]]`: the audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionRun {
    pub id: String,
    pub incident_id: String,
    pub action_id: String,
    pub requested_by: String,
    pub requested_at: Timestamp,
    /// What ran, rendered: the argv as JSON, or `METHOD url`.
    pub what: String,
    pub status: RunStatus,
    /// A command's exit status or a request's HTTP status.
    pub exit_status: Option<i64>,
    /// Output, truncated.
    pub output: Option<String>,
    pub finished_at: Option<Timestamp>,
}
