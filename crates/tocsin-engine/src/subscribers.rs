//! Status-page subscribers: double opt-in by e-mail, links whose secret half is stored only as a
//! SHA-256 and compared in constant time, and the mail round that hands each public update to
//! the confirmed subscribers (through a leased outbox, so a crash neither loses nor doubles one).
//!
//! The mail's fixed words live in [`MailText`], one small table per locale.

use std::time::Duration;

use base64::Engine as _;
use futures_util::{StreamExt, stream};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tocsin_config::{Audience, ChannelKind};
use tocsin_core::decide::Refusal;
use tocsin_core::incident::IncidentState;
use tocsin_core::retry::{MAX_ATTEMPTS, retry_delay};
use tocsin_notify::email::{Composed, escape};
use tocsin_store::{
    AttemptOutcome, Subscribed, SubscriberMail, SubscriberMailKind, SubscriberRecord,
    SubscriberToken, TokenPurpose,
};

use crate::{Engine, EngineError, TokenError};

/// A confirmation link works this long; an unsubscribe link works for as long as the mail
/// carrying it is kept.
const CONFIRM_LINK_LIFETIME: Duration = Duration::from_secs(48 * 3600);
/// A sign-up never confirmed is forgotten this long after its last confirmation mail was asked
/// for (by housekeeping): its link no longer works then, and a public form must not let
/// strangers' addresses pile up.
pub(crate) const UNCONFIRMED_KEPT: Duration = CONFIRM_LINK_LIFETIME;
/// Status-page mail's own SMTP connections (its lane): a thousand subscribers never take the
/// connections a page needs.
pub(crate) const LANE_CONNECTIONS: u32 = 2;
/// A public form must not become a way to flood someone's inbox: one confirmation per address
/// this often.
const ASK_AGAIN_AFTER: Duration = Duration::from_secs(10 * 60);
/// Longer than any send may take.
const LEASE: Duration = Duration::from_secs(60);
const BATCH: u32 = 100;
const CONCURRENCY: usize = LANE_CONNECTIONS as usize;
/// The selector's bytes (hex in the link); the secret's are 32 (base64url).
const SELECTOR_BYTES: usize = 12;

fn after(at: Timestamp, by: Duration) -> Timestamp {
    at.saturating_add(SignedDuration::try_from(by).unwrap_or_default())
        .unwrap_or(at)
}

fn before(at: Timestamp, by: Duration) -> Timestamp {
    at.saturating_sub(SignedDuration::try_from(by).unwrap_or_default())
        .unwrap_or(at)
}

/// The address as given, trimmed, when it looks deliverable; the SMTP server has the last word.
pub(crate) fn valid_email(email: &str) -> Option<&str> {
    let email = email.trim();
    let (local, domain) = email.rsplit_once('@')?;
    let plain = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\@".contains(c))
    };
    (email.len() <= 254
        && local.len() <= 64
        && plain(local)
        && plain(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.'))
    .then_some(email)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A fresh link token: `<selector hex>.<secret base64url>`, and its stored half.
fn mint(subscriber_id: i64, purpose: TokenPurpose, now: Timestamp) -> (String, SubscriberToken) {
    let selector: String = rand::random::<[u8; SELECTOR_BYTES]>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let stored = SubscriberToken {
        verifier_hash: sha256_hex(secret.as_bytes()),
        selector: selector.clone(),
        subscriber_id,
        purpose,
        created_at: now,
    };
    (format!("{selector}.{secret}"), stored)
}

/// The selector of a well-formed token and its secret; `None` for anything else.
fn split_token(token: &str) -> Option<(&str, &str)> {
    let (selector, secret) = token.split_once('.')?;
    let well_formed = selector.len() == SELECTOR_BYTES * 2
        && selector.bytes().all(|b| b.is_ascii_hexdigit())
        && (40..=64).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then_some((selector, secret))
}

/// What a link in a subscriber's mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionLink {
    Confirm,
    Unsubscribe,
}

impl SubscriptionLink {
    fn purpose(self) -> TokenPurpose {
        match self {
            SubscriptionLink::Confirm => TokenPurpose::Confirm,
            SubscriptionLink::Unsubscribe => TokenPurpose::Unsubscribe,
        }
    }
}

/// The mail's fixed words in one language. `{page}`, `{title}` are filled in.
struct MailText {
    rtl: bool,
    confirm_subject: &'static str,
    confirm_intro: &'static str,
    confirm_action: &'static str,
    confirm_ignore: &'static str,
    update_subject: &'static str,
    status: &'static str,
    investigating: &'static str,
    identified: &'static str,
    resolved: &'static str,
    view_page: &'static str,
    unsubscribe: &'static str,
}

const EN: MailText = MailText {
    rtl: false,
    confirm_subject: "Confirm your subscription to {page}",
    confirm_intro: "You (or someone using this address) asked to receive e-mail updates from {page}.",
    confirm_action: "Confirm your subscription:",
    confirm_ignore: "If it wasn't you, ignore this message: nothing more will be sent.",
    update_subject: "{page}: {title}",
    status: "Status",
    investigating: "Investigating",
    identified: "Identified",
    resolved: "Resolved",
    view_page: "Status page:",
    unsubscribe: "Stop these e-mails:",
};

const AR: MailText = MailText {
    rtl: true,
    confirm_subject: "أكّد اشتراكك في تحديثات {page}",
    confirm_intro: "طلبتَ (أو طلب أحدٌ يستخدم هذا العنوان) تلقّي تحديثات {page} بالبريد الإلكتروني.",
    confirm_action: "أكّد اشتراكك:",
    confirm_ignore: "إن لم تكن أنت، فتجاهل هذه الرسالة ولن نرسل إليك شيئًا آخر.",
    update_subject: "{page}: {title}",
    status: "الحالة",
    investigating: "قيد التحقيق",
    identified: "تم تحديد السبب",
    resolved: "تم الحل",
    view_page: "صفحة الحالة:",
    unsubscribe: "لإيقاف هذه الرسائل:",
};

fn mail_text(locale: &str) -> &'static MailText {
    if locale.starts_with("ar") { &AR } else { &EN }
}

