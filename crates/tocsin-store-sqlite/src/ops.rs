//! The `/metrics` reads: a few aggregate queries on indexed columns, on the reader pool.

use jiff::Timestamp;
use sqlx::Row;

use crate::SqliteStore;
use crate::rows::{ms, ts};
use tocsin_store::Result;
use tocsin_store::history::whole;
use tocsin_store::{OpsGauges, OutboxChannel};

impl SqliteStore {
    pub(super) async fn ops_gauges_sql(&self, now: Timestamp) -> Result<OpsGauges> {
        let incidents_by_state =
            sqlx::query("SELECT state, COUNT(*) AS n FROM incidents GROUP BY state ORDER BY state")
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("state")?, whole(row.try_get("n")?))))
                .collect::<Result<Vec<_>>>()?;
        let outbox_pending = sqlx::query(
            "SELECT channel, COUNT(*) AS n, MIN(created_at) AS oldest FROM deliveries \
             WHERE status = 'pending' GROUP BY channel ORDER BY channel",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| {
            Ok(OutboxChannel {
                channel: row.try_get("channel")?,
                pending: whole(row.try_get("n")?),
                oldest_queued_at: ts(row.try_get("oldest")?)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let timers_due: i64 = sqlx::query("SELECT COUNT(*) AS n FROM timers WHERE due_at <= ?")
            .bind(ms(now))
            .fetch_one(&self.reader)
            .await?
            .try_get("n")?;
        // `file` is empty for an in-memory database.
        let database_file = sqlx::query("PRAGMA database_list")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .find(|row| {
                row.try_get::<String, _>("name")
                    .is_ok_and(|name| name == "main")
            })
            .and_then(|row| row.try_get::<String, _>("file").ok())
            .filter(|file| !file.is_empty())
            .map(std::path::PathBuf::from);
        Ok(OpsGauges {
            incidents_by_state,
            outbox_pending,
            timers_due: whole(timers_due),
            database_file,
        })
    }
}
