//! tocsin-testkit: real servers on loopback that record what tocsin sends them, for tests across
//! the workspace and for `tocsin demo`, whose inbox shows the mail its [`SmtpSink`] received.
//!
//! - [`SmtpSink`]: a small but real SMTP server (RFC 5321 plus AUTH PLAIN/LOGIN) that records each
//!   message and can be told to refuse the next transactions with a 4xx or 5xx. Its [`Mail`] reads
//!   the decoded subject and MIME parts, so tests assert on text rather than on encodings.
//! - [`HttpSink`]: an HTTP server that records every request and answers the status the test sets
//!   (a stand-in for Slack, a webhook receiver or an SMS provider's API).
//! - [`RecordingProxy`]: an HTTP forward proxy that records what it forwards, for the
//!   `HTTPS_PROXY`/`HTTP_PROXY` tests.
//! - [`SmsProvider`]: Twilio's, Vonage's, MessageBird's and Unifonic's send endpoints, checking
//!   credentials and fields their way, and ([`sms_provider`]) each one's signed inbound reply.
//!
//! Both are event-driven: `wait_for`/`wait_until` wake on arrivals, never poll on a timer, and
//! panic after their limit so a broken sender fails the test instead of hanging it.
//! [`SmtpSink::message`] waits without a limit, for a reader that lives as long as the sink.
//! [`GithubApi`] stands in for GitHub's REST API (issues), for tickets.
//! [`example_env`] gives the example configuration's variables their test values; [`PgScratch`]
//! gives a test a PostgreSQL database of its own.

mod example_env;
mod github_api;
mod http;
mod mime;
mod postgres;
mod proxy;
mod slack_api;
pub mod sms_provider;
mod smtp;

pub use example_env::example_env;
pub use github_api::{ApiCall, GithubApi, Issue};
pub use http::{HttpSink, Received};
pub use mime::MailPart;
pub use postgres::{PgScratch, server_url as postgres_server_url};
pub use proxy::{Proxied, RecordingProxy};
pub use slack_api::{SlackApi, SlackCall};
pub use sms_provider::SmsProvider;
pub use smtp::{Mail, SmtpSink, Stage};
