//! Deciding inside the write transaction: the batch's keys are locked, then each item's
//! situation is read, decided by the caller's pure decider, and its planned writes applied,
//! before the next item is read — so a batch's second signal for a key sees the incident its
//! first one opened, and another replica's batch for that key sees both.

use jiff::Timestamp;
use sqlx::PgConnection;
use tocsin_store::plan::{Plan, WITHDRAWN_PAGE, Write};
use tocsin_store::rows::ms;
use tocsin_store::{Decider, Item, ItemOutcome, PendingDelivery, Result, StoreError, Transacted};

use super::checks::record_check;
use super::follow_up::{
    publish_postmortem, require_postmortem, write_action_run, write_customer_comms,
};
use super::locks::lock_lookups;
use super::rows::{insert_change, insert_event, upsert_alert, upsert_incident};
use super::situation::situation;
use tocsin_store::batch::Batch;

/// New deliveries written leased to this store's owner, collected for the caller to send.
#[derive(Debug)]
pub(crate) struct HandOver<'o> {
    pub owner: &'o str,
    pub until: Timestamp,
    pub handed: Vec<PendingDelivery>,
}

/// Decides and writes `items` in order inside `tx` (see `IncidentStore::transact`).
pub(crate) async fn transact_in(
    tx: &mut PgConnection,
    items: &[Item],
    mut hand_over: Option<HandOver<'_>>,
    decider: &mut Decider<'_>,
) -> Result<Transacted> {
    lock_lookups(tx, items).await?;
    let mut outcomes = Vec::with_capacity(items.len());
    let mut batch = Batch::default();
    for (index, item) in items.iter().enumerate() {
        if let Some((source, id)) = &item.delivery
            && !first_sight(tx, source, id).await?
        {
            outcomes.push(ItemOutcome::Duplicate);
            continue;
        }
        let situation = situation(tx, &item.lookup, &mut batch).await?;
        match decider(index, &situation) {
            Ok(mut commit) => {
                // A timer fires once: a replica whose claim ran out while another fired it
                // finds the row gone and writes nothing of this decision (its fencing).
                if let Some(timer) = commit.fired_timer.take()
                    && !fire_once(tx, timer).await?
                {
                    outcomes.push(ItemOutcome::Duplicate);
                    continue;
                }
                if let Some((source, id)) = &item.delivery {
                    sqlx::query(
                        "UPDATE seen_deliveries SET seen_at = $1 WHERE source = $2 AND delivery_id = $3",
                    )
                    .bind(ms(commit.now))
                    .bind(source)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                let incident = commit.decision.incident.clone().or(situation.incident);
                batch.decided(&item.lookup, &commit.decision);
                apply_plan(
                    tx,
                    tocsin_store::plan::plan(commit)?,
                    &mut hand_over,
                    &mut batch,
                )
                .await?;
                outcomes.push(ItemOutcome::Done(incident.map(Box::new)));
            }
            Err(refusal) => {
                // A refused item leaves no trace, not even its delivery id: a corrected
                // resend must be processed.
                if let Some((source, id)) = &item.delivery {
                    sqlx::query(
                        "DELETE FROM seen_deliveries WHERE source = $1 AND delivery_id = $2",
                    )
                    .bind(source)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                outcomes.push(ItemOutcome::Refused(refusal));
            }
        }
    }
    write_unwritten(tx, batch).await?;
    Ok(Transacted {
        outcomes,
        handed: hand_over
            .map(|hand_over| hand_over.handed)
            .unwrap_or_default(),
        // PostgreSQL's COMMIT returns once the commit is flushed (`synchronous_commit`).
        durable: tocsin_store::Durable::default(),
    })
}

/// Deletes a fired timer; false when it was gone already (fired by another replica).
async fn fire_once(tx: &mut PgConnection, timer: i64) -> Result<bool> {
    let deleted = sqlx::query("DELETE FROM timers WHERE id = $1")
        .bind(timer)
        .execute(tx)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

/// Remembers a sender's delivery id; false when it was seen before. The primary key decides
/// across replicas too: a second insert of the same id waits for the first transaction and
/// then finds it (or, had that one rolled back, takes its place).
async fn first_sight(tx: &mut PgConnection, source: &str, id: &str) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO seen_deliveries (source, delivery_id, seen_at) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
    )
    .bind(source)
    .bind(id)
    .execute(tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Applies one commit's planned writes inside `tx`, on its own (see `IncidentStore::commit`).
pub(crate) async fn write_plan(tx: &mut PgConnection, plan: Plan) -> Result<()> {
    let mut batch = Batch::default();
    apply_plan(tx, plan, &mut None, &mut batch).await?;
    write_unwritten(tx, batch).await
}

/// Writes the incidents `batch` kept for the end; before the commit.
async fn write_unwritten(tx: &mut PgConnection, batch: Batch) -> Result<()> {
    for incident in batch.unwritten() {
        upsert_incident(tx, &incident).await?;
    }
    Ok(())
}

/// Applies one commit's writes, in order, as part of `batch`.
async fn apply_plan(
    tx: &mut PgConnection,
    plan: Plan,
    hand_over: &mut Option<HandOver<'_>>,
    batch: &mut Batch,
) -> Result<()> {
    let Plan { now, writes } = plan;
    for write in writes {
        apply(tx, write, now, hand_over, batch).await?;
    }
    Ok(())
}

/// How one planned write becomes SQL.
async fn apply(
    tx: &mut PgConnection,
    write: Write,
    now: Timestamp,
    hand_over: &mut Option<HandOver<'_>>,
    batch: &mut Batch,
) -> Result<()> {
    match write {
        Write::ConsumeToken { nonce } => consume_token(tx, &nonce, now).await?,
        Write::Incident(incident) => {
            if let Some(incident) = batch.keep(*incident) {
                upsert_incident(tx, incident).await?;
            }
        }
        Write::Alert(alert) => upsert_alert(tx, &alert).await?,
        Write::EndAlerts { incident_id, at } => {
            sqlx::query(
                "UPDATE alerts SET status = 'resolved', resolved_at = $1 \
                 WHERE incident_id = $2 AND status = 'firing'",
            )
            .bind(ms(at))
            .bind(&incident_id)
            .execute(&mut *tx)
            .await?;
        }
        Write::Event(event) => insert_event(tx, &event).await?,
        Write::Delivery(delivery) => queue_delivery(tx, *delivery, now, hand_over).await?,
        Write::Timer {
            kind,
            incident_id,
            due_at,
        } => {
            sqlx::query("INSERT INTO timers (kind, incident_id, due_at) VALUES ($1, $2, $3)")
                .bind(kind)
                .bind(incident_id)
                .bind(ms(due_at))
                .execute(tx)
                .await?;
        }
        Write::CancelTimers { kind, incident_id } => {
            sqlx::query("DELETE FROM timers WHERE incident_id = $1 AND kind = $2")
                .bind(incident_id)
                .bind(kind)
                .execute(tx)
                .await?;
        }
        Write::FiredTimer(timer) => {
            fire_once(tx, timer).await?;
        }
        Write::WithdrawPages { incident_id } => {
            sqlx::query(
                "UPDATE deliveries SET status = 'failed', last_error = $1, claimed_until = NULL \
                 WHERE incident_id = $2 AND status = 'pending' AND recipient IS NOT NULL",
            )
            .bind(WITHDRAWN_PAGE)
            .bind(incident_id)
            .execute(tx)
            .await?;
        }
        Write::CustomerComms(comms) => write_customer_comms(tx, &comms, now).await?,
        Write::ActionRun(action_run) => write_action_run(tx, &action_run).await?,
        Write::RequirePostmortem {
            incident_id,
            file,
            due_at,
        } => require_postmortem(tx, &incident_id, &file, due_at, now).await?,
        Write::PublishPostmortem { incident_id } => publish_postmortem(tx, &incident_id).await?,
        Write::MoveAlerts { from, into } => {
            sqlx::query("UPDATE alerts SET incident_id = $1 WHERE incident_id = $2")
                .bind(into)
                .bind(from)
                .execute(&mut *tx)
                .await?;
        }
        Write::Ticket(ticket) => super::follow_up::write_ticket(tx, &ticket).await?,
        Write::Signal(signal) => {
            sqlx::query(
                "INSERT INTO signals (received_at, source, dedup_key, status, body) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ms(now))
            .bind(signal.source)
            .bind(signal.dedup_key)
            .bind(signal.status)
            .bind(signal.body)
            .execute(tx)
            .await?;
        }
        Write::Check(check) => record_check(tx, &check).await?,
        Write::Change(change) => insert_change(tx, &change, now).await?,
    }
    Ok(())
}

/// Uses an acknowledge link's nonce once. A used one fails the whole commit: the caller rolls
/// the transaction back, so nothing of it stays. Another replica's transaction consuming the
/// same nonce makes this insert wait for it, then find the nonce there.
async fn consume_token(tx: &mut PgConnection, nonce: &str, now: Timestamp) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO used_tokens (nonce, used_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(nonce)
    .bind(ms(now))
    .execute(tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::TokenUsed);
    }
    Ok(())
}

/// Queues a delivery, due at once; with a hand-over, leased to this store's owner and handed
/// back to the caller. A page already queued under its idempotency key is neither written
/// again nor handed.
async fn queue_delivery(
    tx: &mut PgConnection,
    delivery: tocsin_store::plan::NewDelivery,
    now: Timestamp,
    hand_over: &mut Option<HandOver<'_>>,
) -> Result<()> {
    let (claimed_until, claimed_by) = match hand_over {
        Some(hand_over) => (Some(ms(hand_over.until)), Some(hand_over.owner)),
        None => (None, None),
    };
    let inserted = sqlx::query(
        "INSERT INTO deliveries (id, incident_id, channel, recipient, notice, status, next_attempt_at, \
           created_at, idempotency_key, claimed_until, claimed_by) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(&delivery.id)
    .bind(&delivery.incident_id)
    .bind(&delivery.channel)
    .bind(&delivery.recipient)
    .bind(delivery.notice_json()?)
    .bind(ms(now))
    .bind(&delivery.idempotency_key)
    .bind(claimed_until)
    .bind(claimed_by)
    .execute(tx)
    .await?
    .rows_affected();
    if let Some(hand_over) = hand_over
        && inserted == 1
    {
        hand_over.handed.push(delivery.into());
    }
    Ok(())
}
