//! The rows a decision writes about its incident.

use sqlx::PgConnection;
use tocsin_core::incident::TimelineEvent;
use tocsin_store::Result;
use tocsin_store::rows::ms;

/// Appends one event to its incident's timeline.
pub(crate) async fn insert_event(tx: &mut PgConnection, event: &TimelineEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline_events (incident_id, at, kind, actor, text, data) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&event.incident_id)
    .bind(ms(event.at))
    .bind(event.kind.as_str())
    .bind(&event.actor)
    .bind(&event.text)
    .bind(event.data.to_string())
    .execute(tx)
    .await?;
    Ok(())
}
