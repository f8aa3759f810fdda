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
/// How many open incidents of the most severe level are read at once: far more than ever
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

    /// What holds pages back at `now`, for a batch of decisions; the batch keeps it current as
    /// its own decisions open and resolve incidents.
    ///
    /// On a single node it is read once and then kept ([`QuietCache`]): this process makes
    /// every change to it, so an alert storm that only grows incidents reads nothing here. A
    /// shared store (replicas) is read for every batch, since another replica may have changed it.
    pub(crate) async fn quiet(
        &self,
        live: &crate::live::Live,
        now: Timestamp,
    ) -> Result<TakenQuiet, EngineError> {
        let top = live.policy.severities.first().map(|top| top.id.as_str());
        let version = if self.store.shared() {
            None
        } else {
            match self.quiet_cache.kept(top) {
                Ok(taken) => return Ok(taken),
                Err(version) => Some(version),
            }
        };
        let quiet = Arc::new(self.read_quiet(top, now).await?);
        let version = version.and_then(|version| {
            self.quiet_cache
                .keep(version, top, Arc::clone(&quiet))
                .then_some(version)
        });
        Ok(TakenQuiet { quiet, version })
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

/// What a batch took to decide with, and from which state of the [`QuietCache`].
#[derive(Debug, Default)]
pub(crate) struct TakenQuiet {
    pub quiet: Arc<Quiet>,
    /// The cache's version it is, when it is what the cache keeps (never on a shared store).
    version: Option<u64>,
}

/// The last [`Quiet`] read, kept for the next batch on a single node and kept current by what
/// changes it: a silence made or ended (forgotten: the next batch reads afresh), a committed
/// batch whose decisions hold or free a component ([`tocsin_core::noise::changes_holding`]:
/// that batch's own `Quiet`, which its decisions kept current, is kept instead). A silence that
/// ends by the clock needs no word: it matches nothing past its end.
///
/// Reads and batches race the changes made while they run, so every change moves `version`,
/// and a read or a batch's `Quiet` is kept only if no change came between the version it
/// started from and its end: one that began before a change may still serve its own batch (as
/// before there was a cache), but never a later one.
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
    fn kept(&self, top: Option<&str>) -> Result<TakenQuiet, u64> {
        let kept = self.lock();
        match &kept.quiet {
            Some((level, quiet)) if level.as_deref() == top => Ok(TakenQuiet {
                quiet: Arc::clone(quiet),
                version: Some(kept.version),
            }),
            _ => Err(kept.version),
        }
    }

    /// Keeps `quiet`, read from `version` on, unless something changed since; whether it did.
    fn keep(&self, version: u64, top: Option<&str>, quiet: Arc<Quiet>) -> bool {
        let mut kept = self.lock();
        let unchanged = kept.version == version;
        if unchanged {
            kept.quiet = Some((top.map(str::to_owned), quiet));
        }
        unchanged
    }

    /// A batch that decided with `taken` committed decisions that hold or free a component, and
    /// its own `quiet` says how: kept if nothing else changed since `taken` was, else forgotten.
    pub(crate) fn settle(&self, taken: &TakenQuiet, quiet: Arc<Quiet>) {
        let mut kept = self.lock();
        let current = taken.version == Some(kept.version);
        kept.version += 1;
        // Unchanged since `taken`, the cache still holds what it was taken from (or kept
        // from): the same most severe level.
        kept.quiet = match kept.quiet.take() {
            Some((level, _)) if current => Some((level, quiet)),
            _ => None,
        };
    }

    /// Something that holds pages back changed (and is committed): the next batch reads afresh.
    pub(crate) fn forget(&self) {
        let mut kept = self.lock();
        kept.version += 1;
        kept.quiet = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_core::noise::Holding;

    fn holding(id: &str) -> Arc<Quiet> {
        Arc::new(Quiet {
            silences: Vec::new(),
            holding: vec![Holding {
                incident_id: id.to_owned(),
                component: "checkout".to_owned(),
            }],
        })
    }

    fn held(cache: &QuietCache) -> Option<Vec<String>> {
        let taken = cache.kept(Some("SEV-1")).ok()?;
        Some(
            taken
                .quiet
                .holding
                .iter()
                .map(|holding| holding.incident_id.clone())
                .collect(),
        )
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let cache = QuietCache::default();
        let version = cache.kept(Some("SEV-1")).expect_err("nothing kept yet");
        // A silence is made while the read runs: what the read saw may predate it.
        cache.forget();
        assert!(!cache.keep(version, Some("SEV-1"), holding("a")));
        assert_eq!(held(&cache), None);
        // Read again, undisturbed: kept, and only for the level it was read for.
        let version = cache.kept(Some("SEV-1")).expect_err("nothing kept");
        assert!(cache.keep(version, Some("SEV-1"), holding("a")));
        assert_eq!(held(&cache), Some(vec!["a".to_owned()]));
        assert!(
            cache.kept(Some("P1")).is_err(),
            "a reload changed the most severe level"
        );
    }

    #[test]
    fn a_batch_that_changed_holding_is_kept_only_when_nothing_else_changed_since_it_began() {
        let cache = QuietCache::default();
        let version = cache.kept(Some("SEV-1")).expect_err("nothing kept");
        assert!(cache.keep(version, Some("SEV-1"), holding("a")));
        // Two batches take the same kept state; the first opens SEV-1 `b` and settles.
        let first = cache.kept(Some("SEV-1")).expect("kept");
        let second = cache.kept(Some("SEV-1")).expect("kept");
        cache.settle(&first, holding("b"));
        assert_eq!(held(&cache), Some(vec!["b".to_owned()]));
        // The second decided without knowing of `b`: what it saw is not kept; the next batch
        // reads afresh.
        cache.settle(&second, holding("c"));
        assert_eq!(held(&cache), None);
        // A batch that never took the kept state (no firing signal) only makes it forget.
        let version = cache.kept(Some("SEV-1")).expect_err("forgotten");
        assert!(cache.keep(version, Some("SEV-1"), holding("d")));
        cache.settle(&TakenQuiet::default(), holding("e"));
        assert_eq!(held(&cache), None);
    }
}
