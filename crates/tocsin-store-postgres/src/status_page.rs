//! StatusPageStore on PostgreSQL: the public status page's incidents and updates, its
//! subscribers and their links, and the mail queued for them.

mod mail_cursor;

use std::ops::ControlFlow;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{PgConnection, Row};
use tocsin_core::incident::Incident;
use tocsin_store::rows::{self, corrupt, ms, ts};
use tocsin_store::*;

use crate::PgStore;

/// Which timeline events of `timeline_events e` are public updates. `data` is JSON kept as
/// text; the decision writes `{"public": bool, "state": …}` (SQLite's `json_extract` = 1).
pub(crate) const PUBLIC_UPDATE: &str =
    "e.kind = 'update' AND (e.data::jsonb -> 'public') = 'true'::jsonb";

/// The incident's state an update of `timeline_events e` was posted in, as
/// [`rows::public_update`] reads it (a literal, for `concat!`: the subscriber mail's claim
/// reads it too).
macro_rules! update_state {
    () => {
        "e.data::jsonb ->> 'state' AS update_state"
    };
}
pub(crate) use update_state;
const UPDATE_STATE: &str = update_state!();

/// The columns [`rows::subscriber`] reads, from a `subscribers s` (a literal, for `concat!`).
macro_rules! subscriber_columns {
    () => {
        "s.id AS subscriber_id, s.email, s.locale, \
         s.created_at AS subscribed_at, s.confirmed_at, s.unsubscribed_at"
    };
}
pub(crate) use subscriber_columns;
const SUBSCRIBER_COLUMNS: &str = subscriber_columns!();

