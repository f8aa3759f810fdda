//! What a probe is asked to check and what it found: plain data shared by the prober and the engine.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An inclusive range of HTTP status codes, as written `"200-299"` or `"204"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRange {
    pub low: u16,
    pub high: u16,
}

impl StatusRange {
    pub const SUCCESS: StatusRange = StatusRange {
        low: 200,
        high: 299,
    };

    pub fn contains(&self, status: u16) -> bool {
        (self.low..=self.high).contains(&status)
    }

    /// Parses `"200-299"`, `"200"`, or several joined by commas is the caller's job.
    pub fn parse(text: &str) -> Option<StatusRange> {
        let text = text.trim();
        let (low, high) = match text.split_once('-') {
            Some((low, high)) => (low.trim().parse().ok()?, high.trim().parse().ok()?),
            None => {
                let code = text.parse().ok()?;
                (code, code)
            }
        };
        ((100..=599).contains(&low) && (100..=599).contains(&high) && low <= high)
            .then_some(StatusRange { low, high })
    }
}

/// One HTTP check: a request and what its answer must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    pub url: String,
    pub method: String,
    pub headers: BTreeMap<String, String>,
    pub timeout: Duration,
    /// The answer's status must fall in one of these ranges.
    pub expect_status: Vec<StatusRange>,
    /// When set, the answer's body must contain this text.
    pub body_contains: Option<String>,
}

/// The result of one check, as stored and as fed to the monitor logic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub ok: bool,
    /// The HTTP status, when an answer came back.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Why the check failed, in one line an on-call engineer can act on (`timed out after 10s`,
    /// `status 503, expected 200-299`, `connection refused`).
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::StatusRange;

    #[test]
    fn parses_ranges_and_single_codes() {
        assert_eq!(StatusRange::parse("200-299"), Some(StatusRange::SUCCESS));
        assert_eq!(
            StatusRange::parse("204"),
            Some(StatusRange {
                low: 204,
                high: 204
            })
        );
        assert_eq!(StatusRange::parse("299-200"), None);
        assert_eq!(StatusRange::parse("abc"), None);
        assert_eq!(StatusRange::parse("1000"), None);
    }
}
