//! The two mail outboxes (status-page subscribers, customer notices): claiming a mail with what
//! its text needs, and recording what came of sending it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgRow;
use tocsin_core::notice::CustomerText;
use tocsin_store::rows::{self, count};
use tocsin_store::*;

use super::lease;
use crate::{PgStore, corrupt};

/// What a subscriber mail is sent with: its subscriber, and for an update the public update and
/// its incident as the page shows it (never the internal title). The update's state is read
/// from the event's JSON `data` (`{"public": bool, "state": …}`), as SQLite's `json_extract`.
const SUBSCRIBER_MAIL: &str = concat!(
    "SELECT m.id AS mail_id, m.kind, m.attempts, ",
    crate::status_page::subscriber_columns!(),
    ", e.seq, e.incident_id, e.at, e.text, ",
    crate::status_page::update_state!(),
    ", i.public_title, i.component, i.severity, i.state AS incident_state \
     FROM claimed m JOIN subscribers s ON s.id = m.subscriber_id \
     LEFT JOIN timeline_events e ON e.seq = m.event_seq \
     LEFT JOIN incidents i ON i.id = e.incident_id \
     ORDER BY m.next_attempt_at, m.id"
);

/// What a customer mail is sent with: its notice's texts, to pick the recipient's locale from.
const COMMS_MAIL: &str = "SELECT m.id, m.recipient, m.subscriber_id, m.locale, m.attempts, \
       c.id AS comms_id, c.incident_id, c.default_locale, c.texts \
     FROM claimed m JOIN comms c ON c.id = m.comms_id \
     ORDER BY m.next_attempt_at, m.id";

impl PgStore {
    pub(super) async fn claim_subscriber_mail_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<SubscriberMail>> {
        let rows = lease::claim_then(
            self,
            Queue::SubscriberMail,
            now,
            lease_until,
            limit,
            SUBSCRIBER_MAIL,
        )
        .await?;
        rows.iter().map(rows::subscriber_mail).collect()
    }

    pub(super) async fn claim_comms_mail_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<CommsMail>> {
        let rows = lease::claim_then(
            self,
            Queue::CustomerMail,
            now,
            lease_until,
            limit,
            COMMS_MAIL,
        )
        .await?;
        rows.iter().map(comms_mail).collect()
    }

    pub(super) async fn record_subscriber_mail_sql(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        let columns = rows::attempt_columns(outcome, at);
        lease::record_outcome(
            self.pool(),
            Queue::SubscriberMail,
            mail_id,
            &self.lease_owner,
            &columns,
        )
        .await?;
        Ok(())
    }

    pub(super) async fn record_comms_mail_sql(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        let columns = rows::attempt_columns(outcome, at);
        lease::record_outcome(
            self.pool(),
            Queue::CustomerMail,
            mail_id,
            &self.lease_owner,
            &columns,
        )
        .await?;
        Ok(())
    }
}

/// A customer mail in its recipient's locale, else in its notice's default locale (else in any
/// the notice has).
fn comms_mail(row: &PgRow) -> Result<CommsMail> {
    let comms_id: String = row.try_get("comms_id")?;
    let texts: String = row.try_get("texts")?;
    let texts: BTreeMap<String, CustomerText> = serde_json::from_str(&texts).map_err(corrupt)?;
    let default_locale: String = row.try_get("default_locale")?;
    let wanted: String = row.try_get("locale")?;
    let locale = if texts.contains_key(&wanted) {
        wanted
    } else {
        default_locale
    };
    let text = texts
        .get(&locale)
        .or_else(|| texts.values().next())
        .cloned()
        .ok_or_else(|| corrupt(format!("customer notice {comms_id} has no text")))?;
    Ok(CommsMail {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        recipient: row.try_get("recipient")?,
        subscriber_id: row.try_get("subscriber_id")?,
        locale,
        attempts: count(row.try_get("attempts")?),
        text,
    })
}
