//! `[tickets]`: the tracker that severities listed in `severities` open a ticket in instead of
//! paging anyone, and that a published post-mortem's action items become tickets in.

use tocsin_core::Secret;

/// `[tickets]`: where tickets are opened. Optional: without it every severity pages as its
/// route says and action items stay in the post-mortem file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tickets {
    /// `type`: GitHub issues or a generic webhook.
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
        /// `repo`: `owner/name`. Required.
        repo: String,
        /// `token`: a token that may write the repository's issues, sent as
        /// `Authorization: Bearer`. Required; a secret.
        token: Secret,
        /// `api_url`: the REST API's root. Default `"https://api.github.com"`.
        api_url: String,
    },
    /// `type = "webhook"`: a JSON `POST` to `url` per ticket, signed like the webhook channel
    /// (Standard Webhooks) when `secret` is set; the answer names the ticket.
    Webhook {
        /// `url`. Required.
        url: String,
        /// `secret`: a Standard Webhooks secret (`whsec_…`). Optional.
        secret: Option<Secret>,
    },
}

impl Tickets {
    /// `api_url` when left out.
    pub const GITHUB_API: &'static str = "https://api.github.com";
}
