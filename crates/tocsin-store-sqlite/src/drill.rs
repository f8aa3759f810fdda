//! The monthly drill in SQLite: its schedule row, runs and their items, contacts' confirmed dates.

use jiff::Timestamp;
use sqlx::Row;

use crate::rows::{self, ms, ts_opt};
use crate::{SqliteStore, schedule_row};

/// Drills closed per claim: a drill runs monthly, so one claim always takes them all.
const DRILLS_PER_CLAIM: u32 = 100;
use tocsin_core::drill::*;
use tocsin_store::Result;

impl SqliteStore {
    async fn with_items(&self, mut drills: Vec<DrillRecord>) -> Result<Vec<DrillRecord>> {
        for drill in &mut drills {
            drill.items = sqlx::query("SELECT * FROM drill_items WHERE drill_id = ? ORDER BY seq")
                .bind(&drill.id)
                .fetch_all(&*self.writer.turn().await)
                .await?
                .iter()
                .map(rows::drill_item)
                .collect::<Result<_>>()?;
        }
        Ok(drills)
    }

    pub(super) async fn sync_drill_schedule_sql(
        &self,
        expr: Option<&str>,
        first_due: Timestamp,
    ) -> Result<()> {
        schedule_row::DRILL
            .sync(&*self.writer.turn().await, expr, first_due)
            .await
    }

    pub(super) async fn drill_due_at_sql(&self) -> Result<Option<Timestamp>> {
        schedule_row::DRILL.due_at(&*self.writer.turn().await).await
    }

    pub(super) async fn start_drill_sql(
        &self,
        record: &DrillRecord,
        schedule: Option<(Timestamp, Timestamp)>,
    ) -> Result<bool> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        if let Some((due, next)) = schedule {
            let moved =
                sqlx::query("UPDATE drill_schedule SET due_at = ? WHERE id = 1 AND due_at = ?")
                    .bind(ms(next))
                    .bind(ms(due))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if moved == 0 {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO drills (id, trigger, started_at, confirm_by, status, finished_at, incident_id, report_sent) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(&record.trigger)
        .bind(ms(record.started_at))
        .bind(ms(record.confirm_by))
        .bind(record.status.as_str())
        .bind(record.finished_at.map(ms))
        .bind(&record.incident_id)
        .bind(&record.report_sent)
        .execute(&mut *tx)
        .await?;
        for entry in &record.items {
            sqlx::query(
                "INSERT INTO drill_items (drill_id, seq, kind, subject, status, reason, nonce, confirmed_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&record.id)
            .bind(entry.seq)
            .bind(&entry.kind)
            .bind(&entry.subject)
            .bind(entry.status.as_str())
            .bind(&entry.reason)
            .bind(&entry.nonce)
            .bind(entry.confirmed_at.map(ms))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn set_drill_item_sql(
        &self,
        drill_id: &str,
        seq: i64,
        status: DrillItemStatus,
        reason: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE drill_items SET status = ?, reason = ? WHERE drill_id = ? AND seq = ?")
            .bind(status.as_str())
            .bind(reason)
            .bind(drill_id)
            .bind(seq)
            .execute(&*self.writer.turn().await)
            .await?;
        Ok(())
    }

    pub(super) async fn expire_drill_items_sql(&self, drill_id: &str, reason: &str) -> Result<()> {
        sqlx::query(
            "UPDATE drill_items SET status = 'fail', reason = ? WHERE drill_id = ? AND status = 'waiting'",
        )
        .bind(reason)
        .bind(drill_id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    pub(super) async fn set_drill_outcome_sql(
        &self,
        drill_id: &str,
        status: DrillStatus,
        finished_at: Option<Timestamp>,
        incident_id: Option<&str>,
        report_sent: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE drills SET status = ?, finished_at = ?, claimed_until = NULL, \
             incident_id = COALESCE(?, incident_id), report_sent = COALESCE(?, report_sent) WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(finished_at.map(ms))
        .bind(incident_id)
        .bind(report_sent)
        .bind(drill_id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    pub(super) async fn drills_sql(&self, limit: u32) -> Result<Vec<DrillRecord>> {
        let drills = sqlx::query("SELECT * FROM drills ORDER BY started_at DESC, id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&*self.writer.turn().await)
            .await?
            .iter()
            .map(rows::drill)
            .collect::<Result<Vec<_>>>()?;
        self.with_items(drills).await
    }

    pub(super) async fn drill_sql(&self, id: &str) -> Result<Option<DrillRecord>> {
        let found = sqlx::query("SELECT * FROM drills WHERE id = ?")
            .bind(id)
            .fetch_optional(&*self.writer.turn().await)
            .await?
            .as_ref()
            .map(rows::drill)
            .transpose()?;
        Ok(self.with_items(found.into_iter().collect()).await?.pop())
    }

    pub(super) async fn drill_item_by_nonce_sql(
        &self,
        nonce: &str,
    ) -> Result<Option<(String, DrillItem)>> {
        let row = sqlx::query("SELECT * FROM drill_items WHERE nonce = ?")
            .bind(nonce)
            .fetch_optional(&*self.writer.turn().await)
            .await?;
        row.map(|row| Ok((row.try_get("drill_id")?, rows::drill_item(&row)?)))
            .transpose()
    }

    pub(super) async fn confirm_drill_item_sql(
        &self,
        nonce: &str,
        at: Timestamp,
        reason: &str,
        verified: Option<(&str, jiff::civil::Date)>,
    ) -> Result<bool> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        // A page passes only while it is still waiting; a contact item keeps its status (the
        // drill found the numbers stale) and records the confirmation.
        let used = sqlx::query(
            "UPDATE drill_items SET confirmed_at = ?1, reason = ?2, \
             status = CASE WHEN status = 'waiting' THEN 'pass' ELSE status END \
             WHERE nonce = ?3 AND confirmed_at IS NULL",
        )
        .bind(ms(at))
        .bind(reason)
        .bind(nonce)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
            return Ok(false);
        }
        if let Some((contact, date)) = verified {
            sqlx::query(
                "INSERT INTO contact_verifications (contact, verified_on, recorded_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (contact) DO UPDATE SET verified_on = excluded.verified_on, recorded_at = excluded.recorded_at",
            )
            .bind(contact)
            .bind(date.to_string())
            .bind(ms(at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn claim_drills_to_close_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>> {
        let drills = crate::lease::claim(
            self,
            tocsin_store::Queue::DrillsToClose,
            now,
            lease_until,
            DRILLS_PER_CLAIM,
        )
        .await?
        .iter()
        .map(rows::drill)
        .collect::<Result<Vec<_>>>()?;
        self.with_items(drills).await
    }

    pub(super) async fn contact_verifications_sql(&self) -> Result<Vec<ContactVerification>> {
        sqlx::query("SELECT * FROM contact_verifications ORDER BY contact")
            .fetch_all(&*self.writer.turn().await)
            .await?
            .iter()
            .map(rows::contact_verification)
            .collect()
    }

    pub(super) async fn last_signal_at_sql(&self, source: &str) -> Result<Option<Timestamp>> {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(at) FROM (SELECT MAX(received_at) AS at FROM signals WHERE source = ?1 \
             UNION ALL SELECT MAX(received_at) AS at FROM changes WHERE source = ?1)",
        )
        .bind(source)
        .fetch_one(&self.reader)
        .await?;
        ts_opt(last)
    }
}
