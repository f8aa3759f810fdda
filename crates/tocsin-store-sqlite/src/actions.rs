//! SQL for mitigation action runs and customer communications (drafts, approvals, the named
//! customers of an incident, and the customer-mail outbox).

use jiff::Timestamp;
use sqlx::Row;

use crate::SqliteStore;
use crate::rows;
use tocsin_store::AttemptOutcome;
use tocsin_store::*;
use tocsin_store::{Result, StoreError};

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

impl SqliteStore {
    pub(super) async fn action_runs_sql(&self, incident_id: &str) -> Result<Vec<ActionRun>> {
        let rows = sqlx::query(
            "SELECT * FROM action_runs WHERE incident_id = ? ORDER BY requested_at, rowid",
        )
        .bind(incident_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::action_run).collect()
    }

    pub(super) async fn comms_sql(&self, incident_id: &str) -> Result<Vec<CommsRecord>> {
        let rows =
            sqlx::query("SELECT * FROM comms WHERE incident_id = ? ORDER BY created_at, rowid")
                .bind(incident_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(rows::comms).collect()
    }

    pub(super) async fn affected_sql(&self, incident_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM incident_affected WHERE incident_id = ? ORDER BY added_at, email",
        )
        .bind(incident_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub(super) async fn claim_comms_mail_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<CommsMail>> {
        let rows = crate::lease::claim(
            self,
            tocsin_store::Queue::CustomerMail,
            now,
            lease_until,
            limit,
        )
        .await?;
        let mut mails = Vec::with_capacity(rows.len());
        for row in rows {
            let comms_id: String = row.try_get("comms_id")?;
            let comms = sqlx::query("SELECT * FROM comms WHERE id = ?")
                .bind(&comms_id)
                .fetch_one(&*self.writer.turn().await)
                .await?;
            let comms = rows::comms(&comms)?;
            let locale: String = row.try_get("locale")?;
            let text = comms
                .texts
                .get(&locale)
                .or_else(|| comms.texts.get(&comms.default_locale))
                .or_else(|| comms.texts.values().next())
                .cloned()
                .ok_or_else(|| corrupt(format!("customer notice {comms_id} has no text")))?;
            let attempts: i64 = row.try_get("attempts")?;
            let locale = if comms.texts.contains_key(&locale) {
                locale
            } else {
                comms.default_locale.clone()
            };
            mails.push(CommsMail {
                id: row.try_get("id")?,
                incident_id: comms.incident_id,
                recipient: row.try_get("recipient")?,
                subscriber_id: row.try_get("subscriber_id")?,
                locale,
                attempts: u32::try_from(attempts).unwrap_or(0),
                text,
            });
        }
        Ok(mails)
    }

    pub(super) async fn record_comms_mail_sql(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        crate::rows::record_mail_attempt(
            &*self.writer.turn().await,
            "UPDATE comms_mail SET status = ?, attempts = attempts + 1, claimed_until = NULL, \
               last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at), \
               sent_at = COALESCE(?, sent_at) WHERE id = ? AND status = 'pending'",
            mail_id,
            at,
            outcome,
        )
        .await
    }
}
