//! [`SmtpSink`]: a minimal but real SMTP server on 127.0.0.1 that records every message.
//!
//! It speaks enough of RFC 5321 for real clients (lettre): the 220 greeting, EHLO/HELO, MAIL FROM,
//! RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT, and AUTH PLAIN/LOGIN (RFC 4954) when
//! started with credentials. There is no TLS: tests configure `tls = "none"`. Anything it does not
//! expect (an unknown command, a command out of order, STARTTLS) is answered with the proper error
//! code *and* recorded, so a test can assert the conversation was clean with
//! [`SmtpSink::assert_clean`].

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::mime::{self, MailPart};

/// Longer than any legal line (RFC 5321 §4.5.3.1: 1000 octets for text lines), short enough that a
/// runaway client cannot eat the test's memory.
const MAX_LINE: usize = 64 * 1024;

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// 0 for the first message accepted by this sink, then 1, 2, …
    pub order: usize,
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order, without the angle brackets.
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, line endings as received, without the
    /// terminating `.` line.
    pub data: Vec<u8>,
    /// Who authenticated on the connection that carried the message, if anyone.
    pub user: Option<String>,
}

impl Mail {
    /// The raw message as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The first header named `name` (case-insensitive), unfolded, still encoded as sent (an
    /// RFC 2047 `=?utf-8?…?=` subject stays encoded; see [`Mail::subject`]).
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let (headers, _) = mime::split(&text);
        mime::header(&headers, name).map(str::to_owned)
    }

    /// The `Subject`, RFC 2047 words decoded.
    pub fn subject(&self) -> Option<String> {
        self.header("subject")
            .map(|value| mime::decode_words(&value))
    }

    /// The leaf parts (each alternative of a multipart message; the body itself otherwise),
    /// transfer encoding undone.
    pub fn parts(&self) -> Vec<MailPart> {
        mime::parts(&self.text())
    }

    /// The decoded text of the first part whose content type starts with `content_type`
    /// (`"text/plain"`, `"text/html"`).
    pub fn part(&self, content_type: &str) -> Option<String> {
        self.parts()
            .into_iter()
            .find(|part| {
                part.content_type
                    .to_ascii_lowercase()
                    .starts_with(content_type)
            })
            .map(|part| part.text)
    }
}

/// Where a refusal is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Every `RCPT TO` of the transaction gets the code.
    Rcpt,
    /// The end of the message data (the final `.`) gets the code: the content was refused.
    Data,
}

#[derive(Debug)]
struct Fault {
    stage: Stage,
    code: u16,
    transactions: usize,
}

#[derive(Debug, Default)]
struct Records {
    messages: Vec<Mail>,
    /// Transactions the sink refused on purpose, in order: (stage, code).
    refused: Vec<(Stage, u16)>,
    /// What a well-behaved client should never have made the sink do.
    unexpected: Vec<String>,
}

#[derive(Debug)]
struct Shared {
    credentials: Option<(String, String)>,
    records: Mutex<Records>,
    faults: Mutex<VecDeque<Fault>>,
    arrived: Notify,
}

impl Shared {
    fn records(&self) -> MutexGuard<'_, Records> {
        // A panicking test already failed; its records are still worth showing.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes one transaction's worth of the first queued fault, if it is for `stage`. Faults apply
    /// in the order they were queued.
    fn take_fault(&self, stage: Stage) -> Option<u16> {
        let mut faults = self.faults();
        let front = faults.front_mut().filter(|fault| fault.stage == stage)?;
        let code = front.code;
        front.transactions -= 1;
        if front.transactions == 0 {
            faults.pop_front();
        }
        Some(code)
    }

    fn unexpected(&self, what: String) {
        self.records().unexpected.push(what);
    }
}

