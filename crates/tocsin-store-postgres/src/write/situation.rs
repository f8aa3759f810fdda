//! An item's situation, read inside the deciding transaction as the batch has left it: the
//! incident its key or id names (with the alerts the decision needs) and, for a signal without
//! an open incident, the open incident of its group it may join.
//!
//! The key's advisory lock (`locks.rs`) is held already, so no other replica adds an alert
//! for the key or an incident for the group meanwhile; each incident is read `FOR UPDATE`,
//! since the decision may rewrite it and a person's action on it (locked by its id, not its
//! key) must wait for this decision rather than overwrite it.

use sqlx::PgConnection;
use tocsin_core::decide::Situation;
use tocsin_core::incident::Incident;
use tocsin_store::rows::{self, ms};
use tocsin_store::{GroupKey, Lookup, Result};

use super::follow_up::ticks;
use tocsin_store::batch::Batch;

/// Reads the situation `lookup` names, through the batch's cache.
pub(super) async fn situation(
    tx: &mut PgConnection,
    lookup: &Lookup,
    batch: &mut Batch,
) -> Result<Situation> {
    let (incident_id, key, group) = match lookup {
        Lookup::Nothing => return Ok(Situation::default()),
        Lookup::Incident(id) | Lookup::IncidentPages(id) | Lookup::Merge { from: id, .. } => {
            (Some(id.clone()), None, None)
        }
        Lookup::Key { dedup_key, group } => {
            let id = key_incident(tx, dedup_key).await?;
            (id, Some(dedup_key.as_str()), group.as_ref())
        }
    };
    let mut situation = Situation::default();
    if let Some(id) = incident_id {
        situation.incident = match batch.incident(&id) {
            Some(incident) => Some(incident.clone()),
            None => {
                let read = incident_for_update(tx, &id).await?;
                if let Some(incident) = &read {
                    batch.read(incident);
                }
                read
            }
        };
        match key {
            // A signal needs only its own alerts and whether another still fires.
            Some(key) => {
                situation.others_firing = others_firing(tx, &id, key).await?;
                situation.alerts = fetch_alerts(
                    tx,
                    "SELECT * FROM alerts WHERE incident_id = $1 AND dedup_key = $2 ORDER BY first_seen, id",
                    &id,
                    Some(key),
                )
                .await?;
            }
            // A person's action on the incident or a timer: none of its alerts (a resolve ends
            // them in one statement), but for a merge, which moves them.
            None => {
                situation.checklist = ticks(tx, &id).await?;
                if lookup.reads_every_alert() {
                    situation.alerts = incident_alerts(tx, &id).await?;
                }
            }
        }
    }
    if let (Lookup::IncidentPages(_), Some(incident)) = (lookup, &situation.incident) {
        situation.pages = step_pages(tx, incident).await?;
    }
    if let Lookup::Merge { into, .. } = lookup {
        situation.target = match batch.incident(into) {
            Some(incident) => Some(incident.clone()),
            None => {
                let read = incident_for_update(tx, into).await?;
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
        situation.group = match batch.group(group) {
            Some(joined) => Some(joined.clone()),
            None => group_incident(tx, group, batch).await?,
        };
    }
    Ok(situation)
}

/// The pages of the incident's ladder at its current step and round, as they stand.
async fn step_pages(
    tx: &mut PgConnection,
    incident: &Incident,
) -> Result<Vec<tocsin_core::decide::PageState>> {
    let prefix = tocsin_store::plan::step_key_prefix(
        &incident.id,
        incident.escalation_ladder,
        incident.escalation_step,
        incident.escalation_round,
    );
    let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    let found = sqlx::query(
        "SELECT recipient, channel, status, last_error FROM deliveries \
         WHERE incident_id = $1 AND recipient IS NOT NULL AND substr(idempotency_key, 1, $2) = $3 \
         ORDER BY created_at, id",
    )
    .bind(&incident.id)
    .bind(length)
    .bind(&prefix)
    .fetch_all(tx)
    .await?;
    found.iter().map(rows::page_state).collect()
}

/// Every alert of an incident, in the order they were first seen.
pub(crate) async fn incident_alerts(
    tx: &mut PgConnection,
    incident_id: &str,
) -> Result<Vec<tocsin_core::incident::Alert>> {
    fetch_alerts(
        tx,
        "SELECT * FROM alerts WHERE incident_id = $1 ORDER BY first_seen, id",
        incident_id,
        None,
    )
    .await
}

/// The incident of the latest alert with this key. Alert ids are UUIDv7, so ordering ties on
/// `first_seen` by id is their insertion order (SQLite's `rowid`).
async fn key_incident(tx: &mut PgConnection, dedup_key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT incident_id FROM alerts WHERE dedup_key = $1 ORDER BY first_seen DESC, id DESC LIMIT 1",
    )
    .bind(dedup_key)
    .fetch_optional(tx)
    .await?)
}

/// The incident with this id, row-locked until the transaction ends.
async fn incident_for_update(tx: &mut PgConnection, id: &str) -> Result<Option<Incident>> {
    sqlx::query("SELECT * FROM incidents WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(tx)
        .await?
        .map(|row| rows::incident(&row))
        .transpose()
}

/// Whether any of the incident's alerts with another key still fires: EXISTS stops at the
/// first entry of `alerts_by_incident_status`, where a count read every firing alert of the
/// incident for every signal.
async fn others_firing(tx: &mut PgConnection, incident_id: &str, key: &str) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM alerts WHERE incident_id = $1 AND status = 'firing' AND dedup_key != $2)",
    )
    .bind(incident_id)
    .bind(key)
    .fetch_one(tx)
    .await?)
}

/// Alerts by one of the two queries above: `$1` the incident, `$2` the key when it has one.
async fn fetch_alerts(
    tx: &mut PgConnection,
    sql: &'static str,
    incident_id: &str,
    key: Option<&str>,
) -> Result<Vec<tocsin_core::incident::Alert>> {
    let mut query = sqlx::query(sql).bind(incident_id);
    if let Some(key) = key {
        query = query.bind(key);
    }
    query.fetch_all(tx).await?.iter().map(rows::alert).collect()
}

/// The latest open incident of `group` with an alert seen since `group.since`, row-locked.
async fn group_incident(
    tx: &mut PgConnection,
    group: &GroupKey,
    batch: &mut Batch,
) -> Result<Option<Incident>> {
    let found = sqlx::query(
        "SELECT * FROM incidents i WHERE state != 'resolved' AND source = $1 \
           AND category IS NOT DISTINCT FROM $2 AND component IS NOT DISTINCT FROM $3 \
           AND EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id AND a.last_seen >= $4) \
         ORDER BY opened_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(&group.source)
    .bind(&group.category)
    .bind(&group.component)
    .bind(ms(group.since))
    .fetch_optional(tx)
    .await?
    .map(|row| rows::incident(&row))
    .transpose()?
    // The batch may have moved it on since (in columns the lookup does not read).
    .map(|found| batch.incident(&found.id).cloned().unwrap_or(found));
    if let Some(found) = &found {
        batch.read(found);
    }
    Ok(found)
}
