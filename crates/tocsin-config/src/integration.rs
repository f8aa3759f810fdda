//! Alerts and changes from other tools: `[[integration]]`.

use std::collections::BTreeMap;
use std::time::Duration;

use tocsin_core::Secret;

/// `[[integration]]`: a webhook endpoint that turns another tool's alerts or changes into
/// tocsin's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// Identifier, part of the webhook URL. Required and unique; not `monitor`, `manual` or
    /// `tocsin`, the prefixes of tocsin's own alert keys.
    pub id: String,
    /// Which tool (`type = "sentry" | "pagerduty" | "alertmanager" | "uptimerobot" | "github" |
    /// "railway" | "generic"`) and how its requests are authenticated. Required.
    pub kind: IntegrationKind,
    /// The `[[severity]]` of incidents it opens when `severity_map` does not say.
    pub severity: Option<String>,
    /// The category of incidents it opens (a `[[route]]` category).
    pub category: Option<String>,
    /// The `[status_page]` component its incidents affect.
    pub component: Option<String>,
    /// The runbook shown on its incidents.
    pub runbook: Option<String>,
    /// The tool's own severity → a tocsin severity id, like `{ critical = "SEV-1" }`.
    pub severity_map: BTreeMap<String, String>,
    /// Alertmanager: the alert label holding the severity looked up in `severity_map`.
    /// Default `"severity"`.
    pub severity_label: Option<String>,
    /// The monthly drill fails this integration when it delivered no signal for this long, like
    /// `"7d"`. Without it the drill lists the integration as not checked.
    pub expect_every: Option<Duration>,
}

/// An integration's tool and credential. Every credential is required and must not be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationKind {
    /// `type = "sentry"`: verifies the `Sentry-Hook-Signature` header with `secret`.
    Sentry {
        /// The Sentry integration's client secret. Required.
        secret: Secret,
    },
    /// `type = "pagerduty"`: PagerDuty Events API v2 compatible; the `routing_key` must equal
    /// `key`.
    Pagerduty {
        /// The routing key senders use. Required.
        key: Secret,
    },
    /// `type = "alertmanager"`: Alertmanager webhook v4 with a bearer `token`.
    Alertmanager {
        /// The bearer token Alertmanager sends. Required.
        token: Secret,
    },
    /// `type = "uptimerobot"`: UptimeRobot alert webhooks carrying `token`.
    Uptimerobot {
        /// The token in the webhook URL. Required.
        token: Secret,
    },
    /// `type = "github"`: change events (pushes, merged PRs, deployments), signed with `secret`.
    Github {
        /// The webhook secret. Required.
        secret: Secret,
    },
    /// `type = "railway"`: the host's deployment webhooks; unsigned, so `token` rides in the URL.
    Railway {
        /// The token in the webhook URL. Required.
        token: Secret,
    },
    /// `type = "generic"`: Standard Webhooks alerts or changes from anything else.
    Generic {
        /// The Standard Webhooks signing secret (`whsec_...`). Required.
        secret: Secret,
    },
}

impl IntegrationKind {
    /// The `type` as written in the configuration.
    pub fn type_name(&self) -> &'static str {
        match self {
            IntegrationKind::Sentry { .. } => "sentry",
            IntegrationKind::Pagerduty { .. } => "pagerduty",
            IntegrationKind::Alertmanager { .. } => "alertmanager",
            IntegrationKind::Uptimerobot { .. } => "uptimerobot",
            IntegrationKind::Github { .. } => "github",
            IntegrationKind::Railway { .. } => "railway",
            IntegrationKind::Generic { .. } => "generic",
        }
    }

    /// The integration's credential.
    pub fn credential(&self) -> &Secret {
        match self {
            IntegrationKind::Sentry { secret }
            | IntegrationKind::Github { secret }
            | IntegrationKind::Generic { secret } => secret,
            IntegrationKind::Pagerduty { key } => key,
            IntegrationKind::Alertmanager { token }
            | IntegrationKind::Uptimerobot { token }
            | IntegrationKind::Railway { token } => token,
        }
    }

    /// True for the tools that send changes (deploys, merges) rather than alerts.
    pub fn sends_changes_only(&self) -> bool {
        matches!(
            self,
            IntegrationKind::Github { .. } | IntegrationKind::Railway { .. }
        )
    }
}
