//! The message a chat app posted per incident and channel: kept once, read back.

use super::Backend;
use super::fixtures::t;
use crate::ChatMessage;

/// The first message kept for an incident and channel stays (a retried post's second message
/// never takes its place), and each channel of an incident keeps its own.
pub async fn a_chat_message_is_kept_once_per_incident_and_channel(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let message = |channel: &str, ts: &str| ChatMessage {
        incident_id: "inc-1".into(),
        channel: channel.into(),
        conversation: "C0ALERTS".into(),
        ts: ts.into(),
        posted_at: t(1),
    };
    assert_eq!(
        store
            .chat_message("inc-1", "slack-app")
            .await
            .expect("read"),
        None
    );
    store
        .remember_chat_message(&message("slack-app", "1.000100"))
        .await
        .expect("kept");
    store
        .remember_chat_message(&message("slack-app", "2.000200"))
        .await
        .expect("a second is ignored, not an error");
    store
        .remember_chat_message(&message("slack-app#incident", "3.000300"))
        .await
        .expect("kept");
    assert_eq!(
        store
            .chat_message("inc-1", "slack-app")
            .await
            .expect("read"),
        Some(message("slack-app", "1.000100"))
    );
    assert_eq!(
        store
            .chat_message("inc-1", "slack-app#incident")
            .await
            .expect("read")
            .map(|kept| kept.ts),
        Some("3.000300".into())
    );
    assert_eq!(
        store
            .chat_message("inc-2", "slack-app")
            .await
            .expect("read"),
        None
    );
}
