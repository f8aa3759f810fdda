//! The `/metrics` reads: a few aggregate queries on indexed columns.

use jiff::Timestamp;
use sqlx::Row;
use tocsin_store::history::whole;
use tocsin_store::rows::{ms, ts};
use tocsin_store::{OpsGauges, OutboxChannel, Result};

use crate::PgStore;

impl PgStore {
    pub(super) async fn ops_gauges_sql(&self, now: Timestamp) -> Result<OpsGauges> {
        // Ordered bytewise (`COLLATE "C"`), as SQLite orders text, whatever the database's
        // collation.
        let incidents_by_state = sqlx::query(
            "SELECT state, count(*) AS n FROM incidents GROUP BY state ORDER BY state COLLATE \"C\"",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("state")?, whole(row.try_get("n")?))))
        .collect::<Result<Vec<_>>>()?;
        let outbox_pending = sqlx::query(
            "SELECT channel, count(*) AS n, min(created_at) AS oldest FROM deliveries \
             WHERE status = 'pending' GROUP BY channel ORDER BY channel COLLATE \"C\"",
        )
        .fetch_all(self.pool())
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
        let timers_due: i64 = sqlx::query_scalar("SELECT count(*) FROM timers WHERE due_at <= $1")
            .bind(ms(now))
            .fetch_one(self.pool())
            .await?;
        Ok(OpsGauges {
            incidents_by_state,
            outbox_pending,
            timers_due: whole(timers_due),
            // The database is on a server, not a file of this machine: no free disk to watch.
            database_file: None,
        })
    }
}
