//! Records of mitigation actions and customer communications.

use tocsin_core::notice::CustomerText;

pub use tocsin_core::action_run::{ActionRun, RunStatus};
pub use tocsin_core::comms::CommsRecord;

/// Why an approval changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproveOutcome {
    Approved,
    NoSuchDraft,
    AlreadyApproved,
}

/// A customer mail claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommsMail {
    /// Also its Message-ID, the same on every retry.
    pub id: String,
    pub incident_id: String,
    pub recipient: String,
    /// The status-page subscriber it is addressed to (audience `subscribers`), whose
    /// unsubscribe link it carries; `None` for a customer named on the incident.
    pub subscriber_id: Option<i64>,
    pub locale: String,
    pub attempts: u32,
    /// The text in the recipient's locale (or the notice's default locale).
    pub text: CustomerText,
}
