//! The public status page's reads (incidents of the last 90 days, their public updates) and its
//! subscribers: their links, their outbox, and the cursor that hands public updates to that
//! outbox exactly once.

use jiff::Timestamp;
use sqlx::Row;
use tocsin_core::incident::Incident;

use crate::SqliteStore;
use crate::rows::{self, ms, ts};
use tocsin_store::*;
use tocsin_store::{Result, StoreError};

/// A list of values bound as one JSON array, read back with `json_each`: SQLite has no array
/// parameters, and building `IN (?, ?, …)` by hand is how injection creeps in.
/// The sign-ups never confirmed, last asked before the bound time (`?`).
const UNCONFIRMED_BEFORE: &str = "SELECT id FROM subscribers WHERE confirmed_at IS NULL \
     AND COALESCE(confirm_sent_at, created_at) < ?";
/// What refers to a sign-up, cleared before its row goes.
const PURGE_DEPENDENTS: [&str; 3] = [
    "DELETE FROM subscriber_tokens",
    "DELETE FROM subscriber_mail",
    "UPDATE comms_mail SET subscriber_id = NULL",
];

fn json_list<T: serde::Serialize>(values: &[T]) -> Result<String> {
    serde_json::to_string(values).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The columns [`rows::subscriber`] reads, from a `subscribers s`.
const SUBSCRIBER_COLUMNS: &str = "s.id AS subscriber_id, s.email, s.locale, s.created_at AS subscribed_at, \
     s.confirmed_at, s.unsubscribed_at";

impl SqliteStore {
    pub(super) async fn status_incidents_sql(&self, since: Timestamp) -> Result<Vec<Incident>> {
        sqlx::query(
            "SELECT * FROM incidents WHERE state != 'resolved' OR opened_at >= ?1 OR resolved_at >= ?1 \
             ORDER BY opened_at DESC, id DESC",
        )
        .bind(ms(since))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::incident)
        .collect()
    }

    pub(super) async fn public_updates_sql(
        &self,
        incident_ids: &[String],
    ) -> Result<Vec<PublicUpdate>> {
        if incident_ids.is_empty() {
            return Ok(Vec::new());
        }
        // `json_extract` reads JSON true as 1; the decision writes `{"public": bool, "state"}`.
        sqlx::query(
            "SELECT seq, incident_id, at, text, json_extract(data, '$.state') AS update_state \
             FROM timeline_events WHERE kind = 'update' AND json_extract(data, '$.public') = 1 \
             AND incident_id IN (SELECT value FROM json_each(?)) ORDER BY at DESC, seq DESC",
        )
        .bind(json_list(incident_ids)?)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::public_update)
        .collect()
    }

    pub(super) async fn add_subscriber_sql(
        &self,
        email: &str,
        locale: &str,
        now: Timestamp,
        ask_again_after: Timestamp,
    ) -> Result<Subscribed> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        let existing = sqlx::query(
            "SELECT id, confirmed_at, unsubscribed_at, confirm_sent_at FROM subscribers WHERE email = ?",
        )
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let id: i64 = match existing {
            None => {
                sqlx::query(
                    "INSERT INTO subscribers (email, locale, created_at, confirm_sent_at) VALUES (?, ?, ?, ?) \
                     RETURNING id",
                )
                .bind(email)
                .bind(locale)
                .bind(ms(now))
                .bind(ms(now))
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?
            }
            Some(row) => {
                let confirmed: Option<i64> = row.try_get("confirmed_at")?;
                let unsubscribed: Option<i64> = row.try_get("unsubscribed_at")?;
                let asked: Option<i64> = row.try_get("confirm_sent_at")?;
                if confirmed.is_some() && unsubscribed.is_none() {
                    return Ok(Subscribed::AlreadyConfirmed);
                }
                if asked.is_some_and(|asked| asked > ms(ask_again_after)) {
                    return Ok(Subscribed::Recently);
                }
                let id: i64 = row.try_get("id")?;
                // Starting over: consent is given again, by a fresh confirmation.
                sqlx::query(
                    "UPDATE subscribers SET locale = ?, confirmed_at = NULL, unsubscribed_at = NULL, \
                       confirm_sent_at = ? WHERE id = ?",
                )
                .bind(locale)
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        sqlx::query(
            "INSERT INTO subscriber_mail (id, subscriber_id, kind, status, next_attempt_at, created_at) \
             VALUES (?, ?, 'confirm', 'pending', ?, ?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(id)
        .bind(ms(now))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Subscribed::Queued)
    }

    pub(super) async fn add_subscriber_token_sql(&self, token: &SubscriberToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO subscriber_tokens (selector, verifier_hash, subscriber_id, purpose, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&token.selector)
        .bind(&token.verifier_hash)
        .bind(token.subscriber_id)
        .bind(token.purpose.as_str())
        .bind(ms(token.created_at))
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    pub(super) async fn subscriber_token_sql(
        &self,
        selector: &str,
    ) -> Result<Option<(SubscriberToken, SubscriberRecord)>> {
        let sql = format!(
            "SELECT t.selector, t.verifier_hash, t.purpose, t.created_at AS token_created_at, \
             {SUBSCRIBER_COLUMNS} FROM subscriber_tokens t JOIN subscribers s ON s.id = t.subscriber_id \
             WHERE t.selector = ?"
        );
        // Built from constant fragments only; the selector is bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(selector)
            .fetch_optional(&*self.writer.turn().await)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let purpose: String = row.try_get("purpose")?;
        let subscriber = rows::subscriber(&row)?;
        let token = SubscriberToken {
            selector: row.try_get("selector")?,
            verifier_hash: row.try_get("verifier_hash")?,
            subscriber_id: subscriber.id,
            purpose: TokenPurpose::parse(&purpose)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown link purpose `{purpose}`")))?,
            created_at: ts(row.try_get("token_created_at")?)?,
        };
        Ok(Some((token, subscriber)))
    }

    pub(super) async fn confirm_subscriber_sql(&self, id: i64, at: Timestamp) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE subscribers SET confirmed_at = COALESCE(confirmed_at, ?) \
             WHERE id = ? AND unsubscribed_at IS NULL",
        )
        .bind(ms(at))
        .bind(id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    pub(super) async fn unsubscribe_sql(&self, id: i64, at: Timestamp) -> Result<bool> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        let changed = sqlx::query(
            "UPDATE subscribers SET unsubscribed_at = ? WHERE id = ? AND unsubscribed_at IS NULL",
        )
        .bind(ms(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Mail already queued must not go out after the reader asked for it to stop: status
        // updates and customer notices alike.
        for outbox in [
            "UPDATE subscriber_mail SET status = 'failed', last_error = 'unsubscribed', claimed_until = NULL \
             WHERE subscriber_id = ? AND status = 'pending'",
            "UPDATE comms_mail SET status = 'failed', last_error = 'unsubscribed', claimed_until = NULL \
             WHERE subscriber_id = ? AND status = 'pending'",
        ] {
            sqlx::query(outbox).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(changed.rows_affected() > 0)
    }

    pub(super) async fn purge_unconfirmed_subscribers_sql(
        &self,
        asked_before: Timestamp,
    ) -> Result<u64> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        for dependent in PURGE_DEPENDENTS {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{dependent} WHERE subscriber_id IN ({UNCONFIRMED_BEFORE})"
            )))
            .bind(ms(asked_before))
            .execute(&mut *tx)
            .await?;
        }
        let purged = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM subscribers WHERE id IN ({UNCONFIRMED_BEFORE})"
        )))
        .bind(ms(asked_before))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(purged.rows_affected())
    }

    pub(super) async fn queue_subscriber_updates_sql(
        &self,
        severities: &[String],
        now: Timestamp,
    ) -> Result<u64> {
        // Only update events are ever mailed, so with none past the cursor there is nothing to
        // queue and the cursor need not move (it moves past everything at the next update). Asked
        // on a reader, through the index of updates alone (the planner would otherwise walk the
        // events back from the newest): most rounds end here without a write.
        let pending: bool = sqlx::query_scalar(
            "SELECT coalesce((SELECT max(seq) FROM timeline_events INDEXED BY timeline_update_seqs \
             WHERE kind = 'update') > (SELECT last_seq FROM status_mail_cursor WHERE id = 1), 0)",
        )
        .fetch_one(&self.reader)
        .await?;
        if !pending {
            return Ok(0);
        }
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        let last: i64 = sqlx::query_scalar("SELECT last_seq FROM status_mail_cursor WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let upto: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM timeline_events")
            .fetch_one(&mut *tx)
            .await?;
        let upto = upto.unwrap_or(last);
        if upto <= last {
            return Ok(0);
        }
        // The writer is one connection, so no transaction with a lower seq can still be
        // uncommitted: everything up to `upto` is final and is handed over exactly once.
        let queued = sqlx::query(
            "INSERT INTO subscriber_mail (id, subscriber_id, kind, event_seq, status, next_attempt_at, created_at) \
             SELECT lower(hex(randomblob(16))), s.id, 'update', e.seq, 'pending', ?1, ?1 \
             FROM timeline_events e JOIN incidents i ON i.id = e.incident_id \
             JOIN subscribers s ON s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL \
             WHERE e.seq > ?2 AND e.seq <= ?3 AND e.kind = 'update' \
               AND json_extract(e.data, '$.public') = 1 \
               AND i.severity IN (SELECT value FROM json_each(?4)) \
             ON CONFLICT DO NOTHING",
        )
        .bind(ms(now))
        .bind(last)
        .bind(upto)
        .bind(json_list(severities)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE status_mail_cursor SET last_seq = ? WHERE id = 1")
            .bind(upto)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(queued.rows_affected())
    }

    pub(super) async fn claim_subscriber_mail_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<SubscriberMail>> {
        let ids = crate::lease::claim_keys(
            self,
            tocsin_store::Queue::SubscriberMail,
            now,
            lease_until,
            limit,
        )
        .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT m.id AS mail_id, m.kind, m.attempts, {SUBSCRIBER_COLUMNS}, \
               e.seq, e.incident_id, e.at, e.text, json_extract(e.data, '$.state') AS update_state, \
               i.public_title, i.component, i.severity, i.state AS incident_state \
             FROM subscriber_mail m JOIN subscribers s ON s.id = m.subscriber_id \
             LEFT JOIN timeline_events e ON e.seq = m.event_seq \
             LEFT JOIN incidents i ON i.id = e.incident_id \
             WHERE m.id IN (SELECT value FROM json_each(?)) ORDER BY m.next_attempt_at, m.id"
        );
        // Built from constant fragments only; the ids are bound.
        // On a reader: it sees the claim just committed.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::Value::Array(ids).to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(rows::subscriber_mail).collect()
    }

    pub(super) async fn record_subscriber_mail_sql(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        crate::rows::record_mail_attempt(
            &*self.writer.turn().await,
            "UPDATE subscriber_mail SET status = ?, attempts = attempts + 1, claimed_until = NULL, \
               last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at), \
               sent_at = COALESCE(?, sent_at) WHERE id = ? AND status = 'pending'",
            mail_id,
            at,
            outcome,
        )
        .await
    }
}
