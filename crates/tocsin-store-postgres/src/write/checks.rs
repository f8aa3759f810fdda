//! A check's result and the monitor state it led to, written inside a transaction.

use sqlx::PgConnection;
use tocsin_store::{CheckCommit, Result};

/// Records one check: its raw result, the monitor's new state and its outage interval.
pub(crate) async fn record_check(tx: &mut PgConnection, check: &CheckCommit) -> Result<()> {
    todo!("record_check on PostgreSQL")
}
