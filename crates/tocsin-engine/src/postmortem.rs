//! Post-mortem files: the worker that writes each new draft after its resolution committed
//! (never over a file that is already there), reading and saving a file from the UI, publishing,
//! and the optional `git` commit and push (`postmortem_git.rs`). The file is the source of truth
//! for the text; the store keeps where it is, when it is due and whether it is done.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use tocsin_config::Config;
use tocsin_core::decide::Input;
use tocsin_core::postmortem::{self as core_pm, Draft, PostmortemRule};
use tocsin_store::PostmortemRecord;

use crate::{Engine, EngineError};

const LEASE: Duration = Duration::from_secs(60);
const BATCH: u32 = 20;
/// Due this long after resolution when `required_for` names a severity without
/// `postmortem_within`.
pub const DEFAULT_DUE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// The engine's post-mortem rule: severities with `postmortem_within`, and those named by
/// `required_for` (due after [`DEFAULT_DUE_AFTER`] unless they set their own).
pub(crate) fn rule(config: &Config) -> Option<PostmortemRule> {
    let mut due_after: BTreeMap<String, Duration> = config
        .severities
        .iter()
        .filter_map(|severity| Some((severity.id.clone(), severity.postmortem_within?)))
        .collect();
    if let Some(postmortem) = &config.postmortem {
        for id in &postmortem.required_for {
            due_after.entry(id.clone()).or_insert(DEFAULT_DUE_AFTER);
        }
    }
    if due_after.is_empty() {
        return None;
    }
    Some(PostmortemRule {
        due_after,
        file: config
            .postmortem
            .as_ref()
            .map_or_else(|| "{date}-{slug}.md".to_owned(), |p| p.file.clone()),
        zone: config.org.time_zone(),
    })
}

/// One post-mortem as people see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostmortemView {
    pub incident_id: String,
    pub title: String,
    pub severity: String,
    pub due_at: Timestamp,
    /// `draft`, `published` or `overdue`.
    pub status: &'static str,
    /// The file's full path.
    pub path: PathBuf,
    pub written: bool,
}

/// Why a post-mortem file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no post-mortem for this incident")]
    NotFound,
    #[error("the post-mortem file `{0}` is not a plain name inside the post-mortem folder")]
    Outside(String),
    #[error("post-mortem file: {0}")]
    Io(#[from] std::io::Error),
}

impl Engine {
    /// The folder post-mortems are written to: `postmortem.dir` (relative to the repository's
    /// root), or `postmortems` there without a `[postmortem]` section.
    pub fn postmortem_dir(&self) -> PathBuf {
        self.config().postmortem_dir()
    }

    fn sections(&self) -> Vec<String> {
        self.config()
            .postmortem
            .as_ref()
            .map(|p| p.sections.clone())
            .unwrap_or_default()
    }

