//! Decision → rows: the rules that turn one [`Commit`] into the writes every backend performs,
//! in order, inside its one transaction. Ids, the page idempotency key, the timeline's wording
//! and the post-mortem file's name are decided here once, so a backend only says how each
//! [`Write`] becomes SQL and a second backend cannot drift from the first.

use jiff::Timestamp;
use tocsin_core::action_run::ActionRun;
use tocsin_core::decide::Effect;
use tocsin_core::inbound::Change;
use tocsin_core::incident::{Alert, EventKind, Incident, TimelineEvent};
use tocsin_core::notice::CustomerComms;
use tocsin_core::signal::{Signal, SignalStatus};

use crate::{Attempt, AttemptOutcome, CheckCommit, Commit, Result, StoreError};

/// Why a page still queued is withdrawn when its incident is acknowledged or resolved.
pub const WITHDRAWN_PAGE: &str = "withdrawn: the incident was acknowledged or resolved";

/// What a commit writes, in the order it is written.
#[derive(Debug, Clone)]
pub struct Plan {
    /// When the decision was made: `created_at` and `received_at` of the rows.
    pub now: Timestamp,
    pub writes: Vec<Write>,
}

/// One row-level change. A backend applies each in order; any failure aborts the transaction.
#[derive(Debug, Clone)]
pub enum Write {
    /// Uses an acknowledge link's nonce once: a backend fails the whole commit with
    /// [`StoreError::TokenUsed`] when the nonce is already there.
    ConsumeToken {
        nonce: String,
    },
    /// Inserts the incident, or updates it to this state.
    Incident(Box<Incident>),
    /// Inserts the alert, or updates it to this state.
    Alert(Box<Alert>),
    /// Ends every alert of the incident still firing (resolved at `at`), in one statement.
    EndAlerts {
        incident_id: String,
        at: Timestamp,
    },
    Event(TimelineEvent),
    /// A delivery to queue, due at once.
    Delivery(Box<NewDelivery>),
    Timer {
        kind: &'static str,
        incident_id: String,
        due_at: Timestamp,
    },
    /// Deletes an incident's timers of one kind.
    CancelTimers {
        kind: &'static str,
        incident_id: String,
    },
    /// Deletes the timer this decision answers.
    FiredTimer(i64),
    /// Fails the incident's pages to people that are still queued, with [`WITHDRAWN_PAGE`].
    WithdrawPages {
        incident_id: String,
    },
    CustomerComms(Box<CustomerComms>),
    /// Inserts a mitigation action's run, or records how it ended.
    ActionRun(Box<ActionRun>),
    /// Keeps the incident's post-mortem row: `file` is [`postmortem_file`] applied by the
    /// backend, which alone can see whether another incident holds the name.
    RequirePostmortem {
        incident_id: String,
        file: String,
        due_at: Timestamp,
    },
    PublishPostmortem {
        incident_id: String,
    },
    /// Every alert of `from` moves to `into` (a merge), so later signals with their keys find
    /// `into`.
    MoveAlerts {
        from: String,
        into: String,
    },
    /// Inserts a ticket, or writes its number, page and state.
    Ticket(Box<tocsin_core::ticket_record::Ticket>),
    /// The accepted signal, kept as received.
    Signal(StoredSignal),
    Check(Box<CheckCommit>),
    Change(Box<Change>),
}

/// A delivery row as it is first written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: String,
    pub incident_id: String,
    pub channel: String,
    /// The person paged; `None` for a channel (a webhook, a Slack room).
    pub recipient: Option<String>,
    /// The notice; stored as JSON (`notice_json`).
    pub notice: tocsin_core::notice::Notice,
    /// Pages only: a second delivery with the same key is not written (see [`page_key`]).
    pub idempotency_key: Option<String>,
}

/// A delivery just written, as the delivery worker sends it: no attempt made yet.
impl From<NewDelivery> for crate::PendingDelivery {
    fn from(delivery: NewDelivery) -> Self {
        crate::PendingDelivery {
            notice: delivery.notice,
            id: delivery.id,
            channel: delivery.channel,
            recipient: delivery.recipient,
            attempts: 0,
        }
    }
}