/// A recording SMTP server on 127.0.0.1 (see the module docs). Clones share the server.
#[derive(Debug, Clone)]
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl SmtpSink {
    /// An open relay: no AUTH advertised, every message accepted.
    pub async fn start() -> SmtpSink {
        SmtpSink::spawn(None).await
    }

    /// Advertises `AUTH PLAIN LOGIN`, refuses `MAIL` before a successful AUTH (530) and refuses
    /// any other user or password (535).
    pub async fn start_with_auth(user: &str, password: &str) -> SmtpSink {
        SmtpSink::spawn(Some((user.to_owned(), password.to_owned()))).await
    }

    async fn spawn(credentials: Option<(String, String)>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("SMTP sink address");
        let shared = Arc::new(Shared {
            credentials,
            records: Mutex::default(),
            faults: Mutex::default(),
            arrived: Notify::new(),
        });
        let accepting = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, accepting.clone()));
            }
        });
        SmtpSink { addr, shared }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Always `127.0.0.1`.
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<Mail> {
        self.shared.records().messages.clone()
    }

    /// The transactions refused because of [`SmtpSink::fail_next`], in order: (stage, code).
    pub fn refused(&self) -> Vec<(Stage, u16)> {
        self.shared.records().refused.clone()
    }

    /// Protocol trouble a well-behaved client would not cause: unknown commands, commands out of
    /// order, malformed arguments, STARTTLS, overlong lines.
    pub fn unexpected(&self) -> Vec<String> {
        self.shared.records().unexpected.clone()
    }

    /// Panics if the sink saw anything a well-behaved client would not send.
    pub fn assert_clean(&self) {
        let unexpected = self.unexpected();
        assert!(
            unexpected.is_empty(),
            "the SMTP sink saw unexpected commands: {unexpected:#?}"
        );
    }

    /// Answers the next `transactions` transactions that reach `stage` with `code` (a 4xx for a
    /// temporary failure, a 5xx for a permanent one). Calls queue up: each applies after the
    /// previous one is used up.
    ///
    /// # Panics
    ///
    /// If `code` is not a 4xx or 5xx reply code.
    pub fn fail_next(&self, transactions: usize, stage: Stage, code: u16) {
        assert!(
            (400..600).contains(&code),
            "fail_next needs a 4xx or 5xx reply code, not {code}"
        );
        if transactions > 0 {
            self.shared.faults().push_back(Fault {
                stage,
                code,
                transactions,
            });
        }
    }

    /// Waits (on arrivals, not on a timer) for the message accepted `index`-th (0 for the first)
    /// and returns it. It never gives up: for readers that live as long as the sink, like the
    /// demo's inbox, which hands each message on as it arrives.
    pub async fn message(&self, index: usize) -> Mail {
        loop {
            // Registered before the check, so an arrival in between still wakes us.
            let arrival = self.shared.arrived.notified();
            if let Some(mail) = self.shared.records().messages.get(index) {
                return mail.clone();
            }
            arrival.await;
        }
    }

    /// Waits (on arrivals, not on a timer) until at least `count` messages were accepted and
    /// returns them all; panics after `limit` so a broken sender fails the test instead of
    /// hanging it.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Mail> {
        let wait = async {
            loop {
                // Registered before the check, so an arrival in between still wakes us.
                let arrival = self.shared.arrived.notified();
                let messages = self.messages();
                if messages.len() >= count {
                    return messages;
                }
                arrival.await;
            }
        };
        match tokio::time::timeout(limit, wait).await {
            Ok(messages) => messages,
            Err(_) => panic!(
                "the SMTP sink did not receive {count} message(s) within {limit:?}; it has {:#?}\nunexpected: {:#?}",
                self.messages(),
                self.unexpected()
            ),
        }
    }
}

/// The envelope of the transaction in progress.
#[derive(Debug, Default)]
struct Transaction {
    from: String,
    to: Vec<String>,
    /// Set when a fault for `RCPT` was taken: every recipient gets this code.
    refused_rcpt: Option<u16>,
}

struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    shared: Arc<Shared>,
    greeted: bool,
    user: Option<String>,
    transaction: Option<Transaction>,
}

/// Why a session stops: the client quit or hung up, or the socket failed. Either way there is
/// nothing more to do for this connection.
struct Closed;

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let (read, writer) = stream.into_split();
    let mut session = Session {
        reader: BufReader::new(read),
        writer,
        shared,
        greeted: false,
        user: None,
        transaction: None,
    };
    let _ = session.run().await;
}

