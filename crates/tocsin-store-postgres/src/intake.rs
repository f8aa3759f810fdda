//! IncidentStore on PostgreSQL: deciding and committing through the write path (`write/`),
//! and reading incidents, their timelines, deliveries and changes back from the pool.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{Postgres, QueryBuilder};
use tocsin_core::decide::Situation;
use tocsin_core::inbound::ChangeKind;
use tocsin_core::incident::{Incident, TimelineEvent};
use tocsin_store::rows::{self, ms, ts_opt};
use tocsin_store::*;

use crate::PgStore;
use crate::write::{Attempts, HandOver, incident_alerts, transact_in, write_plan};

#[async_trait]
impl IncidentStore for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    fn changes_elsewhere(&self) -> u64 {
        self.changes.heard()
    }

    async fn incident(&self, incident_id: &str) -> Result<Option<Incident>> {
        incident_row(self.pool(), incident_id).await
    }

    // For display (API, UI, links): decisions read their situations inside their own write
    // transaction (`transact`), under their keys' locks.
    async fn situation_for_incident(&self, incident_id: &str) -> Result<Situation> {
        // One snapshot for the incident, its ticks and its alerts: READ COMMITTED would give
        // each statement its own, and a commit in between would mix two states.
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let Some(incident) = incident_row(&mut *tx, incident_id).await? else {
            return Ok(Situation::default());
        };
        let checklist = crate::write::follow_up::ticks(&mut tx, incident_id).await?;
        let alerts = incident_alerts(&mut tx, incident_id).await?;
        tx.rollback().await?;
        Ok(Situation {
            incident: Some(incident),
            alerts,
            checklist,
            ..Situation::default()
        })
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        // Planned once (its new ids with it), so an attempt run again writes the same rows.
        let plan = tocsin_store::plan::plan(commit)?;
        let mut attempts = Attempts::default();
        loop {
            let mut tx = self.pool().begin().await?;
            let done = write_plan(&mut tx, plan.clone()).await;
            if let Some(result) = attempts.settle(tx, done).await {
                return result;
            }
        }
    }

    async fn transact(
        &self,
        items: Vec<Item>,
        hand_over_until: Option<Timestamp>,
        decider: &mut Decider<'_>,
    ) -> Result<Transacted> {
        // An attempt aborted for a deadlock runs again from the start, deciding every item
        // again against what the database then holds; only the committed attempt's outcomes
        // and hand-overs are returned.
        let mut attempts = Attempts::default();
        loop {
            let hand_over = hand_over_until.map(|until| HandOver {
                owner: &self.lease_owner,
                until,
                handed: Vec::new(),
            });
            let mut tx = self.pool().begin().await?;
            let done = transact_in(&mut tx, &items, hand_over, decider).await;
            if let Some(result) = attempts.settle(tx, done).await {
                return result;
            }
        }
    }

    async fn changes(&self, kind: Option<ChangeKind>, limit: u32) -> Result<Vec<ChangeRecord>> {
        sqlx::query(
            "SELECT * FROM changes WHERE ($1::TEXT IS NULL OR kind = $1) \
             ORDER BY occurred_at DESC, seq DESC LIMIT $2",
        )
        .bind(kind.map(|kind| kind.as_str()))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::change)
        .collect()
    }

    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        // Built from fixed fragments; every value is bound.
        let mut query = QueryBuilder::<Postgres>::new("SELECT * FROM incidents WHERE 1 = 1");
        match filter.state {
            Some(StateFilter::Open) => {
                query.push(" AND state != 'resolved'");
            }
            Some(StateFilter::Resolved) => {
                query.push(" AND state = 'resolved'");
            }
            Some(StateFilter::Is(state)) => {
                query.push(" AND state = ").push_bind(state.as_str());
            }
            None => {}
        }
        if let Some(severity) = &filter.severity {
            query.push(" AND severity = ").push_bind(severity);
        }
        if let Some(before) = &filter.before {
            query.push(" AND id < ").push_bind(before);
        }
        query
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(filter.limit));
        query
            .build()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::incident)
            .collect()
    }

    async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>> {
        sqlx::query("SELECT * FROM timeline_events WHERE incident_id = $1 ORDER BY seq")
            .bind(incident_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::event)
            .collect()
    }

    async fn deliveries(
        &self,
        incident_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        // An incident's deliveries in the order they were queued; all of them newest first.
        let query = match incident_id {
            Some(id) => sqlx::query(
                "SELECT * FROM deliveries WHERE incident_id = $1 ORDER BY created_at, id LIMIT $2",
            )
            .bind(id),
            None => {
                sqlx::query("SELECT * FROM deliveries ORDER BY created_at DESC, id DESC LIMIT $1")
            }
        };
        query
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::delivery)
            .collect()
    }

    async fn token_used(&self, nonce: &str) -> Result<bool> {
        let used: Option<i32> = sqlx::query_scalar("SELECT 1 FROM used_tokens WHERE nonce = $1")
            .bind(nonce)
            .fetch_optional(self.pool())
            .await?;
        Ok(used.is_some())
    }

    async fn prune_replay_guards(
        &self,
        deliveries_before: Timestamp,
        nonces_before: Timestamp,
    ) -> Result<u64> {
        let deliveries = sqlx::query("DELETE FROM seen_deliveries WHERE seen_at < $1")
            .bind(ms(deliveries_before))
            .execute(self.pool())
            .await?;
        let nonces = sqlx::query("DELETE FROM used_tokens WHERE used_at < $1")
            .bind(ms(nonces_before))
            .execute(self.pool())
            .await?;
        Ok(deliveries.rows_affected() + nonces.rows_affected())
    }

    async fn last_signal_at(&self, source: &str) -> Result<Option<Timestamp>> {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT max(at) FROM (SELECT max(received_at) AS at FROM signals WHERE source = $1 \
             UNION ALL SELECT max(received_at) AS at FROM changes WHERE source = $1) AS latest",
        )
        .bind(source)
        .fetch_one(self.pool())
        .await?;
        ts_opt(last)
    }

    async fn incidents_opened(&self, from: Timestamp, until: Timestamp) -> Result<Vec<Incident>> {
        sqlx::query(
            "SELECT * FROM incidents WHERE opened_at >= $1 AND opened_at < $2 ORDER BY opened_at",
        )
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::incident)
        .collect()
    }

    async fn changes_in(&self, query: &ChangeQuery) -> Result<Vec<ChangeRecord>> {
        sqlx::query(
            "SELECT * FROM changes WHERE ($1::TEXT IS NULL OR service = $1) AND ($2::TEXT IS NULL OR kind = $2) \
             AND occurred_at >= $3 AND occurred_at <= $4 ORDER BY occurred_at DESC, seq DESC LIMIT $5",
        )
        .bind(query.service.as_deref())
        .bind(query.kind.map(|kind| kind.as_str()))
        .bind(ms(query.since))
        .bind(ms(query.until))
        .bind(i64::from(query.limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::change)
        .collect()
    }
}

/// The incident with this id as it is read (on the pool, or inside a read transaction).
async fn incident_row<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    incident_id: &str,
) -> Result<Option<Incident>> {
    sqlx::query("SELECT * FROM incidents WHERE id = $1")
        .bind(incident_id)
        .fetch_optional(executor)
        .await?
        .map(|row| rows::incident(&row))
        .transpose()
}
