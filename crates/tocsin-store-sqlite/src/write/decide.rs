//! Deciding inside the write transaction: each item's situation is read, decided by the
//! caller's pure decider, and its planned writes applied, before the next item is read — so a
//! batch's second signal for a key sees the incident its first one opened.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use tocsin_core::decide::Situation;
use tocsin_store::plan::{Plan, WITHDRAWN_PAGE, Write, plan};
use tocsin_store::{
    Commit, Decider, Item, ItemOutcome, Lookup, PendingDelivery, Result, StoreError, Transacted,
};

use super::failure;
use super::follow_up::{
    publish_postmortem, require_postmortem, ticks, write_action_run, write_customer_comms,
};
use super::rows::{insert_change, insert_event, record_check, run, upsert_alert, upsert_incident};
use crate::read::{all, one};
use crate::rows::{self, ms};
use tocsin_store::batch::Batch;

/// New deliveries written leased to this store's owner, collected for the caller to send.
pub(crate) struct HandOver<'o> {
    pub owner: &'o str,
    pub until: Timestamp,
    pub handed: Vec<PendingDelivery>,
}

/// Decides and writes `items` in order inside `tx` (see `IncidentStore::transact`).
pub(crate) fn transact_in(
    tx: &Transaction<'_>,
    items: Vec<Item>,
    mut hand_over: Option<HandOver<'_>>,
    decider: &mut Decider<'_>,
) -> Result<Transacted> {
    let mut outcomes = Vec::with_capacity(items.len());
    let mut batch = Batch::default();
    for (index, item) in items.into_iter().enumerate() {
        if let Some((source, id)) = &item.delivery {
            let inserted = run(
                tx,
                "INSERT INTO seen_deliveries (source, delivery_id, seen_at) VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
                params![source, id],
            )?;
            if inserted == 0 {
                outcomes.push(ItemOutcome::Duplicate);
                continue;
            }
        }
        let situation = situation(tx, &item.lookup, &mut batch)?;
        match decider(index, &situation) {
            Ok(commit) => {
                if let Some((source, id)) = &item.delivery {
                    run(
                        tx,
                        "UPDATE seen_deliveries SET seen_at = ? WHERE source = ? AND delivery_id = ?",
                        params![ms(commit.now), source, id],
                    )?;
                }
                let incident = commit.decision.incident.clone().or(situation.incident);
                batch.decided(&item.lookup, &commit.decision);
                apply_commit(tx, commit, &mut hand_over, &mut batch)?;
                outcomes.push(ItemOutcome::Done(incident.map(Box::new)));
            }
            Err(refusal) => {
                // A refused item leaves no trace, not even its delivery id: a corrected
                // resend must be processed.
                if let Some((source, id)) = &item.delivery {
                    run(
                        tx,
                        "DELETE FROM seen_deliveries WHERE source = ? AND delivery_id = ?",
                        params![source, id],
                    )?;
                }
                outcomes.push(ItemOutcome::Refused(refusal));
            }
        }
    }
    write_unwritten(tx, batch)?;
    Ok(Transacted {
        outcomes,
        handed: hand_over
            .map(|hand_over| hand_over.handed)
            .unwrap_or_default(),
        durable: tocsin_store::Durable::default(),
    })
}

/// Applies one commit's writes (see `tocsin_store::plan`) inside `tx`, on its own.
pub(crate) fn write_commit(tx: &Transaction<'_>, commit: Commit) -> Result<()> {
    let mut batch = Batch::default();
    apply_commit(tx, commit, &mut None, &mut batch)?;
    write_unwritten(tx, batch)
}

/// Writes the incidents `batch` kept for the end; before the commit.
fn write_unwritten(tx: &Transaction<'_>, batch: Batch) -> Result<()> {
    for incident in batch.unwritten() {
        upsert_incident(tx, &incident)?;
    }
    Ok(())
}

/// Applies one commit's writes as part of `batch`.
fn apply_commit(
    tx: &Transaction<'_>,
    commit: Commit,
    hand_over: &mut Option<HandOver<'_>>,
    batch: &mut Batch,
) -> Result<()> {
    let Plan { now, writes } = plan(commit)?;
    for write in writes {
        apply(tx, write, now, hand_over, batch)?;
    }
    Ok(())
}

