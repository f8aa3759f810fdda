//! What decisions and people write beside the incident: customer notices and their mail,
//! mitigation action runs, post-mortem rows, and the checklist ticks a decision reads back.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use tocsin_core::action_run::ActionRun;
use tocsin_core::checklist::Tick;
use tocsin_core::incident::TimelineEvent;
use tocsin_core::notice::{CustomerComms, CustomerText};
use tocsin_core::ticket_record::Ticket;
use tocsin_store::{ApproveOutcome, Result, StoreError};

use super::failure;
use super::rows::{insert_event, run};
use crate::read::all;
use crate::rows::ms;

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

/// Queues one mail per recipient of an approved notice: the status page's confirmed
/// subscribers in their own locale, or the customers named on the incident in the notice's
/// default locale. A recipient already queued for this notice is skipped.
fn queue_recipients(tx: &Transaction<'_>, comms_id: &str, now: Timestamp) -> Result<()> {
    run(
        tx,
        "INSERT OR IGNORE INTO comms_mail (id, comms_id, recipient, locale, status, next_attempt_at, subscriber_id) \
         SELECT lower(hex(randomblob(16))), c.id, s.email, s.locale, 'pending', ?2, s.id \
           FROM comms c JOIN subscribers s ON s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL \
          WHERE c.id = ?1 AND c.audience = 'subscribers' \
         UNION ALL \
         SELECT lower(hex(randomblob(16))), c.id, a.email, c.default_locale, 'pending', ?2, NULL \
           FROM comms c JOIN incident_affected a ON a.incident_id = c.incident_id \
          WHERE c.id = ?1 AND c.audience = 'affected'",
        params![comms_id, ms(now)],
    )?;
    Ok(())
}

/// Writes a customer notice decided with an incident: a draft, or approved with its mail queued.
pub(super) fn write_customer_comms(
    tx: &Transaction<'_>,
    comms: &CustomerComms,
    now: Timestamp,
) -> Result<()> {
    let texts = serde_json::to_string(&comms.texts).map_err(corrupt)?;
    run(
        tx,
        "INSERT INTO comms (id, incident_id, channel, event, audience, default_locale, texts, status, created_at, approved_by, approved_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            comms.id,
            comms.incident_id,
            comms.channel,
            comms.event.as_str(),
            comms.audience,
            comms.default_locale,
            texts,
            if comms.draft { "draft" } else { "approved" },
            ms(now),
            (!comms.draft).then_some("tocsin"),
            (!comms.draft).then_some(ms(now)),
        ],
    )?;
    if !comms.draft {
        queue_recipients(tx, &comms.id, now)?;
    }
    Ok(())
}

/// A person approves a draft notice (with their edits): its mail is queued with the event.
pub(crate) fn approve_comms(
    tx: &Transaction<'_>,
    incident_id: &str,
    comms_id: &str,
    approved_by: &str,
    texts: Option<&BTreeMap<String, CustomerText>>,
    event: &TimelineEvent,
) -> Result<ApproveOutcome> {
    let status: Option<String> = tx
        .prepare_cached("SELECT status FROM comms WHERE id = ? AND incident_id = ?")
        .and_then(|mut statement| {
            statement
                .query_row(params![comms_id, incident_id], |row| row.get(0))
                .optional()
        })
        .map_err(failure)?;
    match status.as_deref() {
        None => return Ok(ApproveOutcome::NoSuchDraft),
        Some("draft") => {}
        Some(_) => return Ok(ApproveOutcome::AlreadyApproved),
    }
    if let Some(texts) = texts {
        let texts = serde_json::to_string(texts).map_err(corrupt)?;
        run(
            tx,
            "UPDATE comms SET texts = ? WHERE id = ?",
            params![texts, comms_id],
        )?;
    }
    run(
        tx,
        "UPDATE comms SET status = 'approved', approved_by = ?, approved_at = ? WHERE id = ?",
        params![approved_by, ms(event.at), comms_id],
    )?;
    queue_recipients(tx, comms_id, event.at)?;
    insert_event(tx, event)?;
    Ok(ApproveOutcome::Approved)
}

