//! The monthly drill's records: a run, its items (one per channel, page, monitor, integration
//! and contact checked), and the dates contacts confirmed their numbers.

use jiff::Timestamp;
use jiff::civil::Date;

/// How one checked item came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillItemStatus {
    Pass,
    Fail,
    /// A test page sent, its confirm link not clicked yet (until the drill's `confirm_by`).
    Waiting,
    /// Not checked, and the reason says why (an integration without `expect_every`).
    Skipped,
}

impl DrillItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DrillItemStatus::Pass => "pass",
            DrillItemStatus::Fail => "fail",
            DrillItemStatus::Waiting => "waiting",
            DrillItemStatus::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pass" => DrillItemStatus::Pass,
            "fail" => DrillItemStatus::Fail,
            "waiting" => DrillItemStatus::Waiting,
            "skipped" => DrillItemStatus::Skipped,
            _ => return None,
        })
    }
}

/// A drill as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillStatus {
    /// Started; its checks and test messages are under way.
    Running,
    /// Nothing failed yet; test pages await confirmation.
    Waiting,
    Passed,
    Failed,
}

impl DrillStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DrillStatus::Running => "running",
            DrillStatus::Waiting => "waiting",
            DrillStatus::Passed => "passed",
            DrillStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "running" => DrillStatus::Running,
            "waiting" => DrillStatus::Waiting,
            "passed" => DrillStatus::Passed,
            "failed" => DrillStatus::Failed,
            _ => return None,
        })
    }

    /// The drill's status from its items: any failure fails it; otherwise any page still
    /// awaiting confirmation keeps it waiting.
    pub fn of(items: &[DrillItem]) -> Self {
        if items.iter().any(|i| i.status == DrillItemStatus::Fail) {
            DrillStatus::Failed
        } else if items.iter().any(|i| i.status == DrillItemStatus::Waiting) {
            DrillStatus::Waiting
        } else {
            DrillStatus::Passed
        }
    }
}

/// One checked item of a drill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillItem {
    /// Its place in the report (and key within the drill).
    pub seq: i64,
    /// `channel`, `page`, `monitor`, `heartbeat`, `integration` or `contact`.
    pub kind: String,
    /// What was checked: a channel id, `contact via method`, a monitor or integration id.
    pub subject: String,
    pub status: DrillItemStatus,
    /// Why, in one sentence: the answer, the error, the age of the last result.
    pub reason: String,
    /// The single-use nonce of this item's link (test pages, contact re-verification).
    pub nonce: Option<String>,
    /// When its link was used.
    pub confirmed_at: Option<Timestamp>,
}

/// One drill run and its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillRecord {
    pub id: String,
    /// `schedule`, or who ran it by hand (`admin`, an e-mail).
    pub trigger: String,
    pub started_at: Timestamp,
    /// When unconfirmed test pages count as failed.
    pub confirm_by: Timestamp,
    pub status: DrillStatus,
    /// When its outcome was final (nothing left waiting).
    pub finished_at: Option<Timestamp>,
    /// The SEV-3 a failure opened.
    pub incident_id: Option<String>,
    /// What came of sending the report to `report_to`: `sent`, or the error.
    pub report_sent: Option<String>,
    pub items: Vec<DrillItem>,
}

/// A contact's numbers confirmed through a drill's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactVerification {
    pub contact: String,
    pub verified_on: Date,
    pub recorded_at: Timestamp,
}
