//! A status update the team chose to show on the public status page.

use jiff::Timestamp;

use crate::incident::IncidentState;

/// A status update the team marked public: a timeline `update` event with `data.public = true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUpdate {
    pub seq: i64,
    pub incident_id: String,
    pub at: Timestamp,
    pub text: String,
    /// The incident's state when the update was posted.
    pub state: Option<IncidentState>,
}
