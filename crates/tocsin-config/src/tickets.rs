//! `[tickets]`: the tracker that severities listed in `severities` open a ticket in instead of
//! paging anyone, and that a published post-mortem's action items become tickets in.

use tocsin_core::Secret;

/// `[tickets]`: where tickets are opened. Optional: without it every severity pages as its
/// route says and action items stay in the post-mortem file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tickets {
    /// Where tickets go (`type = "github" | "webhook"`) and its settings. Required.
    pub tracker: Tracker,
    /// `[[severity]]` ids whose incidents open a ticket and page nobody, like `["SEV-4"]`.
    /// Default: none (only action items become tickets).
    pub severities: Vec<String>,
}

/// Where tickets go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracker {
    /// `type = "github"`: issues opened with `POST {api_url}/repos/{repo}/issues`.
    Github {
        /// The repository, `owner/name`, like `"dealix/ops"`. Required.
        repo: String,
        /// A token that may write the repository's issues (docs/integrations/tickets.md), sent
        /// as `Authorization: Bearer`, like `"${GITHUB_TOKEN}"`. Required; a secret.
        token: Secret,
        /// The REST API's root (GitHub Enterprise: `https://HOST/api/v3`). Default
        /// `"https://api.github.com"`.
        api_url: String,
    },
    /// `type = "webhook"`: a JSON `POST` to `url` per ticket, signed like the webhook channel
    /// (Standard Webhooks) when `secret` is set; the answer names the ticket.
    Webhook {
        /// Where each ticket is posted (`http://` or `https://`). Required.
        url: String,
        /// A Standard Webhooks secret (`whsec_…`) the posts are signed with, like the webhook
        /// channel's. Optional.
        secret: Option<Secret>,
    },
}

impl Tickets {
    /// `api_url` when left out.
    pub const GITHUB_API: &'static str = "https://api.github.com";
}
