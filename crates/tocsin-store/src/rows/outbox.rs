//! The outboxes' rows (deliveries, subscriber and customer mail): a pending delivery read back,
//! and what a send attempt's outcome writes.

use jiff::Timestamp;

use super::{Columns, count, ms};
use crate::{AttemptOutcome, PendingDelivery, Result, StoreError};

/// A `deliveries` row to send; its notice is JSON.
pub fn pending_delivery(row: &(impl Columns + ?Sized)) -> Result<PendingDelivery> {
    let notice = row.text("notice")?;
    Ok(PendingDelivery {
        id: row.text("id")?,
        channel: row.text("channel")?,
        recipient: row.maybe_text("recipient")?,
        notice: serde_json::from_str(&notice).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        attempts: count(row.int("attempts")?),
    })
}

/// What one send attempt at `at` writes: to the attempt's record whether it went out, and to
/// its outbox row the new status, the error, when to try again and when it was sent (epoch ms;
/// a `None` keeps the column as it was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptColumns<'a> {
    pub ok: bool,
    /// `sent`, `pending` (to be tried again) or `failed`.
    pub status: &'static str,
    pub error: Option<&'a str>,
    pub next_attempt_at: Option<i64>,
    pub sent_at: Option<i64>,
}

pub fn attempt_columns(outcome: &AttemptOutcome, at: Timestamp) -> AttemptColumns<'_> {
    match outcome {
        AttemptOutcome::Sent => AttemptColumns {
            ok: true,
            status: "sent",
            error: None,
            next_attempt_at: None,
            sent_at: Some(ms(at)),
        },
        AttemptOutcome::Retry {
            error,
            next_attempt_at,
        } => AttemptColumns {
            ok: false,
            status: "pending",
            error: Some(error),
            next_attempt_at: Some(ms(*next_attempt_at)),
            sent_at: None,
        },
        AttemptOutcome::Failed { error } => AttemptColumns {
            ok: false,
            status: "failed",
            error: Some(error),
            next_attempt_at: None,
            sent_at: None,
        },
    }
}

/// A page of an incident's current step, from its `deliveries` row (`recipient`, `channel`,
/// `status`, `last_error`): failed for good when its status is `failed`.
pub fn page_state(row: &(impl Columns + ?Sized)) -> Result<tocsin_core::decide::PageState> {
    Ok(tocsin_core::decide::PageState {
        contact: row.maybe_text("recipient")?.unwrap_or_default(),
        method: row.text("channel")?,
        failed: row.text("status")? == "failed",
        error: row.maybe_text("last_error")?,
    })
}