impl Session {
    async fn run(&mut self) -> Result<(), Closed> {
        self.reply("220 127.0.0.1 ESMTP tocsin-testkit").await?;
        loop {
            let line = self.read_line().await?;
            let line = String::from_utf8_lossy(trim_eol(&line)).into_owned();
            let (verb, rest) = match line.split_once(' ') {
                Some((verb, rest)) => (verb.to_ascii_uppercase(), rest.trim()),
                None => (line.to_ascii_uppercase(), ""),
            };
            match verb.as_str() {
                "EHLO" | "HELO" => self.hello(&verb, rest).await?,
                "MAIL" => self.mail(rest).await?,
                "RCPT" => self.rcpt(rest).await?,
                "DATA" => self.data().await?,
                "RSET" => {
                    self.transaction = None;
                    self.reply("250 2.0.0 OK").await?;
                }
                "NOOP" => self.reply("250 2.0.0 OK").await?,
                "QUIT" => {
                    self.reply("221 2.0.0 Bye").await?;
                    return Ok(());
                }
                "AUTH" => self.auth(rest).await?,
                "STARTTLS" => {
                    self.shared
                        .unexpected("STARTTLS (the sink has no TLS; use tls = \"none\")".into());
                    self.reply("454 4.7.0 TLS not available").await?;
                }
                _ => {
                    self.shared.unexpected(format!("unknown command: {line}"));
                    self.reply("500 5.5.2 Command not recognized").await?;
                }
            }
        }
    }

    async fn hello(&mut self, verb: &str, domain: &str) -> Result<(), Closed> {
        if domain.is_empty() {
            self.shared.unexpected(format!("{verb} without a domain"));
            return self.reply("501 5.5.4 Domain required").await;
        }
        // RFC 5321 §4.1.4: a new EHLO resets the session's transaction.
        self.greeted = true;
        self.transaction = None;
        if verb == "HELO" {
            return self.reply("250 127.0.0.1").await;
        }
        let mut lines = vec![format!("127.0.0.1 greets {domain}"), "8BITMIME".into()];
        lines.push("SMTPUTF8".into());
        if self.shared.credentials.is_some() {
            lines.push("AUTH PLAIN LOGIN".into());
        }
        let last = lines.len() - 1;
        let reply: String = lines
            .iter()
            .enumerate()
            .map(|(i, line)| format!("250{}{line}\r\n", if i == last { ' ' } else { '-' }))
            .collect();
        self.write(reply.as_bytes()).await
    }

    async fn mail(&mut self, rest: &str) -> Result<(), Closed> {
        if !self.greeted {
            self.shared.unexpected("MAIL before EHLO".into());
            return self.reply("503 5.5.1 Say EHLO first").await;
        }
        if self.transaction.is_some() {
            self.shared.unexpected("MAIL inside a transaction".into());
            return self.reply("503 5.5.1 Nested MAIL command").await;
        }
        if self.shared.credentials.is_some() && self.user.is_none() {
            return self.reply("530 5.7.0 Authentication required").await;
        }
        let Some(from) = path_argument(rest, "FROM:") else {
            self.shared.unexpected(format!("malformed MAIL {rest}"));
            return self.reply("501 5.5.4 Syntax: MAIL FROM:<address>").await;
        };
        self.transaction = Some(Transaction {
            from,
            ..Transaction::default()
        });
        self.reply("250 2.1.0 OK").await
    }

    async fn rcpt(&mut self, rest: &str) -> Result<(), Closed> {
        let Some(to) = path_argument(rest, "TO:") else {
            self.shared.unexpected(format!("malformed RCPT {rest}"));
            return self.reply("501 5.5.4 Syntax: RCPT TO:<address>").await;
        };
        let Some(transaction) = self.transaction.as_mut() else {
            self.shared.unexpected("RCPT before MAIL".into());
            return self.reply("503 5.5.1 Need MAIL first").await;
        };
        // A fault is taken once per transaction, at its first RCPT.
        if transaction.to.is_empty()
            && transaction.refused_rcpt.is_none()
            && let Some(code) = self.shared.take_fault(Stage::Rcpt)
        {
            transaction.refused_rcpt = Some(code);
            self.shared.records().refused.push((Stage::Rcpt, code));
        }
        if let Some(code) = transaction.refused_rcpt {
            return self.reply(&refusal(code)).await;
        }
        transaction.to.push(to);
        self.reply("250 2.1.5 OK").await
    }

