//! A customer notice as kept: its texts per locale, and whether and by whom it was approved.

use jiff::Timestamp;
use serde::Serialize;

use crate::notice::CustomerText;

/// A customer notice as kept: a draft or approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommsRecord {
    pub id: String,
    pub incident_id: String,
    pub channel: String,
    pub event: String,
    pub audience: String,
    pub default_locale: String,
    pub texts: std::collections::BTreeMap<String, CustomerText>,
    /// `draft` or `approved`.
    pub status: String,
    pub created_at: Timestamp,
    pub approved_by: Option<String>,
    pub approved_at: Option<Timestamp>,
}
