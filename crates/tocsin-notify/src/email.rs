//! The e-mail channel: renders a notice as a multipart/alternative message (plain text and HTML)
//! and sends it over SMTP with lettre.
//!
//! The [`Mailer`] is built once from the `[smtp]` settings and pools its connections. A delivery's
//! id is the message's `Message-ID` and its `X-Tocsin-Delivery` header, the same on every retry,
//! so a resend after a crash can be recognised (and mail clients fold exact duplicates).
//!
//! Right-to-left: for an Arabic organisation the HTML part says `lang="ar" dir="rtl"` and the
//! mail client lays it out. The text part keeps the logical order and is never reversed by hand:
//! bidirectional layout and Arabic shaping are the client's job, and reversing would garble it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as LettreTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};

use crate::{DETAIL_BODY_BYTES, Delivery, SendError, TIMEOUT, one_line};

/// The longest title kept in a subject line (characters); the body carries it whole.
const SUBJECT_TITLE_LIMIT: usize = 200;

/// The header that carries the delivery id, for receivers and for finding a message in a mailbox.
pub const DELIVERY_HEADER: &str = "X-Tocsin-Delivery";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain text. Only for a relay on the same host or network (and tests).
    None,
    /// Plain connect, then STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
}

/// What the mailer needs; the lead maps the config's `[smtp]` section onto it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The sender, `alerts@example.com` or `Tocsin <alerts@example.com>`.
    pub from: String,
    pub tls: Tls,
}

/// Sends e-mail through one SMTP server over a pool of connections. Cheap to clone (the pool is
/// shared).
///
/// lettre's pool runs a cleanup task, so [`Mailer::new`] must be called inside a Tokio runtime, and
/// the last clone should be dropped inside one too.
/// The pages' pool: lettre's default size.
const PAGE_CONNECTIONS: u32 = 10;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the sender's domain, so ids are unique to this sender.
    id_domain: String,
    /// Kept only to scrub it from error details.
    password: Option<Secret>,
    summary: Arc<str>,
}

impl fmt::Debug for Mailer {
    // By hand, so the transport (which holds the credentials) is never formatted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.summary)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Builds the transport: the given TLS mode, AUTH PLAIN/LOGIN when a username is set, a
    /// connection pool, and a [`TIMEOUT`] per SMTP step.
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, String> {
        Mailer::with_connections(settings, PAGE_CONNECTIONS)
    }

    /// [`Mailer::new`] with a pool of its own of at most `connections` connections: mail that
    /// must never hold up a page (status-page subscribers) goes through a second, small one.
    pub fn with_connections(settings: &SmtpSettings, connections: u32) -> Result<Mailer, String> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err("the mailer must be created inside a Tokio runtime".to_owned());
        }
        let host = settings.host.trim();
        if host.is_empty() {
            return Err("smtp.host is empty".to_owned());
        }
        if settings.port == 0 {
            return Err("smtp.port must not be 0".to_owned());
        }
        let from: Mailbox = settings
            .from
            .trim()
            .parse()
            .map_err(|err| format!("smtp.from {:?} is not an address: {err}", settings.from))?;
        let id_domain = from.email.domain().to_owned();

        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(settings.port);
        let tls_parameters = || {
            TlsParameters::new(host.to_owned())
                .map_err(|err| format!("cannot set up TLS for {host}: {err}"))
        };
        builder = match settings.tls {
            Tls::None => builder.tls(LettreTls::None),
            Tls::Starttls => builder.tls(LettreTls::Required(tls_parameters()?)),
            Tls::Tls => builder.tls(LettreTls::Wrapper(tls_parameters()?)),
        };
        match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                if settings.tls == Tls::None && !is_loopback(host) {
                    tracing::warn!(
                        smtp.host = host,
                        "smtp.tls is \"none\": the SMTP password crosses the network in clear text"
                    );
                }
                builder = builder
                    .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
            }
            (None, None) => {}
            _ => return Err("smtp.username and smtp.password must be set together".to_owned()),
        }
        let transport = builder
            .timeout(Some(TIMEOUT))
            .pool_config(PoolConfig::new().max_size(connections.max(1)))
            .build();
        Ok(Mailer {
            transport,
            from,
            id_domain,
            password: settings.password.clone(),
            summary: format!("{host}:{} ({:?})", settings.port, settings.tls).into(),
        })
    }

    /// Delivers one notice to `to` once; the outbox owns retrying. SMTP 4xx answers, timeouts and
    /// connection trouble are retryable; 5xx answers are permanent and carry the server's text.
    pub async fn send(
        &self,
        to: &str,
        delivery: &Delivery<'_>,
        locale_rtl: bool,
    ) -> Result<(), SendError> {
        let message = self.message(to, delivery, locale_rtl)?;
        let result = match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(err) => Err(classify_smtp(&err)),
        };
        result.map_err(|mut err| {
            // The server's text should never echo the password, but details reach logs and the
            // UI, so make sure.
            if let Some(password) = self.password.as_ref().filter(|p| !p.is_empty()) {
                err.detail = err.detail.replace(password.expose(), "[redacted]");
            }
            err
        })
    }

    /// The message as it will be sent (public for tests and previews).
    pub fn message(
        &self,
        to: &str,
        delivery: &Delivery<'_>,
        locale_rtl: bool,
    ) -> Result<Message, SendError> {
        let to: Mailbox = to.trim().parse().map_err(|err| {
            SendError::permanent(None, format!("invalid recipient address {to:?}: {err}"))
        })?;
        if !is_message_id_part(delivery.id) {
            return Err(SendError::permanent(
                None,
                format!(
                    "the delivery id {:?} cannot be used in a Message-ID",
                    delivery.id
                ),
            ));
        }
        let email = render(delivery.notice, delivery.links, locale_rtl);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            // The attempt's time, not the clock: time is an input.
            .date(SystemTime::from(delivery.now))
            .message_id(Some(format!("<{}@{}>", delivery.id, self.id_domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(DELIVERY_HEADER),
                delivery.id.to_owned(),
            ))
            // RFC 3834: out-of-office responders must not answer a page.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .user_agent(crate::USER_AGENT.to_owned())
            .multipart(MultiPart::alternative_plain_html(email.text, email.html))
            .map_err(|err| SendError::permanent(None, format!("cannot build the e-mail: {err}")))
    }
}