    async fn data(&mut self) -> Result<(), Closed> {
        let ready = self
            .transaction
            .as_ref()
            .is_some_and(|transaction| !transaction.to.is_empty());
        if !ready {
            // A client that got its RCPTs refused must not go on to DATA.
            self.shared
                .unexpected("DATA without MAIL or without an accepted RCPT".into());
            return self.reply("503 5.5.1 Need MAIL and RCPT first").await;
        }
        self.reply("354 End data with <CR><LF>.<CR><LF>").await?;
        let mut data = Vec::new();
        loop {
            let line = self.read_line().await?;
            if trim_eol(&line) == b"." {
                break;
            }
            // RFC 5321 §4.5.2: a leading dot was doubled by the client; take one off.
            let line = line.strip_prefix(b".").unwrap_or(&line);
            data.extend_from_slice(line);
        }
        let Some(transaction) = self.transaction.take() else {
            return self.reply("503 5.5.1 Need MAIL first").await;
        };
        if let Some(code) = self.shared.take_fault(Stage::Data) {
            self.shared.records().refused.push((Stage::Data, code));
            return self.reply(&refusal(code)).await;
        }
        let order = {
            let mut records = self.shared.records();
            let order = records.messages.len();
            records.messages.push(Mail {
                order,
                from: transaction.from,
                to: transaction.to,
                data,
                user: self.user.clone(),
            });
            order
        };
        self.shared.arrived.notify_waiters();
        self.reply(&format!("250 2.0.0 OK queued as {order}")).await
    }

    async fn auth(&mut self, rest: &str) -> Result<(), Closed> {
        if self.shared.credentials.is_none() {
            self.shared
                .unexpected("AUTH on a sink started without credentials".into());
            return self.reply("502 5.5.1 AUTH not supported").await;
        }
        if self.user.is_some() {
            self.shared.unexpected("AUTH twice".into());
            return self.reply("503 5.5.1 Already authenticated").await;
        }
        if self.transaction.is_some() {
            self.shared.unexpected("AUTH inside a transaction".into());
            return self.reply("503 5.5.1 AUTH not allowed now").await;
        }
        let (mechanism, initial) = match rest.split_once(' ') {
            Some((mechanism, initial)) => (mechanism.to_ascii_uppercase(), Some(initial.trim())),
            None => (rest.to_ascii_uppercase(), None),
        };
        let login = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(initial) => initial.to_owned(),
                    None => self.challenge("").await?,
                };
                // RFC 4616: authzid NUL authcid NUL passwd.
                decode(&response).and_then(|plain| {
                    let mut parts = plain.split('\0');
                    let (_authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
                    Some((user.to_owned(), password.to_owned()))
                })
            }
            "LOGIN" => {
                let user = match initial {
                    Some(initial) => initial.to_owned(),
                    None => self.challenge("VXNlcm5hbWU6").await?, // "Username:"
                };
                let password = self.challenge("UGFzc3dvcmQ6").await?; // "Password:"
                decode(&user).zip(decode(&password))
            }
            _ => {
                self.shared
                    .unexpected(format!("AUTH with an unoffered mechanism: {mechanism}"));
                return self
                    .reply("504 5.5.4 Unrecognized authentication type")
                    .await;
            }
        };
        let Some((user, password)) = login else {
            self.shared
                .unexpected(format!("malformed AUTH {mechanism}"));
            return self.reply("501 5.5.2 Cannot decode the response").await;
        };
        let valid =
            self.shared
                .credentials
                .as_ref()
                .is_some_and(|(expected_user, expected_password)| {
                    *expected_user == user && *expected_password == password
                });
        if !valid {
            return self
                .reply("535 5.7.8 Authentication credentials invalid")
                .await;
        }
        self.user = Some(user);
        self.reply("235 2.7.0 Authentication successful").await
    }

    /// Sends a 334 challenge and reads the client's base64 answer.
    async fn challenge(&mut self, text: &str) -> Result<String, Closed> {
        self.reply(&format!("334 {text}")).await?;
        let line = self.read_line().await?;
        Ok(String::from_utf8_lossy(trim_eol(&line)).into_owned())
    }

    async fn read_line(&mut self) -> Result<Vec<u8>, Closed> {
        let mut line = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|_| Closed)?;
        if read == 0 {
            return Err(Closed);
        }
        if !line.ends_with(b"\n") {
            // Either the peer hung up mid-line or the line is over the limit: both end the
            // session, and the latter is worth a test failure.
            if line.len() >= MAX_LINE {
                self.shared
                    .unexpected(format!("a line longer than {MAX_LINE} bytes"));
            }
            return Err(Closed);
        }
        Ok(line)
    }

    async fn reply(&mut self, line: &str) -> Result<(), Closed> {
        self.write(format!("{line}\r\n").as_bytes()).await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.writer.write_all(bytes).await.map_err(|_| Closed)
    }
}

