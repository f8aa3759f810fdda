//! The SQLite store's side of row mapping: rusqlite rows read through the shared mappings
//! (`tocsin_store::rows`), and the mail outboxes' attempt record.

use std::ops::Deref;

use jiff::Timestamp;
pub use tocsin_store::rows::*;
use tocsin_store::{AttemptOutcome, Result};

/// A rusqlite row, readable by the shared mappings; it derefs to the row for direct reads.
pub struct Lite<'a, 'r>(pub &'a rusqlite::Row<'r>);

impl<'r> Deref for Lite<'_, 'r> {
    type Target = rusqlite::Row<'r>;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl Columns for Lite<'_, '_> {
    fn text(&self, name: &str) -> Result<String> {
        self.0.get(name).map_err(crate::write::failure)
    }
    fn maybe_text(&self, name: &str) -> Result<Option<String>> {
        self.0.get(name).map_err(crate::write::failure)
    }
    fn int(&self, name: &str) -> Result<i64> {
        self.0.get(name).map_err(crate::write::failure)
    }
    fn maybe_int(&self, name: &str) -> Result<Option<i64>> {
        self.0.get(name).map_err(crate::write::failure)
    }
}

/// Records one send attempt of a mail outbox row (subscriber mail, customer notices) with
/// `statement`, that outbox's `UPDATE … WHERE id = ? AND status = 'pending'`: sent, retried later,
/// or failed for good.
pub(super) async fn record_mail_attempt(
    pool: &sqlx::SqlitePool,
    statement: &'static str,
    mail_id: &str,
    at: Timestamp,
    outcome: &AttemptOutcome,
) -> Result<()> {
    let columns = attempt_columns(outcome, at);
    sqlx::query(statement)
        .bind(columns.status)
        .bind(columns.error)
        .bind(columns.next_attempt_at)
        .bind(columns.sent_at)
        .bind(mail_id)
        .execute(pool)
        .await?;
    Ok(())
}
