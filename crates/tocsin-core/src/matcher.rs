//! Label matchers, shared by label routes (`[[route]] match = {…}`) and silences: each label's
//! value exactly, or `~regex` matched against the whole value (anchored). A label a signal does
//! not carry reads as the empty string, as in Alertmanager.

use std::collections::BTreeMap;

use crate::signal::Signal;

/// Compiled regexes are capped at this size, so a matcher from the API cannot cost unbounded
/// memory or time.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// At most this many matchers per route or silence.
pub const MAX_MATCHERS: usize = 32;

/// One label's condition.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(regex::Regex),
}

/// Every matcher must hold (AND). Built from the configured or requested text, which it keeps
/// for showing back.
#[derive(Debug, Clone, Default)]
pub struct Matchers {
    text: BTreeMap<String, String>,
    compiled: Vec<(String, Matcher)>,
}

/// Why a matcher set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error("at least one matcher is needed")]
    Empty,
    #[error("at most {MAX_MATCHERS} matchers are allowed")]
    TooMany,
    #[error("a matcher's label name is empty")]
    EmptyName,
    #[error("the regex for `{label}` is not valid: {reason}")]
    BadRegex { label: String, reason: String },
}

impl Matchers {
    /// Compiles `text` (label → value or `~regex`). Refuses an empty set, an empty label name
    /// and a regex that does not compile (or is too large).
    pub fn parse(text: &BTreeMap<String, String>) -> Result<Self, MatcherError> {
        if text.is_empty() {
            return Err(MatcherError::Empty);
        }
        if text.len() > MAX_MATCHERS {
            return Err(MatcherError::TooMany);
        }
        let mut compiled = Vec::with_capacity(text.len());
        for (label, value) in text {
            if label.trim().is_empty() {
                return Err(MatcherError::EmptyName);
            }
            let matcher = match value.strip_prefix('~') {
                Some(pattern) => Matcher::Regex(
                    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|error| MatcherError::BadRegex {
                            label: label.clone(),
                            reason: first_line(&error.to_string()),
                        })?,
                ),
                None => Matcher::Exact(value.clone()),
            };
            compiled.push((label.clone(), matcher));
        }
        Ok(Matchers {
            text: text.clone(),
            compiled,
        })
    }

    /// The matchers as written (label → value or `~regex`).
    pub fn text(&self) -> &BTreeMap<String, String> {
        &self.text
    }

    /// Whether `label` (a name → value lookup) satisfies every matcher.
    pub fn matches<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.compiled.iter().all(|(name, matcher)| {
            let value = label(name).unwrap_or("");
            match matcher {
                Matcher::Exact(expected) => value == expected,
                Matcher::Regex(regex) => regex.is_match(value),
            }
        })
    }

    /// Whether the signal's labels satisfy every matcher ([`label_of`]).
    pub fn matches_signal(&self, signal: &Signal) -> bool {
        self.matches(|name| label_of(signal, name))
    }
}

impl PartialEq for Matchers {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Matchers {}

/// A signal's label by name: its own labels first, then what every signal has —
/// `severity`, `category`, `component`, `source` — so a silence on `component = "checkout"`
/// covers monitors and integrations alike.
pub fn label_of<'a>(signal: &'a Signal, name: &str) -> Option<&'a str> {
    signal.labels.get(name).or(match name {
        "severity" => signal.severity.as_deref(),
        "category" => signal.category.as_deref(),
        "component" => signal.component.as_deref(),
        "source" => Some(signal.source.as_str()),
        _ => None,
    })
}

fn first_line(text: &str) -> String {
    // regex's errors draw the pattern over several lines; the last line says what is wrong.
    text.lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or(text)
        .trim_start_matches("error: ")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::signal::SignalStatus;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn signal(labels: &[(&str, &str)]) -> Signal {
        Signal {
            source: "integration:am".into(),
            dedup_key: "k".into(),
            status: SignalStatus::Firing,
            severity: Some("SEV-2".into()),
            title: "t".into(),
            summary: None,
            category: None,
            component: Some("api".into()),
            runbook: None,
            occurred_at: jiff::Timestamp::UNIX_EPOCH,
            details: serde_json::Value::Null,
            labels: Labels::bounded(labels.iter().copied()),
        }
    }

    #[test]
    fn exact_values_and_anchored_regexes_must_all_hold() {
        let matchers =
            Matchers::parse(&map(&[("service", "checkout"), ("env", "~prod.*")])).expect("valid");
        assert!(matchers.matches_signal(&signal(&[("service", "checkout"), ("env", "prod")])));
        assert!(matchers.matches_signal(&signal(&[("service", "checkout"), ("env", "prod-eu")])));
        // Anchored: `prod.*` does not match a value that merely contains it.
        assert!(!matchers.matches_signal(&signal(&[("service", "checkout"), ("env", "preprod")])));
        // Exact means exact.
        assert!(!matchers.matches_signal(&signal(&[("service", "checkouts"), ("env", "prod")])));
        // Every matcher must hold.
        assert!(!matchers.matches_signal(&signal(&[("service", "checkout")])));
    }

    #[test]
    fn a_missing_label_reads_empty_and_built_in_fields_are_labels() {
        let empty = Matchers::parse(&map(&[("team", "")])).expect("valid");
        assert!(empty.matches_signal(&signal(&[])));
        assert!(!empty.matches_signal(&signal(&[("team", "core")])));
        let component = Matchers::parse(&map(&[("component", "api"), ("severity", "~SEV-[12]")]))
            .expect("valid");
        assert!(component.matches_signal(&signal(&[])));
        // The signal's own label wins over the built-in field.
        assert!(!component.matches_signal(&signal(&[("component", "db")])));
    }

    #[test]
    fn bad_matcher_sets_are_refused_with_the_reason() {
        assert_eq!(Matchers::parse(&map(&[])).err(), Some(MatcherError::Empty));
        assert_eq!(
            Matchers::parse(&map(&[(" ", "x")])).err(),
            Some(MatcherError::EmptyName)
        );
        match Matchers::parse(&map(&[("env", "~prod(")])) {
            Err(MatcherError::BadRegex { label, reason }) => {
                assert_eq!(label, "env");
                assert!(reason.contains("unclosed"), "{reason}");
            }
            other => panic!("expected a bad regex, got {other:?}"),
        }
    }
}