/// The reply for an injected failure, with an enhanced status code of the same class.
fn refusal(code: u16) -> String {
    let class = code / 100;
    format!("{code} {class}.0.0 refused by the test (injected failure)")
}

/// The address in `FROM:<a@b> SIZE=…` / `TO:<a@b>`, without brackets; parameters are ignored.
fn path_argument(rest: &str, keyword: &str) -> Option<String> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let path = rest[keyword.len()..].trim_start();
    let inner = path.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

fn decode(base64: &str) -> Option<String> {
    let bytes = STANDARD.decode(base64.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    const LIMIT: Duration = Duration::from_secs(10);

    fn transport(sink: &SmtpSink) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(sink.host())
            .port(sink.port())
            .timeout(Some(LIMIT))
            .build()
    }

    fn message(to: &str, body: &str) -> Message {
        Message::builder()
            .from("Tocsin <alerts@example.com>".parse().expect("from"))
            .to(to.parse().expect("to"))
            .subject("[SEV-1] Checkout down")
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .expect("message")
    }

    #[tokio::test]
    async fn lettre_delivers_and_the_sink_records_envelope_and_unstuffed_data() {
        let sink = SmtpSink::start().await;
        let transport = transport(&sink);
        transport
            .send(message(
                "oncall@example.com",
                "first line\n.leading dot\n..two\n",
            ))
            .await
            .expect("sent");
        transport
            .send(message("second@example.com", "again"))
            .await
            .expect("sent");

        let mails = sink.wait_for(2, LIMIT).await;
        assert_eq!(mails[0].order, 0);
        assert_eq!(mails[0].from, "alerts@example.com");
        assert_eq!(mails[0].to, ["oncall@example.com"]);
        assert_eq!(mails[0].user, None);
        assert_eq!(
            mails[0].header("subject").as_deref(),
            Some("[SEV-1] Checkout down")
        );
        let text = mails[0].text();
        // lettre ends the data with CRLF.CRLF even after a final CRLF, hence `contains`.
        assert!(
            text.contains("\r\n\r\nfirst line\r\n.leading dot\r\n..two\r\n"),
            "{text:?}"
        );
        assert_eq!(mails[1].order, 1);
        assert_eq!(mails[1].to, ["second@example.com"]);
        sink.assert_clean();
    }

    #[tokio::test]
    async fn a_reader_waiting_for_the_next_message_gets_it_when_it_arrives() {
        let sink = SmtpSink::start().await;
        let reader = sink.clone();
        let second = tokio::spawn(async move { reader.message(1).await });
        let transport = transport(&sink);
        for to in ["first@example.com", "second@example.com"] {
            transport.send(message(to, "body")).await.expect("sent");
        }
        let second = tokio::time::timeout(LIMIT, second)
            .await
            .expect("woken by the arrival")
            .expect("the reader ran");
        assert_eq!(second.to, ["second@example.com"]);
        // A message already there is returned at once.
        assert_eq!(sink.message(0).await.to, ["first@example.com"]);
    }

    #[tokio::test]
    async fn parts_and_subject_come_back_decoded_from_what_lettre_encoded() {
        let sink = SmtpSink::start().await;
        let html = format!("<p dir=\"rtl\">{}</p>", "تعطل الدفع ".repeat(20));
        let message = Message::builder()
            .from("alerts@example.com".parse().expect("from"))
            .to("oncall@example.com".parse().expect("to"))
            .subject("[SEV-1] تعطل الدفع")
            .multipart(lettre::message::MultiPart::alternative_plain_html(
                "نص عادي = plain".to_owned(),
                html.clone(),
            ))
            .expect("message");
        transport(&sink).send(message).await.expect("sent");
        let mail = sink.wait_for(1, LIMIT).await.remove(0);
        assert_eq!(mail.subject().as_deref(), Some("[SEV-1] تعطل الدفع"));
        assert_eq!(mail.parts().len(), 2);
        assert_eq!(mail.part("text/plain").as_deref(), Some("نص عادي = plain"));
        assert_eq!(mail.part("text/html"), Some(html));
        sink.assert_clean();
    }

    #[tokio::test]
    async fn auth_plain_and_login_record_the_user_and_wrong_passwords_are_refused() {
        let sink = SmtpSink::start_with_auth("mailer", "s3cret").await;
        for mechanism in [
            lettre::transport::smtp::authentication::Mechanism::Plain,
            lettre::transport::smtp::authentication::Mechanism::Login,
        ] {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(sink.host())
                .port(sink.port())
                .credentials(Credentials::new("mailer".into(), "s3cret".into()))
                .authentication(vec![mechanism])
                .build()
                .send(message("oncall@example.com", "hi"))
                .await
                .expect("sent");
        }
        let mails = sink.wait_for(2, LIMIT).await;
        assert!(
            mails
                .iter()
                .all(|mail| mail.user.as_deref() == Some("mailer"))
        );

        let err = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(sink.host())
            .port(sink.port())
            .credentials(Credentials::new("mailer".into(), "wrong".into()))
            .build()
            .send(message("oncall@example.com", "hi"))
            .await
            .expect_err("wrong password");
        assert!(err.is_permanent(), "{err}");

        // Without credentials the sink insists on AUTH before MAIL.
        let err = transport(&sink)
            .send(message("oncall@example.com", "hi"))
            .await
            .expect_err("no AUTH");
        assert!(err.is_permanent(), "{err}");
        assert_eq!(sink.messages().len(), 2);
        sink.assert_clean();
    }

    #[tokio::test]
    async fn injected_failures_apply_to_the_next_transactions_in_order() {
        let sink = SmtpSink::start().await;
        sink.fail_next(1, Stage::Data, 451);
        sink.fail_next(1, Stage::Rcpt, 550);
        let transport = transport(&sink);

        let err = transport
            .send(message("a@example.com", "one"))
            .await
            .expect_err("451 at DATA");
        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("injected failure"), "{err}");

        let err = transport
            .send(message("a@example.com", "two"))
            .await
            .expect_err("550 at RCPT");
        assert!(err.is_permanent(), "{err}");

        transport
            .send(message("a@example.com", "three"))
            .await
            .expect("the faults are used up");
        let mails = sink.wait_for(1, LIMIT).await;
        assert_eq!(mails.len(), 1);
        assert!(mails[0].text().ends_with("three\r\n"));
        assert_eq!(sink.refused(), [(Stage::Data, 451), (Stage::Rcpt, 550)]);
        sink.assert_clean();
    }

    #[tokio::test]
    async fn a_raw_conversation_gets_the_documented_replies() {
        let sink = SmtpSink::start().await;
        let mut stream = TcpStream::connect(sink.addr()).await.expect("connect");
        let script = "EHLO client.test\r\nNOOP\r\nRCPT TO:<x@y>\r\nMAIL FROM:<a@b> BODY=8BITMIME\r\n\
                      RSET\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhello\r\n.\r\nBOGUS\r\nQUIT\r\n";
        stream.write_all(script.as_bytes()).await.expect("write");
        let mut transcript = String::new();
        // The sink closes after QUIT, so reading to the end is the synchronisation.
        stream.read_to_string(&mut transcript).await.expect("read");
        let codes: Vec<&str> = transcript
            .lines()
            .filter(|line| line.as_bytes().get(3) == Some(&b' '))
            .map(|line| &line[..3])
            .collect();
        assert_eq!(
            codes,
            [
                "220", "250", "250", "503", "250", "250", "250", "250", "354", "250", "500", "221"
            ]
        );
        assert!(transcript.contains("250-8BITMIME\r\n250 SMTPUTF8\r\n"));
        assert_eq!(sink.messages()[0].data, b"hello\r\n");
        assert_eq!(
            sink.unexpected(),
            ["RCPT before MAIL", "unknown command: BOGUS"]
        );
    }
}