/// Names customers affected by an incident; notices already approved for them are queued to
/// the new names. Returns the names that were new.
pub(crate) fn add_affected(
    tx: &Transaction<'_>,
    incident_id: &str,
    emails: &[String],
    event: &TimelineEvent,
) -> Result<Vec<String>> {
    let mut added = Vec::new();
    for email in emails {
        let inserted = run(
            tx,
            "INSERT OR IGNORE INTO incident_affected (incident_id, email, added_by, added_at) VALUES (?, ?, ?, ?)",
            params![incident_id, email, event.actor, ms(event.at)],
        )?;
        if inserted > 0 {
            added.push(email.clone());
        }
    }
    if !added.is_empty() {
        let approved: Vec<String> = tx
            .prepare_cached(
                "SELECT id FROM comms WHERE incident_id = ? AND audience = 'affected' AND status = 'approved'",
            )
            .and_then(|mut statement| {
                statement
                    .query_map(params![incident_id], |row| row.get(0))?
                    .collect()
            })
            .map_err(failure)?;
        for comms_id in approved {
            queue_recipients(tx, &comms_id, event.at)?;
        }
        insert_event(tx, event)?;
    }
    Ok(added)
}

/// Writes a mitigation action's run as decided: inserted when requested, its ending (status,
/// exit status, output, finish time) written over it when it ends.
pub(super) fn write_action_run(tx: &Transaction<'_>, run_row: &ActionRun) -> Result<()> {
    run(
        tx,
        "INSERT INTO action_runs (id, incident_id, action_id, requested_by, requested_at, what, status, exit_status, output, finished_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, exit_status = excluded.exit_status, \
           output = excluded.output, finished_at = excluded.finished_at",
        params![
            run_row.id,
            run_row.incident_id,
            run_row.action_id,
            run_row.requested_by,
            ms(run_row.requested_at),
            run_row.what,
            run_row.status.as_str(),
            run_row.exit_status,
            run_row.output,
            run_row.finished_at.map(ms),
        ],
    )?;
    Ok(())
}

/// Inserts the ticket, or writes what the tracker said of it (number, page, state).
pub(super) fn write_ticket(tx: &Transaction<'_>, ticket: &Ticket) -> Result<()> {
    run(
        tx,
        "INSERT INTO tickets (id, incident_id, item, title, number, url, state, created_at, closed_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET number = excluded.number, url = excluded.url, \
           state = excluded.state, closed_at = excluded.closed_at",
        params![
            ticket.id,
            ticket.incident_id,
            ticket.item,
            ticket.title,
            ticket.number,
            ticket.url,
            ticket.state.as_str(),
            ms(ticket.created_at),
            ticket.closed_at.map(ms),
        ],
    )?;
    Ok(())
}

/// Keeps the incident's post-mortem: a new row, or a new deadline for a draft whose incident
/// was reopened and resolved again (its file name stays). Two incidents whose names collide
/// (same day, same title) get the second one's id added to its name. A post-mortem already
/// published gets no reminders.
pub(super) fn require_postmortem(
    tx: &Transaction<'_>,
    incident_id: &str,
    file: &str,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    let taken = tx
        .prepare_cached("SELECT 1 FROM postmortems WHERE file = ? AND incident_id != ?")
        .and_then(|mut statement| statement.exists(params![file, incident_id]))
        .map_err(failure)?;
    let file = tocsin_store::plan::postmortem_file(file, incident_id, taken);
    run(
        tx,
        "INSERT INTO postmortems (incident_id, file, due_at, status, created_at) VALUES (?, ?, ?, 'draft', ?) \
         ON CONFLICT (incident_id) DO UPDATE SET due_at = excluded.due_at WHERE postmortems.status = 'draft'",
        params![incident_id, file, ms(due_at), ms(now)],
    )?;
    run(
        tx,
        "DELETE FROM timers WHERE incident_id = ?1 AND kind IN ('postmortem_reminder', 'postmortem_due') \
         AND EXISTS (SELECT 1 FROM postmortems WHERE incident_id = ?1 AND status = 'published')",
        params![incident_id],
    )?;
    Ok(())
}

pub(super) fn publish_postmortem(tx: &Transaction<'_>, incident_id: &str) -> Result<()> {
    run(
        tx,
        "UPDATE postmortems SET status = 'published' WHERE incident_id = ?",
        params![incident_id],
    )?;
    Ok(())
}

/// The latest tick of each checklist item of an incident, read inside a deciding transaction.
pub(super) fn ticks(tx: &Transaction<'_>, incident_id: &str) -> Result<BTreeMap<String, Tick>> {
    let events = all(
        tx,
        "SELECT * FROM timeline_events WHERE incident_id = ? AND kind = 'checklist_ticked' ORDER BY seq",
        params![incident_id],
        |row| crate::rows::event(row),
    )?;
    Ok(tocsin_core::checklist::ticks(&events))
}
