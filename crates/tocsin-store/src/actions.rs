//! Records of mitigation actions and customer communications.

use jiff::Timestamp;
use serde::Serialize;
use tocsin_core::notice::CustomerText;

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

/// A customer notice as kept: a draft or approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommsRecord {
    pub id: String,
    pub incident_id: String,
    pub channel: String,
    pub event: String,
    pub audience: String,
    pub default_locale: String,
    pub texts: std::collections::BTreeMap<String, CustomerText>,
    /// `draft` or `approved`.
    pub status: String,
    pub created_at: Timestamp,
    pub approved_by: Option<String>,
    pub approved_at: Option<Timestamp>,
}

/// Why an approval changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproveOutcome {
    Approved,
    NoSuchDraft,
    AlreadyApproved,
}

/// A customer mail claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommsMail {
    /// Also its Message-ID, the same on every retry.
    pub id: String,
    pub incident_id: String,
    pub recipient: String,
    /// The status-page subscriber it is addressed to (audience `subscribers`), whose
    /// unsubscribe link it carries; `None` for a customer named on the incident.
    pub subscriber_id: Option<i64>,
    pub locale: String,
    pub attempts: u32,
    /// The text in the recipient's locale (or the notice's default locale).
    pub text: CustomerText,
}