impl NewDelivery {
    /// The notice as the row keeps it.
    pub fn notice_json(&self) -> Result<String> {
        to_json(&self.notice)
    }
}

/// A signal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignal {
    pub source: String,
    pub dedup_key: String,
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// The signal as JSON.
    pub body: String,
}

impl StoredSignal {
    /// The row of an accepted signal. Built by whoever accepts the signal, before the
    /// transaction: serializing it is the costliest part of a row, and the writer is the one
    /// part of the path that does not run in parallel.
    pub fn of(signal: &Signal) -> Self {
        // Strings, a timestamp and a JSON value: serde_json has no error to give for them; were
        // one to appear, the row says so rather than losing the signal.
        let body = serde_json::to_string(signal).unwrap_or_else(|error| {
            serde_json::json!({ "unserializable": error.to_string() }).to_string()
        });
        StoredSignal {
            status: match signal.status {
                SignalStatus::Firing => "firing",
                SignalStatus::Resolved => "resolved",
            },
            source: signal.source.clone(),
            dedup_key: signal.dedup_key.clone(),
            body,
        }
    }
}

/// The writes of one commit, in the order every backend applies them: the link's nonce first
/// (a used link writes nothing), then the incident, its alerts, events and effects, then the
/// signal, the check, the fired timer and the changes.
pub fn plan(commit: Commit) -> Result<Plan> {
    let Commit {
        now,
        decision,
        signal,
        check,
        fired_timer,
        consume_token,
        changes,
    } = commit;
    let mut writes = Vec::with_capacity(
        2 + decision.alerts.len() + decision.events.len() + decision.effects.len() + changes.len(),
    );
    if let Some(nonce) = consume_token {
        writes.push(Write::ConsumeToken { nonce });
    }
    // A resolve by hand ends its incident's alerts; the id is taken before the incident moves.
    let alerts_end = decision.alerts_end_at.zip(
        decision
            .incident
            .as_ref()
            .map(|incident| incident.id.clone()),
    );
    if let Some(incident) = decision.incident {
        writes.push(Write::Incident(Box::new(incident)));
    }
    writes.extend(
        decision
            .alerts
            .into_iter()
            .map(|a| Write::Alert(Box::new(a))),
    );
    if let Some((at, incident_id)) = alerts_end {
        writes.push(Write::EndAlerts { incident_id, at });
    }
    writes.extend(decision.events.into_iter().map(Write::Event));
    for effect in decision.effects {
        if let Effect::OpenTicket { ticket, notice } = effect {
            // The ticket's row, then the delivery that opens it: the delivery's id is the
            // ticket's, so the worker finds the ticket it is to open.
            let delivery = NewDelivery {
                id: ticket.id.clone(),
                incident_id: ticket.incident_id.clone(),
                channel: tocsin_core::tickets::CHANNEL.to_owned(),
                recipient: None,
                notice,
                idempotency_key: None,
            };
            writes.push(Write::Ticket(ticket));
            writes.push(Write::Delivery(Box::new(delivery)));
            continue;
        }
        writes.push(effect_write(effect)?);
    }
    if let Some(signal) = signal {
        writes.push(Write::Signal(signal));
    }
    if let Some(check) = check {
        writes.push(Write::Check(Box::new(check)));
    }
    if let Some(timer) = fired_timer {
        writes.push(Write::FiredTimer(timer));
    }
    writes.extend(changes.into_iter().map(|c| Write::Change(Box::new(c))));
    Ok(Plan { now, writes })
}

