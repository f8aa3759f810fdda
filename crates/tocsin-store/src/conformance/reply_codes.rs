//! The reply codes SMS pages carry: kept once per delivery, found again by channel and code.

use tocsin_core::reply_code::ReplyCode;

use super::Backend;
use super::fixtures::{firing, incident_of, ingest, t};

/// A page's code is kept once (a resend's second write changes nothing) and found by its
/// channel and code, newest first; another channel's page with the same code is not.
pub async fn a_reply_code_is_kept_once_and_found_by_channel_and_code(backend: &dyn Backend) {
    let store = backend.open("a").await;
    let incident = incident_of(ingest(&*store, firing("sms", t(0)), t(0)).await);
    let deliveries = store
        .deliveries(Some(&incident.id), 100)
        .await
        .expect("deliveries");
    let [first, second, ..] = deliveries.as_slice() else {
        panic!("the fixture queues two deliveries or more: {deliveries:?}");
    };
    let code = |delivery_id: &str, channel: &str, contact: &str, at: i64| ReplyCode {
        delivery_id: delivery_id.to_owned(),
        channel: channel.to_owned(),
        code: "042137".to_owned(),
        incident_id: incident.id.clone(),
        contact: contact.to_owned(),
        created_at: t(at),
    };
    store
        .record_reply_code(&code(&first.id, "sms", "sami", 1))
        .await
        .expect("kept");
    // A resend of the same delivery writes again: the first row stays.
    store
        .record_reply_code(&code(&first.id, "sms", "someone-else", 5))
        .await
        .expect("kept again");
    store
        .record_reply_code(&code(&second.id, "other-sms", "sami", 2))
        .await
        .expect("kept");
    let found = store.reply_codes("sms", "042137").await.expect("found");
    assert_eq!(found, [code(&first.id, "sms", "sami", 1)]);
    assert!(
        store
            .reply_codes("sms", "000000")
            .await
            .expect("read")
            .is_empty()
    );
    assert_eq!(
        store
            .reply_codes("other-sms", "042137")
            .await
            .expect("found")
            .len(),
        1
    );
}