#[async_trait]
impl StatusPageStore for PgStore {
    async fn status_incidents(&self, since: Timestamp) -> Result<Vec<Incident>> {
        // Ids compare byte by byte, as on SQLite, whatever the database's locale.
        sqlx::query(
            "SELECT * FROM incidents WHERE state != 'resolved' OR opened_at >= $1 OR resolved_at >= $1 \
             ORDER BY opened_at DESC, id COLLATE \"C\" DESC",
        )
        .bind(ms(since))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::incident)
        .collect()
    }

    async fn public_updates(&self, incident_ids: &[String]) -> Result<Vec<PublicUpdate>> {
        if incident_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT e.seq, e.incident_id, e.at, e.text, {UPDATE_STATE} FROM timeline_events e \
             WHERE {PUBLIC_UPDATE} AND e.incident_id = ANY($1) ORDER BY e.at DESC, e.seq DESC"
        );
        // Built from constant fragments only; the ids are bound.
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_ids)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::public_update)
            .collect()
    }

    async fn add_subscriber(
        &self,
        email: &str,
        locale: &str,
        now: Timestamp,
        ask_again_after: Timestamp,
    ) -> Result<Subscribed> {
        let mut tx = self.pool().begin().await?;
        // Insert first: of two replicas adding one address at once, the second waits for the
        // first's row and then finds it, instead of failing on the unique e-mail.
        let added: Option<i64> = sqlx::query_scalar(
            "INSERT INTO subscribers (email, locale, created_at, confirm_sent_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(locale)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        let id = match added {
            Some(id) => id,
            None => match start_over(&mut tx, email, locale, now, ask_again_after).await? {
                ControlFlow::Continue(id) => id,
                // Nothing to send: the transaction ends unchanged.
                ControlFlow::Break(outcome) => return Ok(outcome),
            },
        };
        sqlx::query(
            "INSERT INTO subscriber_mail (id, subscriber_id, kind, status, next_attempt_at, created_at) \
             VALUES ($1, $2, 'confirm', 'pending', $3, $3)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Subscribed::Queued)
    }

    async fn add_subscriber_token(&self, token: &SubscriberToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO subscriber_tokens (selector, verifier_hash, subscriber_id, purpose, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.selector)
        .bind(&token.verifier_hash)
        .bind(token.subscriber_id)
        .bind(token.purpose.as_str())
        .bind(ms(token.created_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn subscriber_token(
        &self,
        selector: &str,
    ) -> Result<Option<(SubscriberToken, SubscriberRecord)>> {
        let sql = format!(
            "SELECT t.selector, t.verifier_hash, t.purpose, t.created_at AS token_created_at, \
             {SUBSCRIBER_COLUMNS} FROM subscriber_tokens t JOIN subscribers s ON s.id = t.subscriber_id \
             WHERE t.selector = $1"
        );
        // Built from constant fragments only; the selector is bound.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(selector)
            .fetch_optional(self.pool())
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
                .ok_or_else(|| corrupt("link purpose", &purpose))?,
            created_at: ts(row.try_get("token_created_at")?)?,
        };
        Ok(Some((token, subscriber)))
    }

    async fn confirm_subscriber(&self, subscriber_id: i64, at: Timestamp) -> Result<bool> {
        // One statement: a confirmation racing an unsubscribe either lands first or finds
        // the subscription ended, never revives it.
        let changed = sqlx::query(
            "UPDATE subscribers SET confirmed_at = COALESCE(confirmed_at, $1) \
             WHERE id = $2 AND unsubscribed_at IS NULL",
        )
        .bind(ms(at))
        .bind(subscriber_id)
        .execute(self.pool())
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    async fn unsubscribe(&self, subscriber_id: i64, at: Timestamp) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE subscribers SET unsubscribed_at = $1 WHERE id = $2 AND unsubscribed_at IS NULL",
        )
        .bind(ms(at))
        .bind(subscriber_id)
        .execute(&mut *tx)
        .await?;
        // Mail already queued must not go out after the reader asked for it to stop: status
        // updates and customer notices alike.
        for outbox in [
            "UPDATE subscriber_mail SET status = 'failed', last_error = 'unsubscribed', claimed_until = NULL \
             WHERE subscriber_id = $1 AND status = 'pending'",
            "UPDATE comms_mail SET status = 'failed', last_error = 'unsubscribed', claimed_until = NULL \
             WHERE subscriber_id = $1 AND status = 'pending'",
        ] {
            sqlx::query(outbox)
                .bind(subscriber_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(changed.rows_affected() > 0)
    }

    async fn purge_unconfirmed_subscribers(&self, asked_before: Timestamp) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        // Locked first, so a subscribe or confirmation of one of them waits and then finds it
        // gone (and starts afresh) rather than interleaving.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM subscribers WHERE confirmed_at IS NULL \
             AND COALESCE(confirm_sent_at, created_at) < $1 FOR UPDATE",
        )
        .bind(ms(asked_before))
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        for statement in [
            "DELETE FROM subscriber_tokens WHERE subscriber_id = ANY($1)",
            "DELETE FROM subscriber_mail WHERE subscriber_id = ANY($1)",
            "UPDATE comms_mail SET subscriber_id = NULL WHERE subscriber_id = ANY($1)",
            "DELETE FROM subscribers WHERE id = ANY($1)",
        ] {
            sqlx::query(statement).bind(&ids).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }

    async fn queue_subscriber_updates(&self, severities: &[String], now: Timestamp) -> Result<u64> {
        mail_cursor::queue_updates(self.pool(), severities, now).await
    }
}

/// For an address already subscribed: starts its subscription over (a fresh confirmation,
/// in `locale`) and continues with its id, or stops with why no mail goes out. The row stays locked to the
/// end of `tx`, so a confirmation or another subscribe of it waits rather than interleaves.
async fn start_over(
    tx: &mut PgConnection,
    email: &str,
    locale: &str,
    now: Timestamp,
    ask_again_after: Timestamp,
) -> Result<ControlFlow<Subscribed, i64>> {
    let row = sqlx::query(
        "SELECT id, confirmed_at, unsubscribed_at, confirm_sent_at FROM subscribers \
         WHERE lower(email) = lower($1) FOR UPDATE",
    )
    .bind(email)
    .fetch_one(&mut *tx)
    .await?;
    let confirmed: Option<i64> = row.try_get("confirmed_at")?;
    let unsubscribed: Option<i64> = row.try_get("unsubscribed_at")?;
    let asked: Option<i64> = row.try_get("confirm_sent_at")?;
    if confirmed.is_some() && unsubscribed.is_none() {
        return Ok(ControlFlow::Break(Subscribed::AlreadyConfirmed));
    }
    if asked.is_some_and(|asked| asked > ms(ask_again_after)) {
        return Ok(ControlFlow::Break(Subscribed::Recently));
    }
    let id: i64 = row.try_get("id")?;
    // Starting over: consent is given again, by a fresh confirmation.
    sqlx::query(
        "UPDATE subscribers SET locale = $1, confirmed_at = NULL, unsubscribed_at = NULL, \
           confirm_sent_at = $2 WHERE id = $3",
    )
    .bind(locale)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(ControlFlow::Continue(id))
}
