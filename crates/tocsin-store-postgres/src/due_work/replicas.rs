//! Replicas sharing the probes: who is alive, and each replica's share of the probed monitors,
//! held with the monitors' leases (`claimed_by`, `claimed_until`) and renewed every few seconds.
//! A replica that stops renewing loses its monitors when their leases end, and the others take
//! them; a replica that joins gets its share as the others let go of what is beyond theirs.

use jiff::Timestamp;
use sqlx::PgConnection;
use std::collections::HashSet;
use tocsin_store::rows::{self, ms};

use tocsin_store::{HeldMonitors, Result};

use crate::PgStore;

/// Replicas unheard of for this long are forgotten (their monitors moved long before).
const FORGET_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

pub(super) async fn replica_alive(
    store: &PgStore,
    now: Timestamp,
    alive_since: Timestamp,
) -> Result<u32> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO replicas (name, seen_at) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET seen_at = GREATEST(replicas.seen_at, excluded.seen_at)",
    )
    .bind(&store.lease_owner)
    .bind(ms(now))
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM replicas WHERE seen_at < $1")
        .bind(ms(now) - FORGET_AFTER_MS)
        .execute(&mut *tx)
        .await?;
    let alive: i64 = sqlx::query_scalar("SELECT count(*) FROM replicas WHERE seen_at >= $1")
        .bind(ms(alive_since))
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows::count(alive).max(1))
}

pub(super) async fn hold_monitors(
    store: &PgStore,
    ids: &[String],
    now: Timestamp,
    lease_until: Timestamp,
    share: usize,
) -> Result<HeldMonitors> {
    let owner = store.lease_owner.as_str();
    let mut tx = store.pool().begin().await?;
    // Renew what this replica still holds; a lease that ended is not renewed (another replica
    // may hold the monitor now), though the monitor may be taken again below if still free.
    let held: i64 = sqlx::query_scalar(
        "WITH renewed AS (UPDATE monitors SET claimed_until = $1 \
           WHERE claimed_by = $2 AND claimed_until > $3 AND active = 1 AND id = ANY($4) RETURNING 1) \
         SELECT count(*) FROM renewed",
    )
    .bind(ms(lease_until))
    .bind(owner)
    .bind(ms(now))
    .bind(ids)
    .fetch_one(&mut *tx)
    .await?;
    let held = usize::try_from(held).unwrap_or(0);
    let mut lapsed = HashSet::new();
    if held > share {
        let_go(&mut tx, owner, ids, held - share).await?;
    } else if held < share {
        lapsed = take_free(&mut tx, owner, ids, now, lease_until, share - held).await?;
    }
    // Ids only: the replica already has what it held before, and reads only what is new to it.
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM monitors WHERE claimed_by = $1 AND claimed_until = $2 AND id = ANY($3) \
         ORDER BY id COLLATE \"C\"",
    )
    .bind(owner)
    .bind(ms(lease_until))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(HeldMonitors { ids: held, lapsed })
}

/// Releases `count` of the owner's monitors, those due last: the ones furthest from a check
/// move with the least disturbance.
async fn let_go(tx: &mut PgConnection, owner: &str, ids: &[String], count: usize) -> Result<()> {
    sqlx::query(
        "UPDATE monitors SET claimed_until = NULL, claimed_by = NULL WHERE id IN (\
           SELECT id FROM monitors WHERE claimed_by = $1 AND id = ANY($2) \
           ORDER BY next_check_at DESC, id COLLATE \"C\" LIMIT $3)",
    )
    .bind(owner)
    .bind(ids)
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .execute(tx)
    .await?;
    Ok(())
}

/// Takes up to `count` free monitors; rows another replica is taking at this instant are
/// skipped, never waited for. Answers those whose last holder is gone: its lease ended (a
/// release clears the owner, an ended lease keeps it) and it has not said it is alive for a
/// lease. A holder that is alive but was late to renew (a stall) may still be probing it until
/// its next renewal, so its monitors resume at their next slot instead of at once.
async fn take_free(
    tx: &mut PgConnection,
    owner: &str,
    ids: &[String],
    now: Timestamp,
    lease_until: Timestamp,
    count: usize,
) -> Result<HashSet<String>> {
    let taken: Vec<(String, bool)> = sqlx::query_as(
        "WITH free AS (\
           SELECT id, claimed_by AS previous FROM monitors WHERE id = ANY($3) AND active = 1 \
           AND (claimed_until IS NULL OR claimed_until <= $4) \
           ORDER BY id COLLATE \"C\" LIMIT $5 FOR UPDATE SKIP LOCKED) \
         UPDATE monitors m SET claimed_until = $1, claimed_by = $2 FROM free \
         WHERE m.id = free.id RETURNING m.id, free.previous IS NOT NULL AND NOT EXISTS (\
           SELECT 1 FROM replicas r WHERE r.name = free.previous AND r.seen_at > $4 - ($1 - $4))",
    )
    .bind(ms(lease_until))
    .bind(owner)
    .bind(ids)
    .bind(ms(now))
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .fetch_all(tx)
    .await?;
    Ok(taken
        .into_iter()
        .filter(|(_, gone)| *gone)
        .map(|(id, _)| id)
        .collect())
}