impl MailText {
    fn state(&self, state: IncidentState) -> &'static str {
        match state {
            IncidentState::Triggered => self.investigating,
            IncidentState::Acknowledged => self.identified,
            IncidentState::Resolved => self.resolved,
        }
    }
}

/// Plain text and HTML of one message, from paragraphs and labelled links.
pub(crate) struct Body {
    text: String,
    html: String,
}

impl Body {
    pub(crate) fn new() -> Self {
        Body {
            text: String::new(),
            html: String::new(),
        }
    }

    pub(crate) fn paragraph(&mut self, words: &str) {
        self.text.push_str(words);
        self.text.push_str("\n\n");
        let lines: Vec<String> = words.lines().map(escape).collect();
        self.html
            .push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
    }

    pub(crate) fn link(&mut self, label: &str, url: &str) {
        self.text.push_str(&format!("{label}\n{url}\n\n"));
        let url = escape(url);
        self.html.push_str(&format!(
            "<p>{}<br>\n<a href=\"{url}\" dir=\"ltr\">{url}</a></p>\n",
            escape(label)
        ));
    }

    pub(crate) fn finish(self, locale: &str, rtl: bool) -> (String, String) {
        let html = format!(
            "<!doctype html>\n<html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\"></head>\n<body>\n{}</body></html>\n",
            escape(locale),
            if rtl { "rtl" } else { "ltr" },
            self.html
        );
        (self.text, html)
    }
}

impl Engine {
    /// Whether the status page takes subscribers: e-mail is configured and some channel is
    /// addressed to them.
    pub fn subscriptions_open(&self) -> bool {
        self.live().sender.mailer().is_some() && !self.subscriber_severities().is_empty()
    }

    /// The severities whose public updates go to subscribers: those that notify an e-mail
    /// channel with `audience = "subscribers"`.
    fn subscriber_severities(&self) -> Vec<String> {
        let for_subscribers = |id: &String| {
            self.config().channels.iter().any(|channel| {
                channel.id == *id
                    && matches!(
                        channel.kind,
                        ChannelKind::Email {
                            audience: Some(Audience::Subscribers),
                            ..
                        }
                    )
            })
        };
        self.config()
            .severities
            .iter()
            .filter(|severity| severity.notify.iter().any(for_subscribers))
            .map(|severity| severity.id.clone())
            .collect()
    }

    fn page_title(&self) -> String {
        let config = self.config();
        config
            .status_page
            .as_ref()
            .map_or(config.org.name.as_str(), |page| page.title.as_str())
            .to_owned()
    }

    /// Takes a subscription: it waits for the confirmation link mailed to the address. An
    /// address that is already subscribed, or was asked lately, gets no new mail; the caller
    /// should answer the same in every case.
    pub async fn subscribe(&self, email: &str, locale: &str) -> Result<Subscribed, EngineError> {
        let config = self.config();
        if !self.subscriptions_open() {
            return Err(Refusal::Invalid("this status page takes no subscribers".into()).into());
        }
        let email = valid_email(email)
            .ok_or_else(|| Refusal::Invalid("that is not an e-mail address".into()))?;
        let locale = if config.org.locales.iter().any(|known| known == locale) {
            locale
        } else {
            config.org.default_locale()
        };
        let now = self.now();
        let outcome = self
            .store
            .add_subscriber(email, locale, now, before(now, ASK_AGAIN_AFTER))
            .await?;
        Ok(outcome)
    }

