//! The loaded configuration: every section, typed and validated.

use std::path::PathBuf;

use crate::channels::{Channel, Smtp, Template};
use crate::error::ConfigWarning;
use crate::extras::{Action, Drill, Postmortem, StatusPage};
use crate::integration::Integration;
use crate::maintenance::Maintenance;
use crate::monitor::Monitor;
use crate::ops::{SelfMonitoring, Watchdog};
use crate::people::{Contact, Escalation, Route, Schedule};
use crate::runbook::Runbook;
use crate::types::{Engine, Org, Server, Severity};

/// A whole configuration file and its runbooks, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// What `tocsin check` reports without refusing the configuration (a severity that reaches
    /// nobody, ...), in file order.
    pub warnings: Vec<ConfigWarning>,
    /// `[server]`.
    pub server: Server,
    /// `[org]`.
    pub org: Org,
    /// `[[severity]]`, in file order (most severe first, by convention).
    pub severities: Vec<Severity>,
    /// `[[contact]]`.
    pub contacts: Vec<Contact>,
    /// `[[schedule]]`.
    pub schedules: Vec<Schedule>,
    /// `[[escalation]]`.
    pub escalations: Vec<Escalation>,
    /// `[[route]]`.
    pub routes: Vec<Route>,
    /// `[[route]]`s with `match`, in file order: tried before the category routes.
    pub label_routes: Vec<crate::label_route::LabelRoute>,
    /// `[smtp]`.
    pub smtp: Option<Smtp>,
    /// `[[channel]]`.
    pub channels: Vec<Channel>,
    /// `[[template]]`.
    pub templates: Vec<Template>,
    /// `[[monitor]]`.
    pub monitors: Vec<Monitor>,
    /// `[[integration]]`.
    pub integrations: Vec<Integration>,
    /// The runbooks of the `[runbooks]` folder, in file name order.
    pub runbooks: Vec<Runbook>,
    /// `[status_page]`.
    pub status_page: Option<StatusPage>,
    /// `[postmortem]`.
    pub postmortem: Option<Postmortem>,
    /// `[[maintenance]]`: windows during which covered monitors do not page.
    pub maintenance: Vec<Maintenance>,
    /// `[drill]`.
    pub drill: Option<Drill>,
    /// `[[action]]`.
    pub actions: Vec<Action>,
    /// `[engine]` (defaults when absent).
    pub engine: Engine,
    /// `[watchdog]`.
    pub watchdog: Option<Watchdog>,
    /// `[self_monitoring]`.
    pub self_monitoring: Option<SelfMonitoring>,
    /// `[tickets]`.
    pub tickets: Option<crate::tickets::Tickets>,
    /// Every configured secret's value (secret fields, `${file:…}` and secret-named `${VAR}`
    /// values, credentials written into URLs), to take out of any text that is shown or kept:
    /// run records, the timeline, errors, the configuration page.
    pub redactor: tocsin_core::redact::Redactor,
    /// The outbound proxy from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), for
    /// notifications, actions and the watchdog; never for probes.
    pub outbound_proxy: crate::proxy::OutboundProxy,
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Config {
    /// One line for `tocsin check`, like "ok: 9 monitors, 4 severities, ...".
    pub fn summary(&self) -> String {
        format!(
            "ok: {}, {}, {}, {}, {}, {}, {}, {}, {}",
            count(self.monitors.len(), "monitor", "monitors"),
            count(self.severities.len(), "severity", "severities"),
            count(self.channels.len(), "channel", "channels"),
            count(self.contacts.len(), "contact", "contacts"),
            count(self.schedules.len(), "schedule", "schedules"),
            count(self.escalations.len(), "escalation", "escalations"),
            count(self.integrations.len(), "integration", "integrations"),
            count(self.runbooks.len(), "runbook", "runbooks"),
            count(self.actions.len(), "action", "actions"),
        )
    }

    /// The folder post-mortem files are written to: `postmortem.dir`, else `postmortems` at
    /// the root of the repository holding the configuration file (see `postmortem.repository`).
    pub fn postmortem_dir(&self) -> PathBuf {
        match &self.postmortem {
            Some(postmortem) => postmortem.dir.clone(),
            None => crate::repository::default_repository(
                self.path
                    .parent()
                    .unwrap_or_else(|| std::path::Path::new("")),
            )
            .join("postmortems"),
        }
    }

    /// Whether any post-mortem can be required: a `[postmortem]` section or a severity with
    /// `postmortem_within`.
    pub fn requires_postmortems(&self) -> bool {
        self.postmortem.is_some()
            || self
                .severities
                .iter()
                .any(|severity| severity.postmortem_within.is_some())
    }

    /// The severity with this id.
    pub fn severity(&self, id: &str) -> Option<&Severity> {
        self.severities.iter().find(|severity| severity.id == id)
    }

    /// The channel with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|channel| channel.id == id)
    }

    /// The monitor with this id.
    pub fn monitor(&self, id: &str) -> Option<&Monitor> {
        self.monitors.iter().find(|monitor| monitor.id == id)
    }

    /// The runbook with this id.
    pub fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|runbook| runbook.id == id)
    }

    /// The contact with this id.
    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|contact| contact.id == id)
    }

    /// The contact whose `slack` user id this is (a Slack app's presses and commands).
    pub fn contact_by_slack_id(&self, slack_id: &str) -> Option<&Contact> {
        self.contacts
            .iter()
            .find(|contact| contact.slack.as_deref() == Some(slack_id))
    }

    /// The schedule with this id.
    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|schedule| schedule.id == id)
    }

    /// The escalation policy with this id.
    pub fn escalation(&self, id: &str) -> Option<&Escalation> {
        self.escalations
            .iter()
            .find(|escalation| escalation.id == id)
    }

    /// The route for this category.
    pub fn route(&self, category: &str) -> Option<&Route> {
        self.routes.iter().find(|route| route.category == category)
    }

    /// The integration with this id.
    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations
            .iter()
            .find(|integration| integration.id == id)
    }

    /// The action with this id.
    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|action| action.id == id)
    }

    /// The template with this id in `locale`, else in the default locale, else any.
    pub fn template(&self, id: &str, locale: &str) -> Option<&Template> {
        let matching = || {
            self.templates
                .iter()
                .filter(move |template| template.id == id)
        };
        matching()
            .find(|template| template.locale == locale)
            .or_else(|| matching().find(|template| template.locale == self.org.default_locale()))
            .or_else(|| matching().next())
    }
}
