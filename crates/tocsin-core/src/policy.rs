//! What the pure engine knows of the configuration: severities, routes, escalation ladders,
//! contacts, post-mortem and runbook rules. Data only, built by the shell from the validated
//! configuration; the rules that use it (`escalation`, `postmortem`, `checklist`, `decide`) import
//! it, and it imports none of them.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::runbook::RunbookPolicy;

/// What the engine needs to know of the configuration.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub severities: Vec<SeverityRule>,
    pub routes: Vec<RouteRule>,
    pub escalations: Vec<EscalationRule>,
    pub contacts: Vec<ContactRule>,
    /// A firing alert within this long after its incident resolved reopens it.
    pub reopen_window: Duration,
    /// Which resolutions require a post-mortem, and its file name; `None` without `[postmortem]`
    /// and without any severity's `postmortem_within`.
    pub postmortem: Option<PostmortemRule>,
    /// Which runbook an incident gets, and the runbooks' checklists.
    pub runbooks: RunbookPolicy,
}

#[derive(Debug, Clone)]
pub struct SeverityRule {
    pub id: String,
    pub respond_within: Duration,
    /// Channels told when an incident of this level opens, resolves or misses its response target.
    pub notify: Vec<String>,
    /// Whether incidents of this level page people through their route's escalation policy.
    pub pages: bool,
    /// While open, the owner is reminded to post an update this often (`update_every`).
    pub update_every: Option<Duration>,
}

impl Policy {
    pub fn severity(&self, id: &str) -> Option<&SeverityRule> {
        self.severities.iter().find(|rule| rule.id == id)
    }
}

/// `[[route]]`: a category's escalation policy. `*` is the default route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    pub category: String,
    pub escalation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRule {
    pub id: String,
    /// Extra runs of the whole ladder after the first.
    pub repeat: u32,
    pub steps: Vec<StepRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRule {
    pub targets: Vec<PageTarget>,
    /// How long this step waits for an acknowledgement before the next one runs.
    pub after: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageTarget {
    Schedule(String),
    Contact(String),
}

/// A person who can be paged, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRule {
    pub id: String,
    pub name: String,
    /// `email` or a channel id, in the contact's order; every one is used.
    pub methods: Vec<String>,
}

/// What the engine needs to know of `[postmortem]` and the severities' `postmortem_within`.
#[derive(Debug, Clone)]
pub struct PostmortemRule {
    /// Severity id → how long after resolution its post-mortem is due.
    pub due_after: BTreeMap<String, Duration>,
    /// The file name pattern (`{date}`, `{slug}`, `{id}`, `{severity}`).
    pub file: String,
    /// The organisation's zone: `{date}` and the timeline's times are local.
    pub zone: TimeZone,
}
