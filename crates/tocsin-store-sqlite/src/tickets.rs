//! SQL reading tickets (`[tickets]`): an incident's tickets, one ticket, or the one the tracker
//! numbered. A ticket's row is written by decisions (`write/follow_up.rs`, `write_ticket`).

use tocsin_core::ticket_record::Ticket;
use tocsin_store::Result;

use crate::SqliteStore;
use crate::rows;

impl SqliteStore {
    pub(super) async fn tickets_sql(&self, incident_id: &str) -> Result<Vec<Ticket>> {
        let rows =
            sqlx::query("SELECT * FROM tickets WHERE incident_id = ? ORDER BY created_at, rowid")
                .bind(incident_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(rows::ticket).collect()
    }

    pub(super) async fn ticket_sql(&self, id: &str) -> Result<Option<Ticket>> {
        sqlx::query("SELECT * FROM tickets WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(rows::ticket)
            .transpose()
    }

    pub(super) async fn ticket_by_number_sql(&self, number: i64) -> Result<Option<Ticket>> {
        sqlx::query("SELECT * FROM tickets WHERE number = ? ORDER BY created_at DESC LIMIT 1")
            .bind(number)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(rows::ticket)
            .transpose()
    }
}