fn effect_write(effect: Effect) -> Result<Write> {
    Ok(match effect {
        Effect::Notify { channel, notice } => Write::Delivery(Box::new(NewDelivery {
            id: new_id(),
            incident_id: notice.incident_id.clone(),
            channel,
            recipient: None,
            notice,
            idempotency_key: None,
        })),
        Effect::Page {
            contact,
            method,
            ladder,
            step,
            round,
            notice,
        } => Write::Delivery(Box::new(NewDelivery {
            id: new_id(),
            idempotency_key: Some(page_key(
                &notice.incident_id,
                ladder,
                step,
                round,
                &contact,
                &method,
            )),
            incident_id: notice.incident_id.clone(),
            channel: method,
            recipient: Some(contact),
            notice,
        })),
        Effect::SetTimer {
            kind,
            incident_id,
            due_at,
        } => Write::Timer {
            kind: kind.as_str(),
            incident_id,
            due_at,
        },
        Effect::CancelTimers { kind, incident_id } => Write::CancelTimers {
            kind: kind.as_str(),
            incident_id,
        },
        Effect::CancelPages { incident_id } => Write::WithdrawPages { incident_id },
        Effect::CustomerComms(comms) => Write::CustomerComms(Box::new(comms)),
        Effect::RecordActionRun(run) => Write::ActionRun(Box::new(run)),
        Effect::RequirePostmortem {
            incident_id,
            file,
            due_at,
        } => Write::RequirePostmortem {
            incident_id,
            file,
            due_at,
        },
        Effect::PublishPostmortem { incident_id } => Write::PublishPostmortem { incident_id },
        Effect::WriteIncident(incident) => Write::Incident(incident),
        Effect::MoveAlerts { from, into } => Write::MoveAlerts { from, into },
        Effect::RecordTicket(ticket) => Write::Ticket(ticket),
        // Planned above, with its delivery.
        Effect::OpenTicket { ticket, .. } => Write::Ticket(ticket),
    })
}

/// A page's idempotency key: one page per (incident, ladder, step, round, contact, method). The
/// ladder's start tells a reopened incident's pages from the first ladder's.
pub fn page_key(
    incident_id: &str,
    ladder: u32,
    step: u32,
    round: u32,
    contact: &str,
    method: &str,
) -> String {
    format!(
        "{}{contact}:{method}",
        step_key_prefix(incident_id, ladder, step, round)
    )
}

/// What every page key of one step of one ladder and round starts with: how a backend finds
/// the pages of an incident's current step (`Lookup::IncidentPages`).
pub fn step_key_prefix(incident_id: &str, ladder: u32, step: u32, round: u32) -> String {
    format!("{incident_id}:{ladder}:{step}:{round}:")
}

/// The post-mortem file's name: the runbook's, unless another incident's post-mortem already
/// has it (`taken`), then with the incident's id before the extension.
pub fn postmortem_file(file: &str, incident_id: &str, taken: bool) -> String {
    if !taken {
        return file.to_owned();
    }
    let (stem, extension) = file.rsplit_once('.').unwrap_or((file, "md"));
    format!("{stem}-{incident_id}.{extension}")
}

/// The timeline event a delivery attempt leaves: "Told …" once sent, "Could not tell …" when
/// given up; a retry leaves none.
pub fn attempt_event(attempt: &Attempt) -> Option<TimelineEvent> {
    let (kind, text) = match &attempt.outcome {
        AttemptOutcome::Sent => (EventKind::Notified, format!("Told {}", attempt.channel)),
        AttemptOutcome::Retry { .. } => return None,
        AttemptOutcome::Failed { error } => (
            EventKind::NotifyFailed,
            format!("Could not tell {}: {error}", attempt.channel),
        ),
    };
    Some(TimelineEvent {
        incident_id: attempt.incident_id.clone(),
        at: attempt.at,
        kind,
        actor: "tocsin".to_owned(),
        text,
        data: serde_json::json!({ "channel": attempt.channel, "delivery": attempt.delivery_id }),
    })
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_postmortem_file_name_gets_the_incident_id() {
        assert_eq!(postmortem_file("pm/db.md", "i1", false), "pm/db.md");
        assert_eq!(postmortem_file("pm/db.md", "i1", true), "pm/db-i1.md");
        assert_eq!(postmortem_file("pm", "i1", true), "pm-i1.md");
    }

    #[test]
    fn a_page_key_names_ladder_step_round_contact_and_method() {
        assert_eq!(page_key("i", 2, 1, 0, "ana", "sms"), "i:2:1:0:ana:sms");
    }
}