/// A rendered notice, ready to be put into a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the subject, the text part and the HTML part.
pub fn render(notice: &Notice, links: &NoticeLinks, locale_rtl: bool) -> Email {
    let facts = facts(notice);
    let event = event_line(notice);
    let title = one_line(&notice.title);
    let summary = notice
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let ack_url = links.ack_url.as_deref().filter(|url| !url.is_empty());
    let incident_url = Some(links.incident_url.as_str()).filter(|url| !url.is_empty());

    Email {
        subject: subject(notice),
        text: text_part(&event, &title, &facts, summary, ack_url, incident_url),
        html: html_part(
            notice,
            &Parts {
                event: &event,
                title: &title,
                facts: &facts,
                summary,
                ack_url,
                incident_url,
            },
            locale_rtl,
        ),
    }
}

/// `[SEV-1] Checkout down`, with a word in front for anything but the opening notice so the
/// follow-ups are told apart in a list of subjects.
pub fn subject(notice: &Notice) -> String {
    let title = truncate(&one_line(&notice.title), SUBJECT_TITLE_LIMIT);
    let severity = one_line(&notice.severity);
    match notice.event {
        NoticeEvent::Opened => format!("[{severity}] {title}"),
        NoticeEvent::Acknowledged => format!("[{severity}] Acknowledged: {title}"),
        NoticeEvent::Resolved => format!("[{severity}] Resolved: {title}"),
        NoticeEvent::ResponseOverdue => format!("[{severity}] Overdue: {title}"),
        NoticeEvent::PostmortemReminder => format!("[{severity}] Post-mortem due: {title}"),
        NoticeEvent::PostmortemOverdue => format!("[{severity}] Post-mortem overdue: {title}"),
        NoticeEvent::PhaseOverdue => format!("[{severity}] Runbook phase overdue: {title}"),
        NoticeEvent::UpdateDue => format!("[{severity}] Update due: {title}"),
        NoticeEvent::ReviewDigest => title.to_string(),
        NoticeEvent::SeverityChanged => format!("[{severity}] Severity changed: {title}"),
        NoticeEvent::Timeline => format!("[{severity}] Update: {title}"),
    }
}

