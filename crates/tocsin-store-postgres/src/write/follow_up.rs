//! What decisions and people write beside the incident: customer notices and their mail,
//! mitigation action runs, post-mortem rows, and the checklist ticks a decision reads back.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::PgConnection;
use tocsin_core::action_run::ActionRun;
use tocsin_core::checklist::Tick;
use tocsin_core::incident::TimelineEvent;
use tocsin_core::notice::{CustomerComms, CustomerText};
use tocsin_store::{ApproveOutcome, Result};

/// Writes a customer notice decided with an incident: a draft, or approved with its mail queued.
pub(crate) async fn write_customer_comms(
    tx: &mut PgConnection,
    comms: &CustomerComms,
    now: Timestamp,
) -> Result<()> {
    todo!("write_customer_comms on PostgreSQL")
}

/// A person approves a draft notice (with their edits): its mail is queued with the event.
pub(crate) async fn approve_comms(
    tx: &mut PgConnection,
    incident_id: &str,
    comms_id: &str,
    approved_by: &str,
    texts: Option<&BTreeMap<String, CustomerText>>,
    event: &TimelineEvent,
) -> Result<ApproveOutcome> {
    todo!("approve_comms on PostgreSQL")
}

/// Names customers affected by an incident; notices already approved for them are queued to
/// the new names. Returns the names that were new.
pub(crate) async fn add_affected(
    tx: &mut PgConnection,
    incident_id: &str,
    emails: &[String],
    event: &TimelineEvent,
) -> Result<Vec<String>> {
    todo!("add_affected on PostgreSQL")
}

/// Inserts a mitigation action's run, or records how it ended.
pub(crate) async fn write_action_run(tx: &mut PgConnection, run: &ActionRun) -> Result<()> {
    todo!("write_action_run on PostgreSQL")
}

/// Keeps the incident's post-mortem row (see `tocsin_store::plan::Write::RequirePostmortem`).
pub(crate) async fn require_postmortem(
    tx: &mut PgConnection,
    incident_id: &str,
    file: &str,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    todo!("require_postmortem on PostgreSQL")
}

pub(crate) async fn publish_postmortem(tx: &mut PgConnection, incident_id: &str) -> Result<()> {
    todo!("publish_postmortem on PostgreSQL")
}

/// The latest tick of each checklist item of an incident, read inside a deciding transaction.
pub(crate) async fn ticks(tx: &mut PgConnection, incident_id: &str) -> Result<BTreeMap<String, Tick>> {
    todo!("ticks on PostgreSQL")
}
