//! The messages a chat app posted per incident and channel (`chat_messages`), on SQLite.

use tocsin_store::{ChatMessage, Result};

use crate::SqliteStore;
use crate::rows::{ms, ts};

impl SqliteStore {
    pub(crate) async fn chat_message_sql(
        &self,
        incident_id: &str,
        channel: &str,
    ) -> Result<Option<ChatMessage>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT conversation, ts, posted_at FROM chat_messages \
             WHERE incident_id = ? AND channel = ?",
        )
        .bind(incident_id)
        .bind(channel)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(conversation, message_ts, posted_at)| {
            Ok(ChatMessage {
                incident_id: incident_id.to_owned(),
                channel: channel.to_owned(),
                conversation,
                ts: message_ts,
                posted_at: ts(posted_at)?,
            })
        })
        .transpose()
    }

    pub(crate) async fn remember_chat_message_sql(&self, message: &ChatMessage) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_messages (incident_id, channel, conversation, ts, posted_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident_id, channel) DO NOTHING",
        )
        .bind(&message.incident_id)
        .bind(&message.channel)
        .bind(&message.conversation)
        .bind(&message.ts)
        .bind(ms(message.posted_at))
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }
}
