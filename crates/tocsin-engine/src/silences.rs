//! Silences and what holds pages back: silences made (checked first: a refused one stores
//! nothing), listed and expired; and, before each batch of signals, the `Quiet` its decisions
//! take as an input — the silences in force and the open incidents of the most severe level on
//! a component (inhibition).

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use tocsin_core::decide::Refusal;
use tocsin_core::noise::Quiet;
use tocsin_core::silence::{Silence, SilenceRecord};

use crate::{Engine, EngineError};

/// How many silences a list shows (newest first): enough for any team's recent history.
const LIST_LIMIT: u32 = 500;
/// How many open incidents of the most severe level are read per batch: far more than ever
/// exist at once.
const HOLDING_LIMIT: u32 = 1000;

/// A silence as a person asks for it.
#[derive(Debug, Clone)]
pub struct NewSilence {
    /// Label → value, or `~regex`.
    pub matchers: BTreeMap<String, String>,
    pub ends: SilenceEnd,
    pub comment: String,
}

/// When a new silence ends: at a time, or this long after tocsin's now (so a command line on
/// another machine needs no clock of its own).
#[derive(Debug, Clone, Copy)]
pub enum SilenceEnd {
    At(Timestamp),
    After(std::time::Duration),
}

impl Engine {
    /// The latest silences, newest first, ended ones included.
    pub async fn silences(&self) -> Result<Vec<SilenceRecord>, EngineError> {
        Ok(self.store.silences(LIST_LIMIT).await?)
    }

    /// Makes a silence from now until `ends_at`; refused (nothing stored) for no matchers, a
    /// bad regex, an end not in the future or an over-long comment.
    pub async fn add_silence(
        &self,
        request: NewSilence,
        by: &str,
    ) -> Result<SilenceRecord, EngineError> {
        let now = self.now();
        let ends_at = match request.ends {
            SilenceEnd::At(at) => at,
            SilenceEnd::After(duration) => jiff::SignedDuration::try_from(duration)
                .ok()
                .and_then(|duration| now.checked_add(duration).ok())
                .ok_or_else(|| {
                    EngineError::Refused(Refusal::Invalid("that duration is too long".to_owned()))
                })?,
        };
        let record = SilenceRecord {
            id: uuid::Uuid::now_v7().to_string(),
            matchers: request.matchers,
            starts_at: now,
            ends_at,
            comment: request.comment.trim().to_owned(),
            created_by: by.to_owned(),
        };
        tocsin_core::silence::validate(&record, now)
            .map_err(|error| EngineError::Refused(Refusal::Invalid(error.to_string())))?;
        let added = self.store.add_silence(&record).await;
        self.quiet_cache.forget();
        added?;
        Ok(record)
    }

    /// Ends a silence now; `None` when there is none with this id. Signals from now on page
    /// as usual; what arrived while it was in force is not paged retroactively.
    pub async fn expire_silence(&self, id: &str) -> Result<Option<SilenceRecord>, EngineError> {
        let expired = self.store.expire_silence(id, self.now()).await;
        self.quiet_cache.forget();
        Ok(expired?)
    }

    /// What holds pages back at `now`, for a batch of decisions: read once per batch, like the
    /// roster; the batch keeps it current as its own decisions open and resolve incidents.
    ///
    /// On a single node it is read once and then kept ([`QuietCache`]): this process makes
    /// every change to it, so an alert storm that only grows incidents reads nothing here. A
    /// shared store (replicas) is read for every batch, since another replica may have changed it.
    pub(crate) async fn quiet(
        &self,
        live: &crate::live::Live,
        now: Timestamp,
    ) -> Result<Arc<Quiet>, EngineError> {
        let top = live.policy.severities.first().map(|top| top.id.as_str());
        let version = if self.store.shared() {
            None
        } else {
            match self.quiet_cache.kept(top) {
                Ok(quiet) => return Ok(quiet),
                Err(version) => Some(version),
            }
        };
        let quiet = Arc::new(self.read_quiet(top, now).await?);
        if let Some(version) = version {
            self.quiet_cache.keep(version, top, Arc::clone(&quiet));
        }
        Ok(quiet)
    }

    /// Reads the silences in force at `now` and the open incidents of the most severe level
    /// (`top`) that hold a component.
    async fn read_quiet(&self, top: Option<&str>, now: Timestamp) -> Result<Quiet, EngineError> {
        let silences = self
            .store
            .active_silences(now)
            .await?
            .into_iter()
            .filter_map(|record| match Silence::compile(record) {
                Ok(silence) => Some(silence),
                Err(error) => {
                    // Checked when made; a row that no longer compiles silences nothing.
                    tracing::warn!(%error, "a stored silence does not compile; it is ignored");
                    None
                }
            })
            .collect();
        // The store answers `tocsin_core::noise::holds` for the top severity itself: two
        // columns of the incidents it holds, not every open incident whole.
        let holding = match top {
            Some(top) => self.store.inhibiting(top, HOLDING_LIMIT).await?,
            None => Vec::new(),
        };
        Ok(Quiet { silences, holding })
    }
}

/// The last [`Quiet`] read, kept for the next batch on a single node until something changes it:
/// a silence made or ended, or a committed decision that holds or frees a component
/// ([`tocsin_core::noise::changes_holding`]). A silence that ends by the clock needs no word:
/// it matches nothing past its end.
///
/// A read races the changes made while it runs, so every change moves `version`, and a read is
/// kept only if no change came between its start and its end: a read that began before a change
/// may still serve its own batch (as before there was a cache), but never a later one.
#[derive(Debug, Default)]
pub(crate) struct QuietCache {
    kept: std::sync::Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    version: u64,
    /// What was read, and for which most severe level (a reload may change it).
    quiet: Option<(Option<String>, Arc<Quiet>)>,
}

impl QuietCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The kept `Quiet` for the most severe level `top`; else the version a read now starts at.
    fn kept(&self, top: Option<&str>) -> Result<Arc<Quiet>, u64> {
        let kept = self.lock();
        match &kept.quiet {
            Some((level, quiet)) if level.as_deref() == top => Ok(Arc::clone(quiet)),
            _ => Err(kept.version),
        }
    }

    /// Keeps `quiet`, read from `version` on, unless something changed since.
    fn keep(&self, version: u64, top: Option<&str>, quiet: Arc<Quiet>) {
        let mut kept = self.lock();
        if kept.version == version {
            kept.quiet = Some((top.map(str::to_owned), quiet));
        }
    }

    /// Something that holds pages back changed (and is committed): the next batch reads afresh.
    pub(crate) fn forget(&self) {
        let mut kept = self.lock();
        kept.version += 1;
        kept.quiet = None;
    }
}