    /// The subscriber a link names, when the link is genuine, of this purpose and unexpired.
    async fn subscriber_for(
        &self,
        token: &str,
        purpose: TokenPurpose,
    ) -> Result<SubscriberRecord, EngineError> {
        let (selector, secret) = split_token(token).ok_or(TokenError::Forged)?;
        let (stored, subscriber) = self
            .store
            .subscriber_token(selector)
            .await?
            .ok_or(TokenError::Forged)?;
        let presented = sha256_hex(secret.as_bytes());
        let genuine: bool = presented
            .as_bytes()
            .ct_eq(stored.verifier_hash.as_bytes())
            .into();
        if !genuine || stored.purpose != purpose {
            return Err(TokenError::Forged.into());
        }
        if purpose == TokenPurpose::Confirm
            && self.now() > after(stored.created_at, CONFIRM_LINK_LIFETIME)
        {
            return Err(TokenError::Expired.into());
        }
        Ok(subscriber)
    }

    /// The subscriber a link names, when it works, without acting on it: the page a link opens
    /// shows one button, and only pressing it (a POST) confirms or unsubscribes, so a mail
    /// scanner following every link changes nothing.
    pub async fn check_subscription_link(
        &self,
        token: &str,
        link: SubscriptionLink,
    ) -> Result<SubscriberRecord, EngineError> {
        self.subscriber_for(token, link.purpose()).await
    }

    /// Forgets sign-ups never confirmed within [`UNCONFIRMED_KEPT`] (housekeeping).
    pub(crate) async fn purge_unconfirmed_subscribers(
        &self,
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let purged = self
            .store
            .purge_unconfirmed_subscribers(before(now, UNCONFIRMED_KEPT))
            .await?;
        if purged > 0 {
            tracing::info!(purged, "forgot status-page sign-ups never confirmed");
        }
        Ok(purged)
    }

    /// Confirms a subscription through its link; confirming twice is fine. A subscription
    /// ended since the link was sent stays ended.
    pub async fn confirm_subscription(&self, token: &str) -> Result<SubscriberRecord, EngineError> {
        let subscriber = self.subscriber_for(token, TokenPurpose::Confirm).await?;
        if !self
            .store
            .confirm_subscriber(subscriber.id, self.now())
            .await?
        {
            return Err(TokenError::Expired.into());
        }
        Ok(subscriber)
    }

    /// Ends a subscription through the link in any of its mail; unsubscribing twice is fine.
    pub async fn unsubscribe(&self, token: &str) -> Result<SubscriberRecord, EngineError> {
        let subscriber = self
            .subscriber_for(token, TokenPurpose::Unsubscribe)
            .await?;
        self.store.unsubscribe(subscriber.id, self.now()).await?;
        Ok(subscriber)
    }

    /// Hands new public updates to the confirmed subscribers, then sends what is due. Returns
    /// how many mails were attempted.
    pub(crate) async fn subscriber_round(&self) -> Result<usize, EngineError> {
        let now = self.now();
        // Called even with no subscriber severities, so the cursor moves on and turning
        // subscriptions on later does not mail out the whole history.
        self.store
            .queue_subscriber_updates(&self.subscriber_severities(), now)
            .await?;
        // Behind incident traffic: while a page or channel message is being sent, status-page
        // mail waits for the next round (a quarter second later).
        if self.deliveries.busy() {
            return Ok(0);
        }
        let claimed = self
            .store
            .claim_subscriber_mail(now, after(now, LEASE), BATCH)
            .await?;
        let count = claimed.len();
        let mut sends = stream::iter(claimed)
            .map(|mail| self.send_subscriber_mail(mail))
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = sends.next().await {
            result?;
        }
        Ok(count)
    }

    /// A fresh unsubscribe link for one message to a subscriber, and its label in `locale`.
    pub(crate) async fn unsubscribe_link(
        &self,
        subscriber_id: i64,
        locale: &str,
        now: Timestamp,
    ) -> Result<(&'static str, String), EngineError> {
        let url = self
            .link(subscriber_id, TokenPurpose::Unsubscribe, now)
            .await?;
        Ok((mail_text(locale).unsubscribe, url))
    }

