//! What decisions and people write beside the incident: customer notices and their mail,
//! mitigation action runs, post-mortem rows, and the checklist ticks a decision reads back.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::{PgConnection, Row};
use tocsin_core::action_run::ActionRun;
use tocsin_core::checklist::Tick;
use tocsin_core::incident::TimelineEvent;
use tocsin_core::notice::{CustomerComms, CustomerText};
use tocsin_core::ticket_record::Ticket;
use tocsin_store::rows::{self, ms};
use tocsin_store::{ApproveOutcome, Result};

use crate::corrupt;
use crate::write::rows::insert_event;

/// Serialises the writers of who gets an incident's notices. Approving a notice queues it to
/// the customers named so far, naming customers queues the notices approved so far: run at
/// once in two transactions, each would miss the other's uncommitted rows and a customer would
/// never be told. Both lock the incident row first, so one waits for the other and then sees
/// its rows. `FOR UPDATE` also conflicts with the key-share lock a decision takes when it
/// inserts an approved notice for the incident, which closes the same gap for those.
async fn lock_audience(tx: &mut PgConnection, incident_id: &str) -> Result<()> {
    sqlx::query("SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE")
        .bind(incident_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// Queues one mail per recipient of an approved notice: the status page's confirmed
/// subscribers in their own locale, or the customers named on the incident in the notice's
/// default locale. A recipient already queued for this notice is skipped. Each mail's id (also
/// its Message-ID) is made here, one per recipient found.
async fn queue_recipients(tx: &mut PgConnection, comms_id: &str, now: Timestamp) -> Result<()> {
    let recipients = sqlx::query(
        "SELECT s.email AS recipient, s.locale, s.id AS subscriber_id \
           FROM comms c JOIN subscribers s ON s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL \
          WHERE c.id = $1 AND c.audience = 'subscribers' \
         UNION ALL \
         SELECT a.email, c.default_locale, NULL::BIGINT \
           FROM comms c JOIN incident_affected a ON a.incident_id = c.incident_id \
          WHERE c.id = $1 AND c.audience = 'affected'",
    )
    .bind(comms_id)
    .fetch_all(&mut *tx)
    .await?;
    if recipients.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(recipients.len());
    let mut emails = Vec::with_capacity(recipients.len());
    let mut locales = Vec::with_capacity(recipients.len());
    let mut subscribers = Vec::with_capacity(recipients.len());
    for row in &recipients {
        ids.push(uuid::Uuid::now_v7().simple().to_string());
        emails.push(row.try_get::<String, _>("recipient")?);
        locales.push(row.try_get::<String, _>("locale")?);
        subscribers.push(row.try_get::<Option<i64>, _>("subscriber_id")?);
    }
    sqlx::query(
        "INSERT INTO comms_mail (id, comms_id, recipient, locale, status, next_attempt_at, subscriber_id) \
         SELECT r.id, $1, r.recipient, r.locale, 'pending', $2, r.subscriber_id \
           FROM UNNEST($3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[]) AS r (id, recipient, locale, subscriber_id) \
         ON CONFLICT (comms_id, recipient) DO NOTHING",
    )
    .bind(comms_id)
    .bind(ms(now))
    .bind(&ids)
    .bind(&emails)
    .bind(&locales)
    .bind(&subscribers)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes a customer notice decided with an incident: a draft, or approved with its mail queued.
pub(crate) async fn write_customer_comms(
    tx: &mut PgConnection,
    comms: &CustomerComms,
    now: Timestamp,
) -> Result<()> {
    let texts = serde_json::to_string(&comms.texts).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO comms (id, incident_id, channel, event, audience, default_locale, texts, status, created_at, approved_by, approved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .execute(&mut *tx)
    .await?;
    if !comms.draft {
        queue_recipients(tx, &comms.id, now).await?;
    }
    Ok(())
}

/// A person approves a draft notice (with their edits): its mail is queued with the event.
/// Two people approving at once: the second waits on the incident's lock, then finds the
/// notice approved.
pub(crate) async fn approve_comms(
    tx: &mut PgConnection,
    incident_id: &str,
    comms_id: &str,
    approved_by: &str,
    texts: Option<&BTreeMap<String, CustomerText>>,
    event: &TimelineEvent,
) -> Result<ApproveOutcome> {
    lock_audience(tx, incident_id).await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM comms WHERE id = $1 AND incident_id = $2")
            .bind(comms_id)
            .bind(incident_id)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Ok(ApproveOutcome::NoSuchDraft),
        Some("draft") => {}
        Some(_) => return Ok(ApproveOutcome::AlreadyApproved),
    }
    let texts = texts
        .map(|texts| serde_json::to_string(texts).map_err(corrupt))
        .transpose()?;
    // Edited texts replace the draft's; without edits the draft's texts stay.
    sqlx::query(
        "UPDATE comms SET texts = COALESCE($1, texts), status = 'approved', approved_by = $2, approved_at = $3 \
         WHERE id = $4",
    )
    .bind(texts)
    .bind(approved_by)
    .bind(ms(event.at))
    .bind(comms_id)
    .execute(&mut *tx)
    .await?;
    queue_recipients(tx, comms_id, event.at).await?;
    insert_event(tx, event).await?;
    Ok(ApproveOutcome::Approved)
}

/// Names customers affected by an incident; notices already approved for them are queued to
/// the new names. Returns the names that were new.
pub(crate) async fn add_affected(
    tx: &mut PgConnection,
    incident_id: &str,
    emails: &[String],
    event: &TimelineEvent,
) -> Result<Vec<String>> {
    lock_audience(tx, incident_id).await?;
    let mut added = Vec::new();
    for email in emails {
        let inserted = sqlx::query(
            "INSERT INTO incident_affected (incident_id, email, added_by, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (incident_id, email) DO NOTHING",
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
            "SELECT id FROM comms WHERE incident_id = $1 AND audience = 'affected' AND status = 'approved'",
        )
        .bind(incident_id)
        .fetch_all(&mut *tx)
        .await?;
        for comms_id in approved {
            queue_recipients(tx, &comms_id, event.at).await?;
        }
        insert_event(tx, event).await?;
    }
    Ok(added)
}

/// Writes a mitigation action's run as decided: inserted when requested, its ending (status,
/// exit status, output, finish time) written over it when it ends.
pub(crate) async fn write_action_run(tx: &mut PgConnection, run: &ActionRun) -> Result<()> {
    sqlx::query(
        "INSERT INTO action_runs (id, incident_id, action_id, requested_by, requested_at, what, status, exit_status, output, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, exit_status = EXCLUDED.exit_status, \
           output = EXCLUDED.output, finished_at = EXCLUDED.finished_at",
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
    .execute(tx)
    .await?;
    Ok(())
}

/// Inserts the ticket, or writes what the tracker said of it (number, page, state).
pub(crate) async fn write_ticket(tx: &mut PgConnection, ticket: &Ticket) -> Result<()> {
    sqlx::query(
        "INSERT INTO tickets (id, incident_id, item, title, number, url, state, created_at, closed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, url = EXCLUDED.url, \
           state = EXCLUDED.state, closed_at = EXCLUDED.closed_at",
    )
    .bind(&ticket.id)
    .bind(&ticket.incident_id)
    .bind(&ticket.item)
    .bind(&ticket.title)
    .bind(ticket.number)
    .bind(&ticket.url)
    .bind(ticket.state.as_str())
    .bind(ms(ticket.created_at))
    .bind(ticket.closed_at.map(ms))
    .execute(tx)
    .await?;
    Ok(())
}

/// Keeps the incident's post-mortem: a new row, or a new deadline for a draft whose incident
/// was reopened and resolved again (its file name stays). Two incidents whose names collide
/// (same day, same title) get the second one's id added to its name. A post-mortem already
/// published gets no reminders.
///
/// SQLite's single writer made "is the name taken? then insert" safe; here two incidents
/// resolved at once on two replicas could both find the name free, and the second insert
/// would fail on the unique file name. An advisory lock on the name, held to commit, makes the
/// second wait and then see the first one's row.
pub(crate) async fn require_postmortem(
    tx: &mut PgConnection,
    incident_id: &str,
    file: &str,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    super::locks::lock_one(&mut *tx, &[Some("postmortem"), Some(file)]).await?;
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM postmortems WHERE file = $1 AND incident_id <> $2)",
    )
    .bind(file)
    .bind(incident_id)
    .fetch_one(&mut *tx)
    .await?;
    let file = tocsin_store::plan::postmortem_file(file, incident_id, taken);
    sqlx::query(
        "INSERT INTO postmortems (incident_id, file, due_at, status, created_at) VALUES ($1, $2, $3, 'draft', $4) \
         ON CONFLICT (incident_id) DO UPDATE SET due_at = EXCLUDED.due_at WHERE postmortems.status = 'draft'",
    )
    .bind(incident_id)
    .bind(&file)
    .bind(ms(due_at))
    .bind(ms(now))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM timers WHERE incident_id = $1 AND kind IN ('postmortem_reminder', 'postmortem_due') \
         AND EXISTS (SELECT 1 FROM postmortems WHERE incident_id = $1 AND status = 'published')",
    )
    .bind(incident_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks the incident's post-mortem published (its reminders stop with the next decision).
pub(crate) async fn publish_postmortem(tx: &mut PgConnection, incident_id: &str) -> Result<()> {
    sqlx::query("UPDATE postmortems SET status = 'published' WHERE incident_id = $1")
        .bind(incident_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The latest tick of each checklist item of an incident, read inside a deciding transaction.
pub(crate) async fn ticks(
    tx: &mut PgConnection,
    incident_id: &str,
) -> Result<BTreeMap<String, Tick>> {
    let events = sqlx::query(
        "SELECT * FROM timeline_events WHERE incident_id = $1 AND kind = 'checklist_ticked' ORDER BY seq",
    )
    .bind(incident_id)
    .fetch_all(tx)
    .await?
    .iter()
    .map(rows::event)
    .collect::<Result<Vec<_>>>()?;
    Ok(tocsin_core::checklist::ticks(&events))
}

#[cfg(test)]
mod tests;