/// How one planned write becomes SQL.
fn apply(
    tx: &Transaction<'_>,
    write: Write,
    now: Timestamp,
    hand_over: &mut Option<HandOver<'_>>,
    batch: &mut Batch,
) -> Result<()> {
    match write {
        Write::ConsumeToken { nonce } => {
            let inserted = run(
                tx,
                "INSERT INTO used_tokens (nonce, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                params![nonce, ms(now)],
            )?;
            if inserted == 0 {
                // Returning an error drops the transaction, which rolls it back.
                return Err(StoreError::TokenUsed);
            }
        }
        Write::Incident(incident) => {
            if let Some(incident) = batch.keep(*incident) {
                upsert_incident(tx, incident)?;
            }
        }
        Write::Alert(alert) => upsert_alert(tx, &alert)?,
        Write::EndAlerts { incident_id, at } => {
            run(
                tx,
                "UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE incident_id = ? AND status = 'firing'",
                params![ms(at), incident_id],
            )?;
        }
        Write::Event(event) => insert_event(tx, &event)?,
        Write::Delivery(delivery) => {
            let (claimed_until, claimed_by) = match hand_over {
                Some(hand_over) => (Some(ms(hand_over.until)), Some(hand_over.owner)),
                None => (None, None),
            };
            let inserted = run(
                tx,
                "INSERT INTO deliveries (id, incident_id, channel, recipient, notice, status, next_attempt_at, \
                   created_at, idempotency_key, claimed_until, claimed_by) \
                 VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params![
                    delivery.id,
                    delivery.incident_id,
                    delivery.channel,
                    delivery.recipient,
                    delivery.notice_json()?,
                    ms(now),
                    ms(now),
                    delivery.idempotency_key,
                    claimed_until,
                    claimed_by,
                ],
            )?;
            // A page already queued under its key was not written, so it is not handed either.
            if let Some(hand_over) = hand_over
                && inserted == 1
            {
                hand_over.handed.push((*delivery).into());
            }
        }
        Write::Timer {
            kind,
            incident_id,
            due_at,
        } => {
            run(
                tx,
                "INSERT INTO timers (kind, incident_id, due_at) VALUES (?, ?, ?)",
                params![kind, incident_id, ms(due_at)],
            )?;
        }
        Write::CancelTimers { kind, incident_id } => {
            run(
                tx,
                "DELETE FROM timers WHERE incident_id = ? AND kind = ?",
                params![incident_id, kind],
            )?;
        }
        Write::FiredTimer(timer) => {
            run(tx, "DELETE FROM timers WHERE id = ?", params![timer])?;
        }
        Write::WithdrawPages { incident_id } => {
            run(
                tx,
                "UPDATE deliveries SET status = 'failed', last_error = ?, claimed_until = NULL \
                 WHERE incident_id = ? AND status = 'pending' AND recipient IS NOT NULL",
                params![WITHDRAWN_PAGE, incident_id],
            )?;
        }
        Write::CustomerComms(comms) => write_customer_comms(tx, &comms, now)?,
        Write::ActionRun(action_run) => write_action_run(tx, &action_run)?,
        Write::RequirePostmortem {
            incident_id,
            file,
            due_at,
        } => require_postmortem(tx, &incident_id, &file, due_at, now)?,
        Write::PublishPostmortem { incident_id } => publish_postmortem(tx, &incident_id)?,
        Write::MoveAlerts { from, into } => {
            run(
                tx,
                "UPDATE alerts SET incident_id = ? WHERE incident_id = ?",
                params![into, from],
            )?;
        }
        Write::Ticket(ticket) => super::follow_up::write_ticket(tx, &ticket)?,
        Write::Signal(signal) => {
            run(
                tx,
                "INSERT INTO signals (received_at, source, dedup_key, status, body) VALUES (?, ?, ?, ?, ?)",
                params![
                    ms(now),
                    signal.source,
                    signal.dedup_key,
                    signal.status,
                    signal.body
                ],
            )?;
        }
        Write::Check(check) => record_check(tx, &check)?,
        Write::Change(change) => insert_change(tx, &change, now)?,
    }
    Ok(())
}

