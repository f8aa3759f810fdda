//! The status page's rows: public updates, subscribers and the mail queued for them. The
//! columns are the aliases each backend's query gives (`subscriber_id`, `update_state`, …).

use tocsin_core::incident::IncidentState;

use super::{Columns, count, ts, ts_opt};
use crate::{
    MailedUpdate, PublicUpdate, Result, StoreError, SubscriberMail, SubscriberMailKind,
    SubscriberRecord,
};

/// A public update: `seq, incident_id, at, text` and `update_state` (the incident's state it
/// was posted in) of a timeline event.
pub fn public_update(row: &(impl Columns + ?Sized)) -> Result<PublicUpdate> {
    let state = row.maybe_text("update_state")?;
    Ok(PublicUpdate {
        seq: row.int("seq")?,
        incident_id: row.text("incident_id")?,
        at: ts(row.int("at")?)?,
        text: row.text("text")?,
        state: state.as_deref().and_then(IncidentState::parse),
    })
}

/// A subscriber: `subscriber_id, email, locale, subscribed_at, confirmed_at, unsubscribed_at`.
pub fn subscriber(row: &(impl Columns + ?Sized)) -> Result<SubscriberRecord> {
    Ok(SubscriberRecord {
        id: row.int("subscriber_id")?,
        email: row.text("email")?,
        locale: row.text("locale")?,
        created_at: ts(row.int("subscribed_at")?)?,
        confirmed_at: ts_opt(row.maybe_int("confirmed_at")?)?,
        unsubscribed_at: ts_opt(row.maybe_int("unsubscribed_at")?)?,
    })
}

/// A subscriber mail: `mail_id, kind, attempts`, its [`subscriber`], and for an update its
/// [`public_update`] with the incident's `public_title, component, severity, incident_state`.
pub fn subscriber_mail(row: &(impl Columns + ?Sized)) -> Result<SubscriberMail> {
    let kind = row.text("kind")?;
    let kind = match kind.as_str() {
        "confirm" => SubscriberMailKind::Confirm,
        "update" => SubscriberMailKind::Update,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown subscriber mail `{other}`"
            )));
        }
    };
    let update = match kind {
        SubscriberMailKind::Confirm => None,
        SubscriberMailKind::Update => Some(mailed_update(row)?),
    };
    Ok(SubscriberMail {
        id: row.text("mail_id")?,
        kind,
        attempts: count(row.int("attempts")?),
        subscriber: subscriber(row)?,
        update,
    })
}

/// An update mail's public update and incident; an update whose incident is gone is corrupt.
fn mailed_update(row: &(impl Columns + ?Sized)) -> Result<MailedUpdate> {
    let state = row.maybe_text("incident_state")?;
    let incident_state = state
        .as_deref()
        .and_then(IncidentState::parse)
        .ok_or_else(|| StoreError::Corrupt("an update mail without its incident".to_owned()))?;
    Ok(MailedUpdate {
        update: public_update(row)?,
        public_title: row.maybe_text("public_title")?,
        component: row.maybe_text("component")?,
        severity: row.text("severity")?,
        incident_state,
    })
}