    /// The file's path, checked to be a plain name directly inside the (existing) folder.
    fn file_path(&self, file: &str) -> Result<PathBuf, FileError> {
        if !core_pm::is_plain_name(file) {
            return Err(FileError::Outside(file.to_owned()));
        }
        let dir = self.postmortem_dir();
        std::fs::create_dir_all(&dir)?;
        let dir = dir.canonicalize()?;
        let path = dir.join(file);
        if path.parent() != Some(dir.as_path()) {
            return Err(FileError::Outside(file.to_owned()));
        }
        // A symbolic link planted under the name could point anywhere: refuse to follow it.
        if std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink()) {
            return Err(FileError::Outside(file.to_owned()));
        }
        Ok(path)
    }

    /// Writes the files of post-mortems required since the last round; returns how many.
    pub(crate) async fn postmortem_round(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let claimed = self
            .store
            .claim_unwritten_postmortems(now, crate::probes::add(now, LEASE), BATCH)
            .await?;
        let count = claimed.len();
        for record in claimed {
            match self.write_draft(&record).await {
                Ok(()) => {
                    self.store
                        .mark_postmortem_written(&record.incident_id, self.now())
                        .await?;
                }
                Err(error) => {
                    // The claim expires and the next round tries again.
                    tracing::error!(incident = %record.incident_id, %error, "writing a post-mortem failed");
                }
            }
        }
        Ok(count)
    }

    /// Writes the first draft, unless a file of that name is already there (a person wrote it,
    /// or an earlier round did before it could record so): then it is left exactly as it is.
    async fn write_draft(&self, record: &PostmortemRecord) -> Result<(), EngineError> {
        let path = self.file_path(&record.file).map_err(unavailable)?;
        if path.exists() {
            return Ok(());
        }
        let incident = self
            .store
            .incident(&record.incident_id)
            .await?
            .ok_or_else(|| EngineError::NoIncident(record.incident_id.clone()))?;
        // The incidents merged into it are part of its story.
        let events = self.timeline_with_merged(&record.incident_id).await?;
        let zone = self.config().org.time_zone();
        let sections = self.sections();
        let text = core_pm::render(&Draft {
            incident: &incident,
            events: &events,
            sections: &sections,
            zone: &zone,
        });
        let created = create_new(&path, &text).map_err(unavailable)?;
        if created {
            self.record_in_git(&path, &format!("Post-mortem draft: {}", incident.title))
                .await;
        }
        Ok(())
    }

    /// A stored post-mortem with its incident's title and severity, as shown now.
    async fn view_of(&self, record: PostmortemRecord) -> Result<PostmortemView, EngineError> {
        let incident = self.store.incident(&record.incident_id).await?;
        Ok(PostmortemView {
            status: core_pm::shown_status(&record.status, record.due_at, self.now()),
            title: incident
                .as_ref()
                .map(|i| i.title.clone())
                .unwrap_or_default(),
            severity: incident.map(|i| i.severity).unwrap_or_default(),
            incident_id: record.incident_id,
            due_at: record.due_at,
            path: self.postmortem_dir().join(&record.file),
            written: record.written_at.is_some(),
        })
    }

    /// Every post-mortem with its incident, latest deadline first.
    pub async fn postmortems(&self) -> Result<Vec<PostmortemView>, EngineError> {
        let mut views = Vec::new();
        for record in self.store.postmortems().await? {
            views.push(self.view_of(record).await?);
        }
        Ok(views)
    }

    /// One post-mortem and its file's text as it is on disk now (`None` before it is written).
    pub async fn postmortem_text(
        &self,
        incident_id: &str,
    ) -> Result<(PostmortemView, Option<String>), EngineError> {
        let record = self
            .store
            .postmortem(incident_id)
            .await?
            .ok_or_else(|| EngineError::NoIncident(incident_id.to_owned()))?;
        let text = self.read_file(&record.file)?;
        Ok((self.view_of(record).await?, text))
    }

    /// The file's text as it is on disk now; `None` when it is not there (yet).
    pub(crate) fn read_file(&self, file: &str) -> Result<Option<String>, EngineError> {
        let path = self.file_path(file).map_err(unavailable)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(unavailable(error.into())),
        }
    }

    /// Saves a person's edit to the file (replacing it whole), and commits it with git when
    /// configured.
    pub async fn save_postmortem(&self, incident_id: &str, text: &str) -> Result<(), EngineError> {
        let record = self
            .store
            .postmortem(incident_id)
            .await?
            .ok_or_else(|| EngineError::NoIncident(incident_id.to_owned()))?;
        let path = self.file_path(&record.file).map_err(unavailable)?;
        // Browsers send CRLF line ends from a textarea; the file keeps the repository's LF.
        let text = text.replace("\r\n", "\n");
        replace(&path, &text).map_err(unavailable)?;
        if record.written_at.is_none() {
            self.store
                .mark_postmortem_written(incident_id, self.now())
                .await?;
        }
        self.record_in_git(&path, &format!("Post-mortem edited: {incident_id}"))
            .await;
        Ok(())
    }

    /// Marks the post-mortem done: its reminders stop.
    pub async fn publish_postmortem(
        &self,
        incident_id: &str,
        actor: &str,
    ) -> Result<(), EngineError> {
        let Some(record) = self.store.postmortem(incident_id).await? else {
            return Err(EngineError::NoIncident(incident_id.to_owned()));
        };
        // Each action item without a ticket gets one (with `[tickets]`): read from the file as
        // it is now, minus those a ticket was already asked for.
        let mut untracked_items = Vec::new();
        if self.config().tickets.is_some() {
            let asked: Vec<String> = self
                .store
                .tickets(incident_id)
                .await?
                .into_iter()
                .filter_map(|ticket| ticket.item)
                .collect();
            let text = self.read_file(&record.file)?.unwrap_or_default();
            for item in core_pm::action_items(&text) {
                let (text, link) = tocsin_core::tickets::split_link(&item.text);
                if link.is_none() && !item.done && !asked.iter().any(|a| a == text) {
                    untracked_items.push(text.to_owned());
                }
            }
        }
        self.act(
            incident_id,
            Input::PublishPostmortem {
                actor: actor.to_owned(),
                untracked_items,
            },
        )
        .await?;
        Ok(())
    }
}

fn unavailable(error: FileError) -> EngineError {
    EngineError::Unavailable(error.to_string())
}

/// A temporary file beside `path` (same folder, so a rename or link stays on one filesystem).
fn temp_beside(path: &Path, text: &str) -> std::io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".tocsin-{}.tmp", uuid::Uuid::now_v7()));
    let mut file = std::fs::File::create_new(&temp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(temp)
}

/// Creates `path` with `text` atomically, only if nothing is there; `false` when something was.
fn create_new(path: &Path, text: &str) -> Result<bool, FileError> {
    let temp = temp_beside(path, text)?;
    // A hard link fails when the name exists: a complete file or none, and never over another.
    let linked = std::fs::hard_link(&temp, path);
    std::fs::remove_file(&temp)?;
    match linked {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Replaces `path` with `text` atomically.
fn replace(path: &Path, text: &str) -> Result<(), FileError> {
    let temp = temp_beside(path, text)?;
    if let Err(error) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(error.into());
    }
    Ok(())
}
