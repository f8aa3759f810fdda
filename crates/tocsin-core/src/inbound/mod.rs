//! Inbound formats: pure functions from a request's bytes to what it means for tocsin —
//! signals, acknowledgements, changes — or a precise error naming the field. One file per format.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::signal::Signal;

/// What one inbound item asks of tocsin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// An alert firing or resolved.
    Signal(Signal),
    /// Acknowledge the incident holding the alert with this dedup key (PagerDuty `acknowledge`).
    Acknowledge { dedup_key: String, actor: String },
    /// A deploy, merge or push: recorded on the change log, never pages.
    Change(Change),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Deploy,
    Merge,
    Push,
    Other,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Merge => "merge",
            ChangeKind::Push => "push",
            ChangeKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "deploy" => Some(ChangeKind::Deploy),
            "merge" => Some(ChangeKind::Merge),
            "push" => Some(ChangeKind::Push),
            "other" => Some(ChangeKind::Other),
            _ => None,
        }
    }
}

/// A change to production, as a source reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `integration:<id>`.
    pub source: String,
    pub kind: ChangeKind,
    /// The source's id for it (deployment id, PR number, commit sha); with `source` it is unique.
    pub external_id: Option<String>,
    pub summary: String,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub author: Option<String>,
    /// The source's status word (`success`, `failed`, `building`, …), if it has one.
    pub status: Option<String>,
    pub url: Option<String>,
    pub occurred_at: Timestamp,
    pub details: serde_json::Value,
}

/// What a parser needs to know of the integration that received the request.
#[derive(Debug, Clone, Default)]
pub struct IntegrationContext {
    /// The integration's id: signals get `source = "integration:<id>"`.
    pub id: String,
    /// The severity when the payload's own does not map.
    pub severity: Option<String>,
    /// The tool's severity word → a tocsin severity id.
    pub severity_map: BTreeMap<String, String>,
    /// Alertmanager: which label holds the severity word (default `severity`).
    pub severity_label: Option<String>,
    pub category: Option<String>,
    pub component: Option<String>,
    pub runbook: Option<String>,
    /// The receiving time: the default for a payload's missing timestamps.
    pub now: Timestamp,
}

impl IntegrationContext {
    pub fn source(&self) -> String {
        format!("integration:{}", self.id)
    }

    /// Maps the tool's severity word, falling back to the integration's default.
    pub fn map_severity(&self, word: Option<&str>) -> Option<String> {
        word.and_then(|word| self.severity_map.get(word).or_else(|| self.severity_map.get(&word.to_lowercase())))
            .cloned()
            .or_else(|| self.severity.clone())
    }
}

/// Why a request's body was refused. `Display` names the field and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("`{0}` is required")]
    Missing(String),
    #[error("`{field}` {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl ParseError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError::Invalid { field: field.into(), message: message.into() }
    }
}