/// What happened, as the message's opening line.
fn event_line(notice: &Notice) -> String {
    let actor = notice
        .actor
        .as_deref()
        .map(one_line)
        .filter(|name| !name.is_empty());
    match (notice.event, actor) {
        (NoticeEvent::Opened, _) => "Incident opened".to_owned(),
        (NoticeEvent::Acknowledged, Some(actor)) => format!("Acknowledged by {actor}"),
        (NoticeEvent::Acknowledged, None) => "Acknowledged".to_owned(),
        (NoticeEvent::Resolved, Some(actor)) => format!("Resolved by {actor}"),
        (NoticeEvent::Resolved, None) => "Resolved".to_owned(),
        (NoticeEvent::ResponseOverdue, _) => {
            "Response overdue: nobody has acknowledged this incident yet".to_owned()
        }
        (NoticeEvent::PostmortemReminder, _) => "Post-mortem due within 24 hours".to_owned(),
        (NoticeEvent::PostmortemOverdue, _) => "Post-mortem overdue".to_owned(),
        (NoticeEvent::PhaseOverdue, Some(owner)) => {
            format!("Runbook phase overdue: reminder for {owner}")
        }
        (NoticeEvent::PhaseOverdue, None) => "Runbook phase overdue".to_owned(),
        (NoticeEvent::UpdateDue, Some(owner)) => {
            format!("Update due: {owner} owns the next update")
        }
        (NoticeEvent::UpdateDue, None) => "Update due".to_owned(),
        (NoticeEvent::ReviewDigest, _) => "Weekly review".to_owned(),
        (NoticeEvent::SeverityChanged, Some(actor)) => format!("Severity changed by {actor}"),
        (NoticeEvent::SeverityChanged, None) => "Severity changed".to_owned(),
        (NoticeEvent::Timeline, Some(actor)) => format!("Timeline: {actor} wrote"),
        (NoticeEvent::Timeline, None) => "Timeline".to_owned(),
    }
}

/// Label and value pairs, absent facts left out.
fn facts(notice: &Notice) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Severity", one_line(&notice.severity)),
        (
            "Since",
            notice.opened_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    let placement: Vec<String> = [&notice.category, &notice.component]
        .into_iter()
        .flatten()
        .map(|part| one_line(part))
        .filter(|part| !part.is_empty())
        .collect();
    if !placement.is_empty() {
        facts.push(("Category / component", placement.join(" / ")));
    }
    if let Some(runbook) = notice
        .runbook
        .as_deref()
        .map(one_line)
        .filter(|name| !name.is_empty())
    {
        facts.push(("Runbook", runbook));
    }
    facts
}

fn text_part(
    event: &str,
    title: &str,
    facts: &[(&str, String)],
    summary: Option<&str>,
    ack_url: Option<&str>,
    incident_url: Option<&str>,
) -> String {
    let mut text = format!("{event}: {title}\n\n");
    for (label, value) in facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    if let Some(summary) = summary {
        text.push_str(&format!("\n{summary}\n"));
    }
    // Each link on a line of its own, so clients make it clickable and nothing sticks to it.
    if ack_url.is_some() || incident_url.is_some() {
        text.push('\n');
    }
    if let Some(url) = ack_url {
        text.push_str(&format!("Acknowledge: {url}\n"));
    }
    if let Some(url) = incident_url {
        text.push_str(&format!("Incident: {url}\n"));
    }
    text
}

struct Parts<'a> {
    event: &'a str,
    title: &'a str,
    facts: &'a [(&'static str, String)],
    summary: Option<&'a str>,
    ack_url: Option<&'a str>,
    incident_url: Option<&'a str>,
}

