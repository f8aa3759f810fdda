//! Stories of the status page's sign-ups: one never confirmed is forgotten after a while, with
//! its links and mail; a confirmed one is kept.

use super::Backend;
use super::fixtures::t;
use crate::{Subscribed, SubscriberToken, TokenPurpose};

const HOUR: i64 = 3600;

fn token(selector: &str, subscriber_id: i64, at: i64) -> SubscriberToken {
    SubscriberToken {
        selector: selector.to_owned(),
        verifier_hash: format!("hash-of-{selector}"),
        subscriber_id,
        purpose: TokenPurpose::Confirm,
        created_at: t(at),
    }
}

/// A sign-up asked for confirmation before the bound and never confirmed goes (row, links,
/// queued mail); one asked later, and a confirmed one, stay. The address can sign up afresh.
pub async fn unconfirmed_sign_ups_are_purged_and_confirmed_ones_kept(backend: &dyn Backend) {
    let store = backend.open("a").await;
    for (email, at) in [("stale@example.com", 0), ("kept@example.com", 0)] {
        let outcome = store
            .add_subscriber(email, "en", t(at), t(at - 600))
            .await
            .expect("subscribe");
        assert_eq!(outcome, Subscribed::Queued);
    }
    let fresh_at = 47 * HOUR;
    store
        .add_subscriber("fresh@example.com", "en", t(fresh_at), t(fresh_at - 600))
        .await
        .expect("subscribe");
    // The confirmation mails name each sign-up's id.
    let mail = store
        .claim_subscriber_mail(t(fresh_at), t(fresh_at + 60), 100)
        .await
        .expect("claim the confirmations");
    let id_of = |email: &str| {
        mail.iter()
            .find(|m| m.subscriber.email == email)
            .map(|m| m.subscriber.id)
            .unwrap_or_else(|| panic!("a confirmation for {email}"))
    };
    let (stale, kept, fresh) = (
        id_of("stale@example.com"),
        id_of("kept@example.com"),
        id_of("fresh@example.com"),
    );
    for (selector, id) in [
        ("stale-link", stale),
        ("kept-link", kept),
        ("fresh-link", fresh),
    ] {
        store
            .add_subscriber_token(&token(selector, id, 0))
            .await
            .expect("keep a link");
    }
    assert!(
        store
            .confirm_subscriber(kept, t(HOUR))
            .await
            .expect("confirm")
    );

    let now = 49 * HOUR;
    let purged = store
        .purge_unconfirmed_subscribers(t(now - 48 * HOUR))
        .await
        .expect("purge");
    assert_eq!(purged, 1, "only the stale sign-up goes");
    assert!(
        store
            .subscriber_token("stale-link")
            .await
            .expect("read")
            .is_none(),
        "its link goes with it"
    );
    for selector in ["kept-link", "fresh-link"] {
        assert!(
            store
                .subscriber_token(selector)
                .await
                .expect("read")
                .is_some(),
            "{selector} stays"
        );
    }
    assert_eq!(
        store
            .purge_unconfirmed_subscribers(t(now - 48 * HOUR))
            .await
            .expect("purge again"),
        0
    );
    // Its queued mail went too: after the lease, only the fresh sign-up's confirmation is due.
    let due = store
        .claim_subscriber_mail(t(now), t(now + 60), 100)
        .await
        .expect("claim");
    let emails: Vec<&str> = due.iter().map(|m| m.subscriber.email.as_str()).collect();
    assert!(!emails.contains(&"stale@example.com"), "{emails:?}");
    // The address is a stranger again: signing up starts a fresh double opt-in.
    assert_eq!(
        store
            .add_subscriber("stale@example.com", "en", t(now), t(now - 600))
            .await
            .expect("subscribe again"),
        Subscribed::Queued
    );
}
