//! The reply codes SMS pages carry (`reply_codes`): kept before the first send, looked up when
//! a reply arrives.

use tocsin_core::reply_code::ReplyCode;
use tocsin_store::Result;
use tocsin_store::rows::{ms, ts};

use crate::SqliteStore;

type Row = (String, String, String, String, String, i64);

impl SqliteStore {
    pub(crate) async fn record_reply_code_sql(&self, code: &ReplyCode) -> Result<()> {
        sqlx::query(
            "INSERT INTO reply_codes (delivery_id, channel, code, incident_id, contact, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(&code.delivery_id)
        .bind(&code.channel)
        .bind(&code.code)
        .bind(&code.incident_id)
        .bind(&code.contact)
        .bind(ms(code.created_at))
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    pub(crate) async fn reply_codes_sql(
        &self,
        channel: &str,
        code: &str,
    ) -> Result<Vec<ReplyCode>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT delivery_id, channel, code, incident_id, contact, created_at FROM reply_codes \
             WHERE channel = ? AND code = ? ORDER BY created_at DESC, delivery_id DESC",
        )
        .bind(channel)
        .bind(code)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(reply_code).collect()
    }
}

fn reply_code(row: Row) -> Result<ReplyCode> {
    let (delivery_id, channel, code, incident_id, contact, created_at) = row;
    Ok(ReplyCode {
        delivery_id,
        channel,
        code,
        incident_id,
        contact,
        created_at: ts(created_at)?,
    })
}