/// A single-column page with inline styles only: mail clients drop `<style>` blocks and ignore
/// most modern CSS, so layout is tables and attributes.
fn html_part(notice: &Notice, parts: &Parts<'_>, locale_rtl: bool) -> String {
    let (lang, dir, align) = if locale_rtl {
        ("ar", "rtl", "right")
    } else {
        ("en", "ltr", "left")
    };
    // The gap goes on the label's inline end, which is the left in right-to-left layout.
    let label_padding = if locale_rtl {
        "2px 0 2px 16px"
    } else {
        "2px 16px 2px 0"
    };
    let color = match notice.event {
        NoticeEvent::Opened => "#b91c1c",
        NoticeEvent::ResponseOverdue | NoticeEvent::PhaseOverdue | NoticeEvent::UpdateDue => {
            "#c2410c"
        }
        NoticeEvent::Acknowledged | NoticeEvent::SeverityChanged | NoticeEvent::Timeline => {
            "#1d4ed8"
        }
        NoticeEvent::Resolved => "#15803d",
        NoticeEvent::PostmortemReminder
        | NoticeEvent::PostmortemOverdue
        | NoticeEvent::ReviewDigest => "#6b21a8",
    };

    let mut html = String::with_capacity(4096);
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n",
        escape(&subject(notice))
    ));
    html.push_str(&format!(
        "<body dir=\"{dir}\" style=\"margin:0;padding:0;background-color:#f4f4f5;\">\n\
         <div dir=\"{dir}\" style=\"max-width:600px;margin:0 auto;padding:24px;background-color:#ffffff;\
         font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#18181b;text-align:{align};\">\n"
    ));
    html.push_str(&format!(
        "<p style=\"margin:0 0 4px;font-weight:bold;color:{color};\">{}</p>\n",
        escape(parts.event)
    ));
    // dir="auto" on what people wrote: an English title in an Arabic page (or the reverse) keeps
    // its own direction.
    html.push_str(&format!(
        "<h1 dir=\"auto\" style=\"margin:0 0 16px;font-size:20px;line-height:1.3;\">{}</h1>\n",
        escape(parts.title)
    ));
    html.push_str(
        "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"border-collapse:collapse;margin:0 0 16px;\">\n",
    );
    for (label, value) in parts.facts {
        html.push_str(&format!(
            "<tr><th scope=\"row\" style=\"padding:{label_padding};text-align:{align};font-weight:normal;\
             color:#52525b;vertical-align:top;\">{}</th><td dir=\"auto\" style=\"padding:2px 0;\">{}</td></tr>\n",
            escape(label),
            escape(value)
        ));
    }
    html.push_str("</table>\n");
    if let Some(summary) = parts.summary {
        html.push_str(&format!(
            "<p dir=\"auto\" style=\"margin:0 0 16px;\">{}</p>\n",
            escape(summary).replace('\n', "<br>\n")
        ));
    }
    if let Some(url) = parts.ack_url {
        html.push_str(&format!(
            "<p style=\"margin:24px 0;\"><a href=\"{}\" style=\"display:inline-block;padding:12px 24px;\
             background-color:#b91c1c;color:#ffffff;font-weight:bold;text-decoration:none;border-radius:6px;\">\
             Acknowledge</a></p>\n",
            escape(url)
        ));
    }
    if let Some(url) = parts.incident_url {
        html.push_str(&format!(
            "<p style=\"margin:0;\"><a href=\"{}\" style=\"color:#1d4ed8;\">Open the incident</a></p>\n",
            escape(url)
        ));
    }
    html.push_str("</div>\n</body>\n</html>\n");
    html
}

/// Escapes text for HTML content and double- or single-quoted attributes.
pub use tocsin_core::escape::html as escape;

/// Turns lettre's error into a [`SendError`]: 4xx answers, timeouts, network, TLS and malformed
/// answers can clear up (retry); 5xx answers and problems on our side (no usable AUTH mechanism,
/// an address the server cannot take) will not.
pub(crate) fn classify_smtp(err: &lettre::transport::smtp::Error) -> SendError {
    let server_text = || {
        std::error::Error::source(err)
            .map(|source| truncate(&one_line(&source.to_string()), DETAIL_BODY_BYTES))
            .unwrap_or_default()
    };
    if let Some(code) = err.status() {
        let mut detail = format!("SMTP {code}");
        let text = server_text();
        if !text.is_empty() {
            detail.push_str(": ");
            detail.push_str(&text);
        }
        // SMTP codes are not HTTP statuses, so `status` stays empty.
        return if err.is_transient() {
            SendError::retryable(None, detail)
        } else {
            SendError::permanent(None, detail)
        };
    }
    if err.is_timeout() {
        return SendError::retryable(None, "SMTP timed out".to_owned());
    }
    if err.is_client() {
        return SendError::permanent(None, format!("SMTP client error: {}", server_text()));
    }
    let what = if err.is_tls() {
        "SMTP TLS failed"
    } else if err.is_response() {
        "SMTP server sent an unreadable answer"
    } else {
        "SMTP connection failed"
    };
    SendError::retryable(None, format!("{what}: {}", root_cause(err)))
}

/// The innermost message: lettre's outer layers only say "network error".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = err;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    truncate(&one_line(&deepest.to_string()), DETAIL_BODY_BYTES)
}

/// RFC 5322 `id-left` as dot-atom-text: atext characters and single dots inside.
fn is_message_id_part(id: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";
    !id.is_empty()
        && !id.starts_with('.')
        && !id.ends_with('.')
        && !id.contains("..")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || SPECIALS.contains(c))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Cuts plain text to `limit` characters, ending in `…` when cut.
fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A message written by the caller rather than rendered from a notice: the status page's mail
/// to its subscribers (confirmations and public updates), which says other things than a page.
#[derive(Debug, Clone, Copy)]
pub struct Composed<'a> {
    /// The Message-ID's left half, the same on every retry.
    pub id: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub now: jiff::Timestamp,
    /// RFC 2369/8058: mail clients offer their own one-click "unsubscribe" with this URL.
    pub unsubscribe_url: Option<&'a str>,
}

impl Mailer {
    /// Sends a [`Composed`] message once; errors are classified like [`Mailer::send`]'s.
    pub async fn send_composed(&self, composed: &Composed<'_>) -> Result<(), SendError> {
        let to: Mailbox = composed.to.trim().parse().map_err(|err| {
            SendError::permanent(
                None,
                format!("invalid recipient address {:?}: {err}", composed.to),
            )
        })?;
        if !is_message_id_part(composed.id) {
            return Err(SendError::permanent(
                None,
                format!("the id {:?} cannot be used in a Message-ID", composed.id),
            ));
        }
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(one_line(composed.subject))
            .date(SystemTime::from(composed.now))
            .message_id(Some(format!("<{}@{}>", composed.id, self.id_domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(DELIVERY_HEADER),
                composed.id.to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .user_agent(crate::USER_AGENT.to_owned());
        if let Some(url) = composed.unsubscribe_url {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                composed.text.to_owned(),
                composed.html.to_owned(),
            ))
            .map_err(|err| SendError::permanent(None, format!("cannot build the e-mail: {err}")))?;
        let result = match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(err) => Err(classify_smtp(&err)),
        };
        result.map_err(|mut err| {
            if let Some(password) = self.password.as_ref().filter(|p| !p.is_empty()) {
                err.detail = err.detail.replace(password.expose(), "[redacted]");
            }
            err
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(event: NoticeEvent) -> Notice {
        Notice {
            event,
            incident_id: "inc_42".into(),
            title: "Checkout <API> & \"cart\" down".into(),
            severity: "SEV-1".into(),
            category: Some("availability".into()),
            component: Some("checkout-api".into()),
            summary: Some("5xx above 50%\nsince the deploy".into()),
            opened_at: "2026-11-26T21:30:45Z".parse().expect("valid timestamp"),
            runbook: Some("checkout-outage".into()),
            actor: None,
            source: None,
        }
    }

    fn links() -> NoticeLinks {
        NoticeLinks {
            incident_url: "https://tocsin.example.com/incidents/inc_42".into(),
            ack_url: Some("https://tocsin.example.com/ack/abc?t=1&x=2".into()),
        }
    }

    #[test]
    fn subjects_carry_severity_title_and_the_event_word() {
        let mut notice = notice(NoticeEvent::Opened);
        assert_eq!(subject(&notice), "[SEV-1] Checkout <API> & \"cart\" down");
        notice.event = NoticeEvent::Acknowledged;
        assert_eq!(
            subject(&notice),
            "[SEV-1] Acknowledged: Checkout <API> & \"cart\" down"
        );
        notice.event = NoticeEvent::Resolved;
        assert!(subject(&notice).starts_with("[SEV-1] Resolved: "));
        notice.event = NoticeEvent::ResponseOverdue;
        assert!(subject(&notice).starts_with("[SEV-1] Overdue: "));
        notice.title = format!("a\nb {}", "x".repeat(500));
        let long = subject(&notice);
        assert!(long.starts_with("[SEV-1] Overdue: a b xxx"));
        assert!(long.ends_with('…'));
        assert!(long.chars().count() < 230);
    }

    #[test]
    fn the_text_part_has_the_facts_the_summary_and_both_links() {
        let email = render(&notice(NoticeEvent::Opened), &links(), false);
        assert_eq!(
            email.text,
            "Incident opened: Checkout <API> & \"cart\" down\n\
             \n\
             Severity: SEV-1\n\
             Since: 2026-11-26 21:30 UTC\n\
             Category / component: availability / checkout-api\n\
             Runbook: checkout-outage\n\
             \n\
             5xx above 50%\n\
             since the deploy\n\
             \n\
             Acknowledge: https://tocsin.example.com/ack/abc?t=1&x=2\n\
             Incident: https://tocsin.example.com/incidents/inc_42\n"
        );
    }

    #[test]
    fn the_html_part_is_escaped_and_links_the_ack_as_a_button() {
        let email = render(&notice(NoticeEvent::Opened), &links(), false);
        let html = &email.html;
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"));
        assert!(html.contains("Checkout &lt;API&gt; &amp; &quot;cart&quot; down</h1>"));
        assert!(!html.contains("<API>"));
        assert!(html.contains("<a href=\"https://tocsin.example.com/ack/abc?t=1&amp;x=2\""));
        assert!(html.contains("Acknowledge</a>"));
        assert!(html.contains(
            "<a href=\"https://tocsin.example.com/incidents/inc_42\" style=\"color:#1d4ed8;\">Open the incident</a>"
        ));
        assert!(html.contains("5xx above 50%<br>\nsince the deploy"));
        assert!(html.contains(">2026-11-26 21:30 UTC</td>"));
        assert!(html.contains(">checkout-outage</td>"));
    }

    #[test]
    fn right_to_left_sets_lang_and_dir_and_keeps_the_text_in_logical_order() {
        let mut arabic = notice(NoticeEvent::Opened);
        arabic.title = "تعطل الدفع".into();
        arabic.summary = Some("أخطاء 5xx فوق 50%".into());
        let email = render(&arabic, &links(), true);
        assert!(email.html.contains("<html lang=\"ar\" dir=\"rtl\">"));
        assert!(email.html.contains("<body dir=\"rtl\""));
        assert!(email.html.contains("<div dir=\"rtl\""));
        assert!(email.html.contains("text-align:right"));
        assert!(email.html.contains(">تعطل الدفع</h1>"));
        assert!(email.text.starts_with("Incident opened: تعطل الدفع\n"));
        assert!(email.text.contains("\nأخطاء 5xx فوق 50%\n"));
    }

    #[test]
    fn without_an_ack_link_only_the_incident_link_is_offered() {
        let mut acked = notice(NoticeEvent::Acknowledged);
        acked.actor = Some("alice".into());
        let links = NoticeLinks {
            ack_url: None,
            ..links()
        };
        let email = render(&acked, &links, false);
        assert!(email.text.starts_with("Acknowledged by alice: "));
        assert!(!email.text.contains("Acknowledge:"));
        assert!(!email.html.contains("Acknowledge</a>"));
        assert!(email.html.contains("Open the incident</a>"));

        let bare = render(&acked, &NoticeLinks::default(), false);
        assert!(!bare.text.contains("http"));
        assert!(!bare.html.contains("<a "));
    }

    #[test]
    fn message_id_parts_are_dot_atoms() {
        assert!(is_message_id_part("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
        assert!(is_message_id_part("dlv_1.retry"));
        assert!(!is_message_id_part(""));
        assert!(!is_message_id_part("a b"));
        assert!(!is_message_id_part("a@b"));
        assert!(!is_message_id_part("a..b"));
        assert!(!is_message_id_part("<a>"));
    }

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[tokio::test]
    async fn settings_are_checked_and_the_password_never_shows_in_debug() {
        let settings = SmtpSettings {
            host: "smtp.example.com".into(),
            port: 587,
            username: Some("mailer".into()),
            password: Some(Secret::new("hunter2-sekrit")),
            from: "Tocsin <alerts@example.com>".into(),
            tls: Tls::Starttls,
        };
        let mailer = Mailer::new(&settings).expect("valid settings");
        let debug = format!("{mailer:?} {settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("smtp.example.com:587"), "{debug}");

        Mailer::new(&SmtpSettings {
            tls: Tls::Tls,
            port: 465,
            ..settings.clone()
        })
        .expect("implicit TLS");
        let err = Mailer::new(&SmtpSettings {
            password: None,
            ..settings.clone()
        })
        .expect_err("username without password");
        assert!(err.contains("together"), "{err}");
        let err = Mailer::new(&SmtpSettings {
            from: "not an address".into(),
            ..settings.clone()
        })
        .expect_err("bad from");
        assert!(err.contains("smtp.from"), "{err}");
    }

    #[test]
    fn a_mailer_outside_a_runtime_is_an_error_not_a_panic() {
        let err = Mailer::new(&SmtpSettings {
            host: "127.0.0.1".into(),
            port: 25,
            username: None,
            password: None,
            from: "alerts@example.com".into(),
            tls: Tls::None,
        })
        .expect_err("no runtime");
        assert!(err.contains("Tokio runtime"), "{err}");
    }
}
