//! Reloading the configuration without a restart (SIGHUP, `POST /-/reload`), as Prometheus and
//! Alertmanager do: the file and its runbooks are read and validated again, the whole live
//! configuration (`live.rs`) is built beside the running one and swapped in at once. A file
//! with errors changes nothing. Incidents, timers, leases and queued deliveries live in the
//! store, so a reload keeps them; a queued page looks its channel up when it is sent. Monitors
//! added, removed or changed take effect at their next slot; a removed monitor keeps its
//! history. Settings read only at start-up keep their running value until a restart, and the
//! answer names them.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use jiff::Timestamp;
use tocsin_config::{Config, ConfigErrors};

use crate::live::Live;
use crate::{Engine, EngineError};

/// How this process reads its configuration again: the file it was started with, through the
/// same environment and command-line overrides (`tocsin serve` gives its own).
pub type Loader = Arc<dyn Fn() -> Result<Config, ConfigErrors> + Send + Sync>;

/// The default loader: `config.path` again, with the process's environment.
fn file_loader(config: &Config) -> Loader {
    let path = config.path.clone();
    Arc::new(move || tocsin_config::load(&path, &|name| std::env::var(name).ok()))
}

/// The engine's part in reloading: the loader, one reload at a time, and the last outcome
/// (`/metrics`).
pub(crate) struct Reloads {
    loader: RwLock<Loader>,
    /// Two reloads at once would each build from the file they read and the later swap could
    /// put the older file back: they take turns.
    turn: tokio::sync::Mutex<()>,
    last_successful: AtomicBool,
    /// Unix seconds of the last configuration put in force (start-up counts).
    last_success: AtomicI64,
}

impl Reloads {
    pub(crate) fn new(config: &Config, now: Timestamp) -> Self {
        Reloads {
            loader: RwLock::new(file_loader(config)),
            turn: tokio::sync::Mutex::new(()),
            last_successful: AtomicBool::new(true),
            last_success: AtomicI64::new(now.as_second()),
        }
    }

