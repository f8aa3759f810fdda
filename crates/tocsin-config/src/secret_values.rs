//! Every secret a configuration holds, gathered into one [`Redactor`]: each secret-typed field,
//! what `${file:…}` and secret-named `${VAR}`s put in anywhere, and the credentials written into
//! URLs (monitors', channels', actions', the database's). Whatever shows or keeps text that may
//! have met a secret (run records, the timeline, errors, the configuration page) scrubs it with
//! this.

use tocsin_core::Secret;
use tocsin_core::redact::{Redactor, url_secrets};

use crate::channels::ChannelKind;
use crate::config::Config;
use crate::extras::ActionKind;
use crate::monitor::MonitorKind;

/// A header value's secret: the whole value, and the credential after an auth scheme
/// (`Bearer <token>`, `Basic <base64>`).
fn header_values(redactor: &mut Redactor, value: &Secret) {
    let value = value.expose();
    redactor.add(value);
    if let Some((_, credential)) = value.trim().split_once(' ') {
        redactor.add(credential);
    }
}

/// A signing secret, and its key alone when written `whsec_<base64>` (Standard Webhooks).
fn signing_secret(redactor: &mut Redactor, secret: &Secret) {
    let value = secret.expose();
    redactor.add(value);
    if let Some(key) = value.strip_prefix(tocsin_core::standard_webhooks::SECRET_PREFIX) {
        redactor.add(key);
    }
}

fn url(redactor: &mut Redactor, url: &str) {
    for secret in url_secrets(url) {
        redactor.add(&secret);
    }
}

/// A URL that is a secret whole (a Slack webhook's, a watchdog's): the URL, its credentials,
/// its path (where such URLs keep their token), and a last path segment long enough to be a
/// token on its own.
fn secret_url(redactor: &mut Redactor, secret: &Secret) {
    let whole = secret.expose();
    redactor.add(whole);
    url(redactor, whole);
    if let Some((_, rest)) = whole.split_once("://")
        && let Some((_, path)) = rest.split_once('/')
    {
        redactor.add(path);
        let path = path.split(['?', '#']).next().unwrap_or("");
        if let Some(last) = path.trim_end_matches('/').rsplit('/').next()
            && last.len() >= 16
        {
            redactor.add(last);
        }
    }
}

/// The redactor for `config`, with the secret values `${}` expansions put in.
pub(crate) fn redactor(config: &Config, expanded: &[Secret]) -> Redactor {
    let mut redactor = Redactor::default();
    for secret in expanded {
        redactor.add(secret.expose());
    }
    if let Some(token) = &config.server.admin_token {
        redactor.add(token.expose());
    }
    url(&mut redactor, &config.server.database);
    if let Some(password) = config.smtp.as_ref().and_then(|smtp| smtp.password.as_ref()) {
        redactor.add(password.expose());
    }
    for channel in &config.channels {
        match &channel.kind {
            ChannelKind::Slack {
                webhook_url,
                signing_secret,
            } => {
                secret_url(&mut redactor, webhook_url);
                if let Some(secret) = signing_secret {
                    redactor.add(secret.expose());
                }
            }
            ChannelKind::Webhook { url: to, secret } => {
                url(&mut redactor, to);
                if let Some(secret) = secret {
                    signing_secret(&mut redactor, secret);
                }
            }
            ChannelKind::SlackApp(app) => {
                header_values(&mut redactor, &app.bot_token);
                redactor.add(app.signing_secret.expose());
                url(&mut redactor, &app.api_url);
            }
            ChannelKind::Email { .. } => {}
            ChannelKind::Sms(sms) => {
                url(&mut redactor, &sms.api_url);
                redactor.add(sms.token.expose());
                if let Some(secret) = &sms.signing_secret {
                    redactor.add(secret.expose());
                }
            }
            ChannelKind::Http(http) => {
                url(&mut redactor, &http.url);
                for value in http.headers.values() {
                    header_values(&mut redactor, value);
                }
                if let Some(secret) = &http.secret {
                    signing_secret(&mut redactor, secret);
                }
            }
        }
    }
    for monitor in &config.monitors {
        match &monitor.kind {
            MonitorKind::Http(http) => {
                url(&mut redactor, &http.url);
                for value in http.headers.values() {
                    header_values(&mut redactor, value);
                }
            }
            MonitorKind::Statuspage { url: to } => url(&mut redactor, to),
            MonitorKind::Postgres { dsn } => secret_url(&mut redactor, dsn),
            MonitorKind::Heartbeat { key, .. } => redactor.add(key.expose()),
            MonitorKind::Tcp { .. } | MonitorKind::Dns { .. } | MonitorKind::Tls { .. } => {}
        }
    }
    for integration in &config.integrations {
        signing_secret(&mut redactor, integration.kind.credential());
    }
    if let Some(watchdog) = &config.watchdog {
        secret_url(&mut redactor, &watchdog.url);
    }
    if let Some(tickets) = &config.tickets {
        match &tickets.tracker {
            crate::tickets::Tracker::Github { token, .. } => redactor.add(token.expose()),
            crate::tickets::Tracker::Webhook { url: to, secret } => {
                url(&mut redactor, to);
                if let Some(secret) = secret {
                    signing_secret(&mut redactor, secret);
                }
            }
        }
    }
    for action in &config.actions {
        match &action.kind {
            ActionKind::Http {
                url: to, headers, ..
            } => {
                url(&mut redactor, to);
                for value in headers.values() {
                    header_values(&mut redactor, value);
                }
            }
            ActionKind::Command { argv } => {
                for argument in argv {
                    // A bare URL, or `--to=https://user:pass@host/`.
                    let candidate = match argument.split_once('=') {
                        Some((flag, rest)) if !flag.contains("://") => rest,
                        _ => argument.as_str(),
                    };
                    url(&mut redactor, candidate);
                }
            }
        }
    }
    redactor
}
