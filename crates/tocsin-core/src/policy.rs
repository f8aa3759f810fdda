//! What the pure engine knows of the configuration: severities, routes, escalation ladders,
//! contacts, post-mortem, runbook and customer-notice rules. Data only, built by the shell from the validated
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
    /// `[[route]]`s with `match`: tried in file order before the category routes.
    pub label_routes: Vec<LabelRouteRule>,
    pub escalations: Vec<EscalationRule>,
    pub contacts: Vec<ContactRule>,
    /// A firing alert within this long after its incident resolved reopens it.
    pub reopen_window: Duration,
    /// Which resolutions require a post-mortem, and its file name; `None` without `[postmortem]`
    /// and without any severity's `postmortem_within`.
    pub postmortem: Option<PostmortemRule>,
    /// Which runbook an incident gets, and the runbooks' checklists.
    pub runbooks: RunbookPolicy,
    /// Which customer notices an opening, reopening or resolution sends.
    pub customer_comms: CustomerCommsRule,
    /// `[tickets]`: which severities open a ticket instead of paging; `None` without tickets.
    pub tickets: Option<TicketRule>,
    /// Channels that follow each incident in one message (a Slack app's): besides what every
    /// channel of a severity's `notify` is told, they hear of acknowledgements and severity
    /// changes and get the timeline's lines (`crate::live`).
    pub live_channels: Vec<String>,
}

/// What the engine needs to know of `[tickets]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketRule {
    /// Severity ids whose incidents open a ticket and page nobody.
    pub severities: Vec<String>,
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

/// `[[route]]` with `match = { label = "value" | "~regex" }`: signals whose labels match go to
/// its escalation policy; the first matching route in file order wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRouteRule {
    pub matchers: crate::matcher::Matchers,
    pub title: String,
    pub escalation: Option<String>,
    pub runbook: Option<String>,
}

impl Policy {
    /// The first label route whose matchers the signal's labels satisfy.
    pub fn label_route(&self, signal: &crate::signal::Signal) -> Option<&LabelRouteRule> {
        self.label_routes
            .iter()
            .find(|route| route.matchers.matches_signal(signal))
    }
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

/// What the engine needs to know to tell customers (`comms`): per severity, its customer-facing
/// channels (e-mail channels with an `audience`), and which templates exist. The texts are
/// rendered by the shell (it owns the template engine); who is told what, and when, is decided
/// here.
#[derive(Debug, Clone, Default)]
pub struct CustomerCommsRule {
    /// Severity id → how its incidents are told to customers. A severity absent here tells no
    /// customer.
    pub by_severity: BTreeMap<String, SeverityComms>,
    /// The ids of the `[[template]]`s that exist, in any locale.
    pub templates: std::collections::BTreeSet<String>,
    /// The locale used for a recipient whose own has no text.
    pub default_locale: String,
}

/// One severity's customer notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeverityComms {
    /// `comms = "draft"`: each notice waits for a person's approval; otherwise it is queued at
    /// once.
    pub draft: bool,
    /// Its customer-facing channels, in `notify` order.
    pub channels: Vec<CustomerChannel>,
}

/// A customer-facing channel: who it addresses and its opening template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerChannel {
    pub id: String,
    /// `subscribers` or `affected`.
    pub audience: String,
    /// The opening template's id; `<id>-reopened` and `<id>-resolved` tell the other events.
    pub template: String,
}