    async fn link(
        &self,
        subscriber_id: i64,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<String, EngineError> {
        let (token, stored) = mint(subscriber_id, purpose, now);
        self.store.add_subscriber_token(&stored).await?;
        Ok(format!(
            "{}/status/{}/{token}",
            self.config().server.public_url,
            purpose.as_str()
        ))
    }

    /// Sends one claimed mail and records the attempt. Links are minted per message: only their
    /// hashes are kept, so a later message cannot reuse an earlier one's link.
    async fn send_subscriber_mail(&self, mail: SubscriberMail) -> Result<(), EngineError> {
        let now = self.now();
        if !self
            .still_holds(tocsin_store::Queue::SubscriberMail, &mail.id, now)
            .await
        {
            return Ok(());
        }
        let subscriber = &mail.subscriber;
        let outcome = if subscriber.unsubscribed_at.is_some() {
            AttemptOutcome::Failed {
                error: "unsubscribed".into(),
            }
        } else if let Some(mailer) = self.live().sender.bulk_mailer() {
            let words = mail_text(&subscriber.locale);
            let page = self.page_title();
            let unsubscribe = self
                .link(subscriber.id, TokenPurpose::Unsubscribe, now)
                .await?;
            let mut body = Body::new();
            let subject = match (&mail.kind, &mail.update) {
                (SubscriberMailKind::Confirm, _) => {
                    let confirm = self.link(subscriber.id, TokenPurpose::Confirm, now).await?;
                    body.paragraph(&words.confirm_intro.replace("{page}", &page));
                    body.link(words.confirm_action, &confirm);
                    body.paragraph(words.confirm_ignore);
                    words.confirm_subject.replace("{page}", &page)
                }
                (SubscriberMailKind::Update, Some(update)) => {
                    let state = update.update.state.unwrap_or(update.incident_state);
                    let title = self.public_title_of(
                        update.public_title.as_deref(),
                        update.component.as_deref(),
                        &update.severity,
                        &subscriber.locale,
                    );
                    body.paragraph(&title);
                    body.paragraph(&format!("{}: {}", words.status, words.state(state)));
                    body.paragraph(&update.update.text);
                    body.link(
                        words.view_page,
                        &format!(
                            "{}/status?lang={}#incident-{}",
                            self.config().server.public_url,
                            subscriber.locale,
                            update.update.incident_id
                        ),
                    );
                    words
                        .update_subject
                        .replace("{page}", &page)
                        .replace("{title}", &title)
                }
                (SubscriberMailKind::Update, None) => {
                    return Err(EngineError::Unavailable(
                        "an update mail lost its update".into(),
                    ));
                }
            };
            body.link(words.unsubscribe, &unsubscribe);
            let (text, html) = body.finish(&subscriber.locale, words.rtl);
            let sent = mailer
                .send_composed(&Composed {
                    id: &mail.id,
                    to: &subscriber.email,
                    subject: &subject,
                    text: &text,
                    html: &html,
                    now,
                    unsubscribe_url: Some(&unsubscribe),
                })
                .await;
            let attempt = mail.attempts.saturating_add(1);
            match sent {
                Ok(()) => AttemptOutcome::Sent,
                Err(error) if error.retryable && attempt < MAX_ATTEMPTS => {
                    let wait = retry_delay(attempt, error.retry_after, rand::random::<f64>());
                    AttemptOutcome::Retry {
                        error: error.detail,
                        next_attempt_at: after(now, wait),
                    }
                }
                Err(error) => AttemptOutcome::Failed {
                    error: error.detail,
                },
            }
        } else {
            AttemptOutcome::Failed {
                error: "e-mail is not configured ([smtp])".into(),
            }
        };
        if let AttemptOutcome::Retry { error, .. } | AttemptOutcome::Failed { error } = &outcome {
            tracing::warn!(mail = %mail.id, %error, "status-page mail not sent");
        }
        self.store
            .record_subscriber_mail(&mail.id, self.now(), &outcome)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_cannot_be_mailed_are_refused() {
        assert_eq!(
            valid_email(" reader@example.com "),
            Some("reader@example.com")
        );
        for bad in [
            "",
            "reader",
            "reader@",
            "@example.com",
            "reader@example",
            "two words@example.com",
            "reader@example.com\r\nBcc: x@y.z",
            "<reader@example.com>",
        ] {
            assert_eq!(valid_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_minted_token_splits_back_into_its_selector_and_secret() {
        let now: Timestamp = "2026-11-26T00:00:00Z".parse().expect("time");
        let (token, stored) = mint(7, TokenPurpose::Unsubscribe, now);
        let (selector, secret) = split_token(&token).expect("well formed");
        assert_eq!(selector, stored.selector);
        assert_eq!(sha256_hex(secret.as_bytes()), stored.verifier_hash);
        assert!(
            !stored.verifier_hash.contains(secret),
            "only the hash is kept"
        );
        assert_eq!(split_token("nonsense"), None);
        assert_eq!(split_token(&format!("{selector}.short")), None);
    }
}
