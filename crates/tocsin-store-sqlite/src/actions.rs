//! SQL for mitigation action runs and customer communications (drafts, approvals, the named
//! customers of an incident, and the customer-mail outbox).

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use tocsin_core::incident::TimelineEvent;
use tocsin_core::notice::{CustomerComms, CustomerText};

use crate::SqliteStore;
use crate::rows::{ms, ts, ts_opt};
use tocsin_store::AttemptOutcome;
use tocsin_store::*;
use tocsin_store::{Result, StoreError};

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

fn action_run(row: &SqliteRow) -> Result<ActionRun> {
    let status: String = row.try_get("status")?;
    Ok(ActionRun {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        action_id: row.try_get("action_id")?,
        requested_by: row.try_get("requested_by")?,
        requested_at: ts(row.try_get("requested_at")?)?,
        what: row.try_get("what")?,
        status: RunStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown action run status `{status}`")))?,
        exit_status: row.try_get("exit_status")?,
        output: row.try_get("output")?,
        finished_at: ts_opt(row.try_get("finished_at")?)?,
    })
}

fn comms_record(row: &SqliteRow) -> Result<CommsRecord> {
    let texts: String = row.try_get("texts")?;
    Ok(CommsRecord {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        channel: row.try_get("channel")?,
        event: row.try_get("event")?,
        audience: row.try_get("audience")?,
        default_locale: row.try_get("default_locale")?,
        texts: serde_json::from_str(&texts).map_err(corrupt)?,
        status: row.try_get("status")?,
        created_at: ts(row.try_get("created_at")?)?,
        approved_by: row.try_get("approved_by")?,
        approved_at: ts_opt(row.try_get("approved_at")?)?,
    })
}

/// Queues one mail per recipient of an approved notice: the status page's confirmed
/// subscribers in their own locale, or the customers named on the incident in the notice's
/// default locale. A recipient already queued for this notice is skipped.
async fn queue_recipients(
    tx: &mut Transaction<'_, Sqlite>,
    comms_id: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO comms_mail (id, comms_id, recipient, locale, status, next_attempt_at, subscriber_id) \
         SELECT lower(hex(randomblob(16))), c.id, s.email, s.locale, 'pending', ?2, s.id \
           FROM comms c JOIN subscribers s ON s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL \
          WHERE c.id = ?1 AND c.audience = 'subscribers' \
         UNION ALL \
         SELECT lower(hex(randomblob(16))), c.id, a.email, c.default_locale, 'pending', ?2, NULL \
           FROM comms c JOIN incident_affected a ON a.incident_id = c.incident_id \
          WHERE c.id = ?1 AND c.audience = 'affected'",
    )
    .bind(comms_id)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a customer notice decided with an incident: a draft, or approved with its mail queued.
pub(super) async fn write_customer_comms(
    tx: &mut Transaction<'_, Sqlite>,
    comms: &CustomerComms,
    now: Timestamp,
) -> Result<()> {
    let texts = serde_json::to_string(&comms.texts).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO comms (id, incident_id, channel, event, audience, default_locale, texts, status, created_at, approved_by, approved_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&comms.id)
    .bind(&comms.incident_id)
    .bind(&comms.channel)
    .bind(comms.event.as_str())
    .bind(&comms.audience)
    .bind(&comms.default_locale)
    .bind(texts)
    .bind(if comms.draft { "draft" } else { "approved" })
    .bind(ms(now))
    .bind((!comms.draft).then_some("tocsin"))
    .bind((!comms.draft).then_some(ms(now)))
    .execute(&mut **tx)
    .await?;
    if !comms.draft {
        queue_recipients(tx, &comms.id, now).await?;
    }
    Ok(())
}

/// Writes a mitigation action's run as decided: inserted when requested, its ending (status,
/// exit status, output, finish time) written over it when it ends.
pub(super) async fn write_action_run(
    tx: &mut Transaction<'_, Sqlite>,
    run: &ActionRun,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO action_runs (id, incident_id, action_id, requested_by, requested_at, what, status, exit_status, output, finished_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, exit_status = excluded.exit_status, \
           output = excluded.output, finished_at = excluded.finished_at",
    )
    .bind(&run.id)
    .bind(&run.incident_id)
    .bind(&run.action_id)
    .bind(&run.requested_by)
    .bind(ms(run.requested_at))
    .bind(&run.what)
    .bind(run.status.as_str())
    .bind(run.exit_status)
    .bind(&run.output)
    .bind(run.finished_at.map(ms))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SqliteStore {
    pub(super) async fn action_runs_sql(&self, incident_id: &str) -> Result<Vec<ActionRun>> {
        let rows = sqlx::query(
            "SELECT * FROM action_runs WHERE incident_id = ? ORDER BY requested_at, rowid",
        )
        .bind(incident_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(action_run).collect()
    }

    pub(super) async fn comms_sql(&self, incident_id: &str) -> Result<Vec<CommsRecord>> {
        let rows =
            sqlx::query("SELECT * FROM comms WHERE incident_id = ? ORDER BY created_at, rowid")
                .bind(incident_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(comms_record).collect()
    }

    pub(super) async fn approve_comms_sql(
        &self,
        incident_id: &str,
        comms_id: &str,
        approved_by: &str,
        texts: Option<&BTreeMap<String, CustomerText>>,
        event: &TimelineEvent,
    ) -> Result<ApproveOutcome> {
        let mut tx = self.writer.begin().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM comms WHERE id = ? AND incident_id = ?")
                .bind(comms_id)
                .bind(incident_id)
                .fetch_optional(&mut *tx)
                .await?;
        match status.as_deref() {
            None => return Ok(ApproveOutcome::NoSuchDraft),
            Some("draft") => {}
            Some(_) => return Ok(ApproveOutcome::AlreadyApproved),
        }
        if let Some(texts) = texts {
            sqlx::query("UPDATE comms SET texts = ? WHERE id = ?")
                .bind(serde_json::to_string(texts).map_err(corrupt)?)
                .bind(comms_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE comms SET status = 'approved', approved_by = ?, approved_at = ? WHERE id = ?",
        )
        .bind(approved_by)
        .bind(ms(event.at))
        .bind(comms_id)
        .execute(&mut *tx)
        .await?;
        queue_recipients(&mut tx, comms_id, event.at).await?;
        crate::rows::insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(ApproveOutcome::Approved)
    }

    pub(super) async fn add_affected_sql(
        &self,
        incident_id: &str,
        emails: &[String],
        event: &TimelineEvent,
    ) -> Result<Vec<String>> {
        let mut tx = self.writer.begin().await?;
        let mut added = Vec::new();
        for email in emails {
            let inserted = sqlx::query(
                "INSERT OR IGNORE INTO incident_affected (incident_id, email, added_by, added_at) VALUES (?, ?, ?, ?)",
            )
            .bind(incident_id)
            .bind(email)
            .bind(&event.actor)
            .bind(ms(event.at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted > 0 {
                added.push(email.clone());
            }
        }
        if !added.is_empty() {
            let approved: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM comms WHERE incident_id = ? AND audience = 'affected' AND status = 'approved'",
            )
            .bind(incident_id)
            .fetch_all(&mut *tx)
            .await?;
            for comms_id in approved {
                queue_recipients(&mut tx, &comms_id, event.at).await?;
            }
            crate::rows::insert_event(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(added)
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
            &self.writer,
            tocsin_store::Queue::CustomerMail,
            &self.lease_owner,
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
                .fetch_one(&self.writer)
                .await?;
            let comms = comms_record(&comms)?;
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
            &self.writer,
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