    fn loader(&self) -> Loader {
        self.loader
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What the last reload came to, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadStatus {
    /// False after a reload refused its file, until one succeeds.
    pub last_successful: bool,
    /// When the configuration in force was put in force (start-up counts).
    pub last_success_at: Timestamp,
}

/// Ids added, removed and changed between two lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl Diff {
    fn of<T: PartialEq>(before: &[T], after: &[T], id: impl Fn(&T) -> &str) -> Diff {
        let find = |list: &[T], key: &str| list.iter().find(|item| id(item) == key).map(|_| ());
        let mut diff = Diff::default();
        for item in after {
            match before.iter().find(|old| id(old) == id(item)) {
                None => diff.added.push(id(item).to_owned()),
                Some(old) if old != item => diff.changed.push(id(item).to_owned()),
                Some(_) => {}
            }
        }
        for item in before {
            if find(after, id(item)).is_none() {
                diff.removed.push(id(item).to_owned());
            }
        }
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub monitors: Diff,
    pub channels: Diff,
    pub runbooks: Diff,
    /// The other sections that changed, by their name in the file (`severity`, `escalation`,
    /// …).
    pub sections: Vec<&'static str>,
    /// Settings read only at start-up whose new value waits for a restart; their running value
    /// stays.
    pub ignored: Vec<&'static str>,
    /// The new file's warnings (as `tocsin check` prints them).
    pub warnings: Vec<String>,
}

/// Why a reload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The file (or a runbook) has errors; each names its place and what was wrong.
    #[error("the configuration has errors; the running one stays")]
    Invalid(ConfigErrors),
    /// The file is valid but could not be put in force (the database did not answer, the
    /// `[smtp]` settings could not make a mailer).
    #[error("the configuration could not be put in force; the running one stays: {0}")]
    Failed(#[from] EngineError),
}

/// The settings read once at start-up, with their name in the file: a reload keeps their
/// running value and says so.
macro_rules! restart_only {
    ($($key:literal => $($field:ident).+;)*) => {
        /// Keeps `running`'s value of every start-up-only setting in `next`; answers the
        /// settings whose value in `next` differed.
        fn keep_restart_only(next: &mut Config, running: &Config) -> Vec<&'static str> {
            let mut ignored = Vec::new();
            $(
                if next.$($field).+ != running.$($field).+ {
                    next.$($field).+ = running.$($field).+.clone();
                    ignored.push($key);
                }
            )*
            ignored
        }
    };
}

restart_only! {
    // The listener, the database and this replica's name are the process itself.
    "server.listen" => server.listen;
    "server.database" => server.database;
    "server.database_pool" => server.database_pool;
    "server.replica" => server.replica;
    "server.sqlite_synchronous" => server.sqlite_synchronous;
    // The replicas' renewal period is set when the workers start.
    "server.lease" => server.lease;
    // The accept loop, the security headers and the sign-in gate are built at start-up.
    "server.public_url" => server.public_url;
    "server.max_connections" => server.max_connections;
    "server.header_timeout" => server.header_timeout;
    "server.request_timeout" => server.request_timeout;
    "server.sign_in_checks" => server.sign_in_checks;
    "engine.integration_rate_limit" => engine.integration_rate_limit;
    "engine.probe_concurrency_per_host" => engine.probe_concurrency_per_host;
    // The watchdog's pings are paced by a timer started with the workers.
    "watchdog" => watchdog;
}

/// The sections of the file besides monitors, channels and runbooks, named as in the file,
/// that differ between `before` and `after`.
fn changed_sections(before: &Config, after: &Config) -> Vec<&'static str> {
    let mut sections = Vec::new();
    let mut note = |name: &'static str, changed: bool| {
        if changed {
            sections.push(name);
        }
    };
    note("server", before.server != after.server);
    note("org", before.org != after.org);
    note("severity", before.severities != after.severities);
    note("contact", before.contacts != after.contacts);
    note("schedule", before.schedules != after.schedules);
    note("escalation", before.escalations != after.escalations);
    note("route", before.routes != after.routes);
    note("smtp", before.smtp != after.smtp);
    note("template", before.templates != after.templates);
    note("integration", before.integrations != after.integrations);
    note("status_page", before.status_page != after.status_page);
    note("postmortem", before.postmortem != after.postmortem);
    note("maintenance", before.maintenance != after.maintenance);
    note("drill", before.drill != after.drill);
    note("action", before.actions != after.actions);
    note("engine", before.engine != after.engine);
    note(
        "self_monitoring",
        before.self_monitoring != after.self_monitoring,
    );
    sections
}

impl Engine {
    /// Tells the engine how to read its configuration again (`tocsin serve` passes the file
    /// with its command-line overrides); without it, the file at `config.path` is read again
    /// with the process's environment.
    pub fn set_loader(&self, loader: Loader) {
        *self
            .reloads
            .loader
            .write()
            .unwrap_or_else(PoisonError::into_inner) = loader;
    }

