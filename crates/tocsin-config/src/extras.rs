//! The rest of the response: `[status_page]`, `[postmortem]`, `[drill]` and `[[action]]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tocsin_core::Secret;

use crate::cron::Cron;
use crate::people::WeeklyTime;

/// `[status_page]`: the public status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPage {
    /// The page's title. Default: `org.name`.
    pub title: String,
    /// The page's language, one of `org.locales`. Default: the first of `org.locales`.
    pub locale: String,
    /// What the page shows, in order: `{ id = "api", name = "API" }`. Monitors and integrations
    /// name them in `component`.
    pub components: Vec<Component>,
}

/// One status-page component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Identifier, named by monitors' and integrations' `component`. Required and unique.
    pub id: String,
    /// Display name. Default: the id.
    pub name: String,
}

/// `[postmortem]`: when post-mortems are required and where they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postmortem {
    /// Severity ids whose incidents require a post-mortem (besides those with
    /// `postmortem_within`).
    pub required_for: Vec<String>,
    /// The working tree of the git repository post-mortems belong to, which a relative `dir`
    /// is resolved against; a relative path here is resolved against the configuration file's
    /// folder. `tocsin check` prints the folder this gives. Default: the root of the git working
    /// tree holding the configuration file (the nearest folder upwards with a `.git`), else the
    /// configuration file's folder.
    pub repository: PathBuf,
    /// Folder the post-mortem files are written to, relative to `repository`, like
    /// `"docs/ops/postmortems"`. Default `"postmortems"`.
    pub dir: PathBuf,
    /// File name pattern: `{date}` (YYYY-MM-DD of the incident's start), `{slug}` (from the
    /// title), `{id}` (the incident id), `{severity}`. Default `"{date}-{slug}.md"`.
    pub file: String,
    /// Section headings of a new post-mortem, in order.
    pub sections: Vec<String>,
    /// A recurring reminder to review open action items.
    pub review: Option<Review>,
    /// Commit each new post-mortem file, and each edit saved in tocsin, with `git` in the
    /// repository that holds `dir` (author "tocsin"). Default `false`.
    pub git: bool,
    /// Push after each commit to `remote`. A failed push is logged and shown on the
    /// post-mortems page and in the API; the file and its commit stay, and the next write
    /// pushes again. Needs `git = true`. Default `false`.
    pub push: bool,
    /// Where `push` sends commits: a remote's name or a repository URL. Default `"origin"`.
    pub remote: String,
    /// The remote branch `push` updates, like `"main"`. Default: the branch checked out in the
    /// repository, under its own name.
    pub branch: Option<String>,
}

/// `review = { every = "1w", at = "sun 10:00", channel = "slack-alerts" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// How often, like `"1w"`. Required.
    pub every: Duration,
    /// When, in the organisation's time zone, like `"sun 10:00"`. Required.
    pub at: WeeklyTime,
    /// The channel told. Required.
    pub channel: String,
}

/// `[drill]`: the monthly check that paging works and contacts are current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    /// When, as 5-field cron (minute hour day-of-month month day-of-week) in the organisation's
    /// time zone, like `"0 9 1 * *"`; day and month names, `L` (last day) and `#` (nth weekday,
    /// like `"0 9 * * MON#1"`) work too. Required.
    pub schedule: Cron,
    /// The channel that gets the drill's report. Required.
    pub report_to: String,
    /// Contacts whose `verified_on` is older than this are asked to confirm. Default `"30d"`.
    pub contacts_verified_within: Duration,
    /// How long a contact has to confirm the drill's test page (its link) before that method is
    /// reported as failed. Default `"24h"`.
    pub confirm_within: Duration,
}

/// `[[action]]`: a mitigation a person can run from an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Identifier, named by runbooks' `{{ action "id" }}`. Required and unique.
    pub id: String,
    /// What it does, shown on its button. Default: the id.
    pub title: String,
    /// How it runs (`type = "http" | "command"`). Required.
    pub kind: ActionKind,
    /// A person confirms before it runs. Default `true`.
    pub confirm: bool,
    /// How long it may run before it is stopped (the command killed, the request abandoned),
    /// like `"2m"`. Default `"30s"`.
    pub timeout: Duration,
    /// Whose deploys `change.*` describes: the `service` recorded on deploy changes (Railway's
    /// service name, GitHub's repository name or the integration's `component`), like `"api"`.
    /// Default: the incident's `component`.
    pub service: Option<String>,
    /// When set, only deploys to this environment count for `change.*`, like `"production"`
    /// (a project's webhook also reports staging and preview environments).
    pub environment: Option<String>,
}

/// How an action runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// `type = "http"`: one HTTP request.
    Http {
        /// HTTP method. Default `"POST"`.
        method: String,
        /// The URL (`http://` or `https://`). Required.
        url: String,
        /// Request headers; their values are secrets (they usually carry tokens).
        headers: BTreeMap<String, Secret>,
        /// Request body, a template (like `'{"deployment": "{{ change.previous_deploy_id }}"}'`).
        body: Option<String>,
    },
    /// `type = "command"`: a program run directly, never through a shell.
    Command {
        /// The program and its arguments, like `["/bin/echo", "restart"]`. Required.
        argv: Vec<String>,
    },
}
