//! The reads behind runbooks and the first-five-minutes card: an incident's checklist ticks
//! (folded from its `checklist_ticked` events), changes in a window, a monitor's last passing
//! check before an instant.

use jiff::Timestamp;
use sqlx::{Sqlite, Transaction};
use tocsin_core::checklist::Tick;

use crate::SqliteStore;
use crate::rows::{self, ms};
use tocsin_store::Result;
use tocsin_store::*;

/// The latest tick of each checklist item of an incident, read in the caller's read transaction.
pub(super) async fn ticks_in(
    tx: &mut Transaction<'_, Sqlite>,
    incident_id: &str,
) -> Result<std::collections::BTreeMap<String, Tick>> {
    let events = sqlx::query(
        "SELECT * FROM timeline_events WHERE incident_id = ? AND kind = 'checklist_ticked' ORDER BY seq",
    )
    .bind(incident_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(rows::event)
    .collect::<Result<Vec<_>>>()?;
    Ok(tocsin_core::checklist::ticks(&events))
}

impl SqliteStore {
    // Quick reads (`read.rs`): both answer the card that goes out with an incident's first
    // message.
    pub(super) async fn changes_in_sql(&self, query: &ChangeQuery) -> Result<Vec<ChangeRecord>> {
        self.quick.read(|connection| {
            crate::read::all(
                connection,
                "SELECT * FROM changes WHERE (?1 IS NULL OR service = ?1) AND (?2 IS NULL OR kind = ?2) \
                 AND occurred_at >= ?3 AND occurred_at <= ?4 ORDER BY occurred_at DESC, seq DESC LIMIT ?5",
                rusqlite::params![
                    query.service.as_deref(),
                    query.kind.map(|kind| kind.as_str()),
                    ms(query.since),
                    ms(query.until),
                    i64::from(query.limit),
                ],
                |row| rows::change(row),
            )
        })
    }

    pub(super) async fn last_check_sql(
        &self,
        monitor_id: &str,
        ok: bool,
        before: Timestamp,
    ) -> Result<Option<CheckRecord>> {
        self.quick.read(|connection| {
            crate::read::one(
                connection,
                "SELECT * FROM check_results WHERE monitor = (SELECT key FROM monitors WHERE id = ?1) \
                 AND ok = ?2 AND at <= ?3 ORDER BY at DESC, n DESC LIMIT 1",
                rusqlite::params![monitor_id, ok, ms(before)],
                |row| rows::check(row),
            )
        })
    }
}