/// Reads an item's situation inside the deciding transaction, as this batch has left it.
fn situation(tx: &Transaction<'_>, lookup: &Lookup, batch: &mut Batch) -> Result<Situation> {
    let (incident_id, key, group) = match lookup {
        Lookup::Nothing => return Ok(Situation::default()),
        Lookup::Incident(id) | Lookup::IncidentPages(id) | Lookup::Merge { from: id, .. } => {
            (Some(id.clone()), None, None)
        }
        Lookup::Key { dedup_key, group } => {
            // Ties on `first_seen` are broken by rowid (insertion order, as the ids' own
            // order): it ends every index entry, so `alerts_by_key` gives the order and the
            // lookup sorts nothing.
            let id: Option<String> = tx
                .prepare_cached(
                    "SELECT incident_id FROM alerts WHERE dedup_key = ? ORDER BY first_seen DESC, rowid DESC LIMIT 1",
                )
                .and_then(|mut statement| {
                    statement
                        .query_row(params![dedup_key], |row| row.get(0))
                        .optional()
                })
                .map_err(failure)?;
            (id, Some(dedup_key), group.as_ref())
        }
    };
    let mut situation = Situation::default();
    if let Some(id) = incident_id {
        situation.incident = match batch.incident(&id) {
            Some(incident) => Some(incident.clone()),
            None => {
                let read = one(
                    tx,
                    "SELECT * FROM incidents WHERE id = ?",
                    params![id],
                    |row| rows::incident(row),
                )?;
                if let Some(incident) = &read {
                    batch.read(incident);
                }
                read
            }
        };
        situation.alerts = match key {
            // A signal needs only its own alerts and whether another still fires: EXISTS
            // stops at the first such entry of `alerts_by_incident_status`, where a count
            // read every firing alert of the incident for every signal.
            Some(key) => {
                situation.others_firing = tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM alerts WHERE incident_id = ? AND status = 'firing' AND dedup_key != ?)",
                    )
                    .and_then(|mut statement| {
                        statement.query_row(params![id, key], |row| row.get(0))
                    })
                    .map_err(failure)?;
                all(
                    tx,
                    "SELECT * FROM alerts WHERE incident_id = ? AND dedup_key = ? ORDER BY first_seen, rowid",
                    params![id, key],
                    |row| rows::alert(row),
                )?
            }
            // A person's action on the incident or a timer: none of its alerts (a resolve ends
            // them in one statement), but for a merge, which moves them.
            None => {
                situation.checklist = ticks(tx, &id)?;
                if lookup.reads_every_alert() {
                    all(
                        tx,
                        "SELECT * FROM alerts WHERE incident_id = ? ORDER BY first_seen, id",
                        params![id],
                        |row| rows::alert(row),
                    )?
                } else {
                    Vec::new()
                }
            }
        };
    }
    if let (Lookup::IncidentPages(_), Some(incident)) = (lookup, &situation.incident) {
        situation.pages = step_pages(tx, incident)?;
    }
    if let Lookup::Merge { into, .. } = lookup {
        situation.target = match batch.incident(into) {
            Some(incident) => Some(incident.clone()),
            None => {
                let read = one(
                    tx,
                    "SELECT * FROM incidents WHERE id = ?",
                    params![into],
                    |row| rows::incident(row),
                )?;
                if let Some(incident) = &read {
                    batch.read(incident);
                }
                read
            }
        };
    }
    let has_open = situation
        .incident
        .as_ref()
        .is_some_and(|incident| incident.state.is_open());
    if let (Some(group), false) = (group, has_open) {
        if let Some(joined) = batch.group(group) {
            situation.group = Some(joined.clone());
            return Ok(situation);
        }
        situation.group = one(
            tx,
            "SELECT * FROM incidents i WHERE state != 'resolved' AND source = ? AND category IS ? AND component IS ? \
             AND EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id AND a.last_seen >= ?) \
             ORDER BY opened_at DESC LIMIT 1",
            params![
                group.source,
                group.category,
                group.component,
                ms(group.since)
            ],
            |row| rows::incident(row),
        )?
        // The batch may have moved it on since (in columns the lookup does not read).
        .map(|found| batch.incident(&found.id).cloned().unwrap_or(found));
        if let Some(found) = &situation.group {
            batch.read(found);
        }
    }
    Ok(situation)
}

/// The pages of the incident's ladder at its current step and round, as they stand.
fn step_pages(
    tx: &Transaction<'_>,
    incident: &tocsin_core::incident::Incident,
) -> Result<Vec<tocsin_core::decide::PageState>> {
    let prefix = tocsin_store::plan::step_key_prefix(
        &incident.id,
        incident.escalation_ladder,
        incident.escalation_step,
        incident.escalation_round,
    );
    let length = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
    all(
        tx,
        "SELECT recipient, channel, status, last_error FROM deliveries \
         WHERE incident_id = ? AND recipient IS NOT NULL AND substr(idempotency_key, 1, ?) = ? \
         ORDER BY created_at, id",
        params![incident.id, length, prefix],
        |row| tocsin_store::rows::page_state(row),
    )
}
