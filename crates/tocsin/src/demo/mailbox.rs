//! The inbox's e-mail: tocsin's `[smtp]` points at a real SMTP server the demo runs on loopback
//! (the testkit's [`SmtpSink`]), and each message it accepts is put in the inbox as it arrives —
//! the on-call person's pages and the customer's notices alike.
//!
//! The demo's customer subscribes to the status page in Arabic at start. Like a person, they
//! confirm by following the link in the mail they get and pressing its button (a `POST` to the
//! link's address); from then on the customer notices of a SEV-1 reach them.

use std::time::Duration;

use tocsin_testkit::{Mail, SmtpSink};
use tokio::sync::oneshot;

use super::Demo;
use super::inbox::{InboxMessage, Medium, arrived, link_in};

/// The customer subscribed to the demo's status page.
pub const CUSTOMER: &str = "customer@dealix-customer.example";

/// Starts handing mail to the inbox; the answer completes once the customer's subscription is
/// confirmed.
pub fn start(sink: SmtpSink, demo: Demo) -> anyhow::Result<oneshot::Receiver<()>> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?;
    let (confirmed, subscribed) = oneshot::channel();
    tokio::spawn(read(sink, demo, http, confirmed));
    Ok(subscribed)
}

async fn read(sink: SmtpSink, demo: Demo, http: reqwest::Client, confirmed: oneshot::Sender<()>) {
    let mut confirmed = Some(confirmed);
    for index in 0.. {
        let mail = sink.message(index).await;
        let mut message = message(&demo, &mail);
        let confirm = link_in(&message.text, "/status/confirm/")
            .filter(|_| mail.to.iter().any(|to| to == CUSTOMER));
        if let Some(link) = confirm {
            // The link's page asks for the button; pressing it posts to the same address.
            match http.post(&link).send().await {
                Ok(answer) if answer.status().is_success() => {
                    message.note = Some(
                        "The demo's customer followed this link and confirmed: subscribed."
                            .to_owned(),
                    );
                    if let Some(confirmed) = confirmed.take() {
                        let _ = confirmed.send(());
                    }
                }
                Ok(answer) => {
                    tracing::warn!(status = %answer.status(), "the demo customer's confirmation link was refused");
                }
                Err(error) => {
                    tracing::warn!(%error, "the demo customer could not follow the confirmation link");
                }
            }
        }
        demo.inbox.push(message);
    }
}

/// What the inbox shows of one e-mail: its text part, and the language and direction its HTML
/// part declares (`<html lang="ar" dir="rtl">`).
fn message(demo: &Demo, mail: &Mail) -> InboxMessage {
    let text = mail.part("text/plain").unwrap_or_else(|| mail.text());
    let html = mail.part("text/html").unwrap_or_default();
    let html_tag = html
        .find("<html")
        .and_then(|start| html[start..].find('>').map(|end| &html[start..start + end]))
        .unwrap_or("");
    let lang = attribute(html_tag, "lang");
    let rtl = attribute(html_tag, "dir").is_some_and(|dir| dir.eq_ignore_ascii_case("rtl"));
    InboxMessage {
        at: arrived(demo),
        medium: Medium::Email,
        to: mail.to.join(", "),
        subject: mail.subject(),
        ack_url: link_in(&text, "/ack/"),
        text,
        lang,
        rtl,
        note: None,
    }
}

/// `name="value"` in an HTML tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')?;
    Some(tag[start..start + end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_tag_says_the_language_and_direction() {
        let tag = "<html lang=\"ar\" dir=\"rtl\"";
        assert_eq!(attribute(tag, "lang").as_deref(), Some("ar"));
        assert_eq!(attribute(tag, "dir").as_deref(), Some("rtl"));
        assert_eq!(attribute("<html", "dir"), None);
    }
}
