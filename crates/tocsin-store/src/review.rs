//! The weekly review digest's records: one per period, with what came of sending it.

use jiff::Timestamp;

/// One weekly review digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDigest {
    pub id: String,
    /// The scheduled instant it belongs to (unique: one digest per period).
    pub due_at: Timestamp,
    /// The channel it goes to (`postmortem.review.channel`).
    pub channel: String,
    /// The digest's text, fixed when the period's digest was started.
    pub text: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// `sent`, or why it could not be sent; `None` while not tried yet.
    pub result: Option<String>,
}
