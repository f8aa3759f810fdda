//! Moving a whole installation from one backend to another (`tocsin store copy`): every table,
//! as plain cells, in an order that satisfies the foreign keys. Both backends keep the same
//! columns with the same values (times as epoch milliseconds, flags as 0/1), so a row moves
//! unchanged and keeps its ids: links, tokens and sessions made before the copy still work.

use crate::{Result, StoreError};

/// One stored value: both schemas hold only integers, text and NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// Every table tocsin keeps, parents before the tables whose rows point at them. A backend's
/// tests check that this names each of its tables, so a new table cannot be left behind.
pub const TABLES: &[&str] = &[
    "settings",
    "incidents",
    "alerts",
    "timeline_events",
    "signals",
    "timers",
    "deliveries",
    "delivery_attempts",
    "used_tokens",
    "changes",
    "seen_deliveries",
    "overrides",
    "subscribers",
    "subscriber_tokens",
    "subscriber_mail",
    "status_mail_cursor",
    "users",
    "sessions",
    "api_tokens",
    "monitors",
    "check_results",
    "check_rollups",
    "outages",
    "drill_schedule",
    "drills",
    "drill_items",
    "contact_verifications",
    "postmortems",
    "action_runs",
    "comms",
    "incident_affected",
    "comms_mail",
    "review_schedule",
    "review_digests",
    "silences",
    "reply_codes",
    "tickets",
    "chat_messages",
];

/// Tables a copy leaves out: which replicas are alive is not history.
pub const NOT_COPIED: &[&str] = &["replicas"];

/// Rows moved per statement: large enough that a big history moves quickly, small enough that
/// a statement's parameters stay far below PostgreSQL's 65,535.
pub const ROWS_PER_BATCH: usize = 500;

/// `name` if it is a table tocsin keeps: table names go into SQL, so nothing else may.
pub fn known_table(name: &str) -> Result<&'static str> {
    TABLES
        .iter()
        .find(|known| **known == name)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("`{name}` is not a table tocsin keeps")))
}
