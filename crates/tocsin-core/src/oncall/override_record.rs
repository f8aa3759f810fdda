//! An on-call override as kept: who stood in for whom, when, and who asked.

use jiff::Timestamp;

/// Someone else on call for a while: `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRecord {
    pub id: String,
    pub schedule: String,
    pub contact: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub created_at: Timestamp,
}
