//! Silences: matchers and a time window during which matching signals are recorded but page
//! nobody and tell no channel. The record (as stored and shown) and its compiled form, which
//! the decision takes as an input with the time.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::matcher::{MatcherError, Matchers};
use crate::signal::Signal;

/// A comment longer than this is refused (it is shown on every silenced incident).
pub const COMMENT_MAX: usize = 1000;

/// A silence as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SilenceRecord {
    pub id: String,
    /// Label → value, or `~regex` (anchored).
    pub matchers: BTreeMap<String, String>,
    pub starts_at: Timestamp,
    /// Expiring a silence moves this to the moment it was expired.
    pub ends_at: Timestamp,
    pub comment: String,
    /// Who made it, as the timeline names people.
    pub created_by: String,
}

impl SilenceRecord {
    /// In force at `now`: started, not yet ended.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// A silence ready to match: its record and compiled matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub record: SilenceRecord,
    pub matchers: Matchers,
}

impl Silence {
    pub fn compile(record: SilenceRecord) -> Result<Self, MatcherError> {
        let matchers = Matchers::parse(&record.matchers)?;
        Ok(Silence { record, matchers })
    }

    /// Whether it silences `signal` at `now`.
    pub fn silences(&self, signal: &Signal, now: Timestamp) -> bool {
        self.record.is_active(now) && self.matchers.matches_signal(signal)
    }
}

/// Why a new silence was refused; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error("{0}")]
    Matchers(#[from] MatcherError),
    #[error("`ends_at` must be in the future")]
    EndsInThePast,
    #[error("the comment is longer than {COMMENT_MAX} characters")]
    CommentTooLong,
}

/// Checks a requested silence (matchers, end, comment) against `now` before it is stored.
pub fn validate(record: &SilenceRecord, now: Timestamp) -> Result<Silence, SilenceError> {
    if record.ends_at <= now {
        return Err(SilenceError::EndsInThePast);
    }
    if record.comment.chars().count() > COMMENT_MAX {
        return Err(SilenceError::CommentTooLong);
    }
    Ok(Silence::compile(record.clone())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::signal::SignalStatus;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).expect("valid")
    }

    fn record(matchers: &[(&str, &str)], starts: i64, ends: i64) -> SilenceRecord {
        SilenceRecord {
            id: "s1".into(),
            matchers: matchers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            starts_at: at(starts),
            ends_at: at(ends),
            comment: "deploy".into(),
            created_by: "sami".into(),
        }
    }

    fn checkout() -> Signal {
        Signal {
            source: "integration:am".into(),
            dedup_key: "k".into(),
            status: SignalStatus::Firing,
            severity: Some("SEV-2".into()),
            title: "t".into(),
            summary: None,
            category: None,
            component: None,
            runbook: None,
            occurred_at: at(0),
            details: serde_json::Value::Null,
            labels: Labels::bounded([("service", "checkout")]),
        }
    }

    #[test]
    fn a_silence_matches_only_inside_its_window() {
        let silence = Silence::compile(record(&[("service", "checkout")], 100, 3700)).expect("ok");
        assert!(!silence.silences(&checkout(), at(99)));
        assert!(silence.silences(&checkout(), at(100)));
        assert!(silence.silences(&checkout(), at(3699)));
        // Ended (or expired, which moves the end): it matches nothing.
        assert!(!silence.silences(&checkout(), at(3700)));
        let other = Silence::compile(record(&[("service", "search")], 0, 3700)).expect("ok");
        assert!(!other.silences(&checkout(), at(200)));
    }

    #[test]
    fn a_new_silence_must_end_later_and_have_good_matchers() {
        let now = at(1000);
        assert_eq!(
            validate(&record(&[("service", "checkout")], 0, 1000), now).err(),
            Some(SilenceError::EndsInThePast)
        );
        assert_eq!(
            validate(&record(&[], 0, 5000), now).err(),
            Some(SilenceError::Matchers(MatcherError::Empty))
        );
        assert!(matches!(
            validate(&record(&[("env", "~[")], 0, 5000), now),
            Err(SilenceError::Matchers(MatcherError::BadRegex { .. }))
        ));
        assert!(validate(&record(&[("env", "~prod.*")], 0, 5000), now).is_ok());
    }
}