    /// The last reload's outcome, for `/metrics`.
    pub fn reload_status(&self) -> ReloadStatus {
        ReloadStatus {
            last_successful: self.reloads.last_successful.load(Ordering::Relaxed),
            last_success_at: Timestamp::from_second(
                self.reloads.last_success.load(Ordering::Relaxed),
            )
            .unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    /// Reads the configuration again and puts it in force, or changes nothing and says why.
    /// `by` names who asked (`SIGHUP`, or the person or token), for the log.
    pub async fn reload(&self, by: &str) -> Result<Changes, ReloadError> {
        let _turn = self.reloads.turn.lock().await;
        let loader = self.reloads.loader();
        // Reading the file and its runbooks is blocking work.
        let loaded = tokio::task::spawn_blocking(move || loader())
            .await
            .map_err(|error| {
                EngineError::Unavailable(format!("reading the configuration failed: {error}"))
            })?;
        let result = match loaded {
            Ok(next) => self.put_in_force(next).await,
            Err(errors) => Err(ReloadError::Invalid(errors)),
        };
        match &result {
            Ok(changes) => {
                self.reloads.last_successful.store(true, Ordering::Relaxed);
                self.reloads
                    .last_success
                    .store(self.now().as_second(), Ordering::Relaxed);
                for warning in &changes.warnings {
                    tracing::warn!("{warning}");
                }
                if !changes.ignored.is_empty() {
                    tracing::warn!(
                        by,
                        ignored = %changes.ignored.join(", "),
                        "these settings are read only at start-up: they keep their running value until a restart"
                    );
                }
                tracing::info!(
                    by,
                    monitors_added = ?changes.monitors.added,
                    monitors_removed = ?changes.monitors.removed,
                    monitors_changed = ?changes.monitors.changed,
                    channels_changed = ?changes.channels.changed,
                    sections = ?changes.sections,
                    "configuration reloaded"
                );
            }
            Err(error) => {
                self.reloads.last_successful.store(false, Ordering::Relaxed);
                if let ReloadError::Invalid(errors) = error {
                    for problem in errors {
                        tracing::error!(by, "{problem}");
                    }
                }
                tracing::error!(by, %error, "configuration reload refused");
            }
        }
        result
    }

    /// Builds everything `next` implies, updates the store's active monitors, then swaps it in
    /// and makes the schedule follow. Nothing is swapped unless every fallible step succeeded.
    async fn put_in_force(&self, mut next: Config) -> Result<Changes, ReloadError> {
        let running = self.live();
        let before = &running.config;
        let ignored = keep_restart_only(&mut next, before);
        let changes = Changes {
            monitors: Diff::of(&before.monitors, &next.monitors, |m| &m.id),
            channels: Diff::of(&before.channels, &next.channels, |c| &c.id),
            runbooks: Diff::of(&before.runbooks, &next.runbooks, |r| &r.id),
            sections: changed_sections(before, &next),
            ignored,
            warnings: next.warnings.iter().map(ToString::to_string).collect(),
        };
        // The mailers keep their connections unless `[smtp]` itself changed.
        let sender = if next.smtp == before.smtp {
            running.sender.clone()
        } else {
            crate::sender(&next, crate::outbound_client(&next)?)?
        };
        let next = Live::build(Arc::new(next), sender);
        let now = self.now();
        // The store's active monitors first, in one transaction: new ones get their first slot,
        // removed ones go inactive with their history kept.
        self.store
            .sync_monitors(&crate::first_checks(&next.config, now))
            .await
            .map_err(EngineError::from)?;
        // The records of monitors the schedule does not hold yet, read before the swap so that
        // nothing can fail after it.
        let taken = if self.store.shared() {
            Vec::new()
        } else {
            let new = self.prober.schedule.not_held(&next.probed);
            if new.is_empty() {
                Vec::new()
            } else {
                self.store
                    .monitors_by_id(&new)
                    .await
                    .map_err(EngineError::from)?
                    .into_iter()
                    .filter_map(|record| self.resumed(&next, record, now, false))
                    .collect()
            }
        };
        let probed = next.probed.clone();
        self.live.swap(next);
        if self.store.shared() {
            // This replica's share of the new list; the replicas' round does it again soon.
            if let Err(error) = self.hold_share().await {
                tracing::warn!(%error, "taking this replica's share of the reloaded monitors failed; the next renewal takes it");
            }
        } else {
            // Removed monitors leave the schedule (one being checked finishes first); added
            // ones join it at their first slot; changed ones keep their slot and are checked as
            // the new file says.
            self.prober.schedule.hold(&probed, taken);
        }
        for (what, synced) in [
            ("drill", self.sync_drill_schedule().await),
            ("review digest", self.sync_review_schedule().await),
        ] {
            if let Err(error) = synced {
                tracing::warn!(%error, "the {what}'s schedule was not updated; it follows the new file at the next reload or restart");
            }
        }
        // Cached status pages draw the new layout.
        self.bump_generation();
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Item(&'static str, u32);

    #[test]
    fn a_diff_names_what_was_added_removed_and_changed() {
        let before = [Item("a", 1), Item("b", 1), Item("c", 1)];
        let after = [Item("a", 1), Item("b", 2), Item("d", 1)];
        let diff = Diff::of(&before, &after, |item| item.0);
        assert_eq!(diff.added, ["d"]);
        assert_eq!(diff.removed, ["c"]);
        assert_eq!(diff.changed, ["b"]);
    }
}
