//! The reply codes SMS pages carry (`reply_codes`): kept before the first send, looked up when
//! a reply arrives, by whichever replica it reaches.

use tocsin_core::reply_code::ReplyCode;
use tocsin_store::Result;
use tocsin_store::rows::{ms, ts};

use crate::PgStore;

type Row = (String, String, String, String, String, i64);

impl PgStore {
    pub(super) async fn record_reply_code_sql(&self, code: &ReplyCode) -> Result<()> {
        sqlx::query(
            "INSERT INTO reply_codes (delivery_id, channel, code, incident_id, contact, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(&code.delivery_id)
        .bind(&code.channel)
        .bind(&code.code)
        .bind(&code.incident_id)
        .bind(&code.contact)
        .bind(ms(code.created_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn reply_codes_sql(
        &self,
        channel: &str,
        code: &str,
    ) -> Result<Vec<ReplyCode>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT delivery_id, channel, code, incident_id, contact, created_at FROM reply_codes \
             WHERE channel = $1 AND code = $2 ORDER BY created_at DESC, delivery_id DESC",
        )
        .bind(channel)
        .bind(code)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(
                |(delivery_id, channel, code, incident_id, contact, created_at)| {
                    Ok(ReplyCode {
                        delivery_id,
                        channel,
                        code,
                        incident_id,
                        contact,
                        created_at: ts(created_at)?,
                    })
                },
            )
            .collect()
    }
}
