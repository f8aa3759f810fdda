//! The follow-up records' rows: drills and their items, post-mortems, action runs, customer
//! notices and review digests.

use tocsin_core::action_run::{ActionRun, RunStatus};
use tocsin_core::comms::CommsRecord;

use super::{Columns, corrupt, ts, ts_opt};
use crate::{
    ContactVerification, DrillItem, DrillItemStatus, DrillRecord, DrillStatus, PostmortemRecord,
    Result, ReviewDigest, StoreError,
};

/// A `drills` row, without its items (each backend reads those its own way).
pub fn drill(row: &(impl Columns + ?Sized)) -> Result<DrillRecord> {
    let status = row.text("status")?;
    Ok(DrillRecord {
        id: row.text("id")?,
        trigger: row.text("trigger")?,
        started_at: ts(row.int("started_at")?)?,
        confirm_by: ts(row.int("confirm_by")?)?,
        status: DrillStatus::parse(&status).ok_or_else(|| corrupt("drill status", &status))?,
        finished_at: ts_opt(row.maybe_int("finished_at")?)?,
        incident_id: row.maybe_text("incident_id")?,
        report_sent: row.maybe_text("report_sent")?,
        items: Vec::new(),
    })
}

/// A `drill_items` row.
pub fn drill_item(row: &(impl Columns + ?Sized)) -> Result<DrillItem> {
    let status = row.text("status")?;
    Ok(DrillItem {
        seq: row.int("seq")?,
        kind: row.text("kind")?,
        subject: row.text("subject")?,
        status: DrillItemStatus::parse(&status)
            .ok_or_else(|| corrupt("drill item status", &status))?,
        reason: row.text("reason")?,
        nonce: row.maybe_text("nonce")?,
        confirmed_at: ts_opt(row.maybe_int("confirmed_at")?)?,
    })
}

/// A `contact_verifications` row: the date a contact last confirmed their numbers.
pub fn contact_verification(row: &(impl Columns + ?Sized)) -> Result<ContactVerification> {
    let date = row.text("verified_on")?;
    Ok(ContactVerification {
        contact: row.text("contact")?,
        verified_on: date
            .parse()
            .map_err(|e: jiff::Error| StoreError::Corrupt(e.to_string()))?,
        recorded_at: ts(row.int("recorded_at")?)?,
    })
}

/// A `postmortems` row.
pub fn postmortem(row: &(impl Columns + ?Sized)) -> Result<PostmortemRecord> {
    Ok(PostmortemRecord {
        incident_id: row.text("incident_id")?,
        file: row.text("file")?,
        due_at: ts(row.int("due_at")?)?,
        status: row.text("status")?,
        created_at: ts(row.int("created_at")?)?,
        written_at: ts_opt(row.maybe_int("written_at")?)?,
    })
}

/// A `tickets` row.
pub fn ticket(row: &(impl Columns + ?Sized)) -> Result<tocsin_core::ticket_record::Ticket> {
    use tocsin_core::ticket_record::{Ticket, TicketState};
    let state = row.text("state")?;
    Ok(Ticket {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        item: row.maybe_text("item")?,
        title: row.text("title")?,
        number: row.maybe_int("number")?,
        url: row.maybe_text("url")?,
        state: TicketState::parse(&state).ok_or_else(|| corrupt("ticket state", &state))?,
        created_at: ts(row.int("created_at")?)?,
        closed_at: ts_opt(row.maybe_int("closed_at")?)?,
    })
}

/// An `action_runs` row.
pub fn action_run(row: &(impl Columns + ?Sized)) -> Result<ActionRun> {
    let status = row.text("status")?;
    Ok(ActionRun {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        action_id: row.text("action_id")?,
        requested_by: row.text("requested_by")?,
        requested_at: ts(row.int("requested_at")?)?,
        what: row.text("what")?,
        status: RunStatus::parse(&status).ok_or_else(|| corrupt("action run status", &status))?,
        exit_status: row.maybe_int("exit_status")?,
        output: row.maybe_text("output")?,
        finished_at: ts_opt(row.maybe_int("finished_at")?)?,
    })
}

/// A `comms` row; its texts are JSON (one `CustomerText` per locale).
pub fn comms(row: &(impl Columns + ?Sized)) -> Result<CommsRecord> {
    let texts = row.text("texts")?;
    Ok(CommsRecord {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        channel: row.text("channel")?,
        event: row.text("event")?,
        audience: row.text("audience")?,
        default_locale: row.text("default_locale")?,
        texts: serde_json::from_str(&texts).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: row.text("status")?,
        created_at: ts(row.int("created_at")?)?,
        approved_by: row.maybe_text("approved_by")?,
        approved_at: ts_opt(row.maybe_int("approved_at")?)?,
    })
}

/// A `review_digests` row.
pub fn review_digest(row: &(impl Columns + ?Sized)) -> Result<ReviewDigest> {
    Ok(ReviewDigest {
        id: row.text("id")?,
        due_at: ts(row.int("due_at")?)?,
        channel: row.text("channel")?,
        text: row.text("text")?,
        created_at: ts(row.int("created_at")?)?,
        sent_at: ts_opt(row.maybe_int("sent_at")?)?,
        result: row.maybe_text("result")?,
    })
}
