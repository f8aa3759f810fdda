//! `[smtp]`, `[[channel]]` and `[[template]]`.

use std::collections::HashMap;

use tocsin_core::Secret;

use super::Names;
use super::ctx::Ctx;
use crate::channels::{Audience, Channel, ChannelKind, SlackApp, Smtp, SmtpTls, Template};
use crate::field::Field;
use crate::raw::{RawChannel, RawSmtp, RawTemplate};
use crate::spans::join_key;

pub(super) fn smtp(ctx: &mut Ctx, raw: &Field<RawSmtp>) -> Option<Smtp> {
    let raw = ctx.section(raw, "smtp")?;
    let host = ctx.require(&raw.host, "smtp.host", "\"smtp.example.com\"");
    if host.as_deref() == Some("") {
        ctx.error(
            "smtp.host",
            "`host` is empty",
            Some("name the mail server, like \"smtp.example.com\"".to_owned()),
        );
    }
    let port = match ctx.get(&raw.port, "smtp.port") {
        Some(port) => match u16::try_from(port) {
            Ok(port) if port > 0 => Some(port),
            _ => {
                ctx.error(
                    "smtp.port",
                    format!("`port` {port} is not a TCP port"),
                    Some(
                        "use a number from 1 to 65535, usually 587 (starttls) or 465 (tls)"
                            .to_owned(),
                    ),
                );
                None
            }
        },
        None => Some(587),
    };
    let username = ctx
        .get(&raw.username, "smtp.username")
        .filter(|name| !name.is_empty());
    let password = ctx
        .get(&raw.password, "smtp.password")
        .filter(|password| !password.is_empty())
        .map(Secret::new);
    let from = ctx.require(&raw.from, "smtp.from", "\"Example <status@example.com>\"");
    if let Some(from) = &from
        && !from.contains('@')
    {
        ctx.error(
            "smtp.from",
            format!("`from` `{from}` has no email address"),
            Some("write it like \"Example <status@example.com>\"".to_owned()),
        );
    }
    let tls = ctx
        .choice(
            &raw.tls,
            "smtp.tls",
            &[
                ("none", SmtpTls::None),
                ("starttls", SmtpTls::Starttls),
                ("tls", SmtpTls::Tls),
            ],
        )
        .unwrap_or_default();
    Some(Smtp {
        host: host?,
        port: port?,
        username,
        password,
        from: from?,
        tls,
    })
}

/// The channel types, in order.
pub(crate) const TYPES: [&str; 6] = ["slack", "email", "webhook", "sms", "http", "slack_app"];

/// Every key a channel of type `kind` accepts.
pub(crate) fn allowed_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "slack" => &["id", "type", "webhook_url", "signing_secret"],
        "email" => &["id", "type", "audience", "template"],
        "webhook" => &["id", "type", "url", "secret"],
        "sms" => &[
            "id",
            "type",
            "provider",
            "account",
            "token",
            "from",
            "api_url",
            "signing_secret",
        ],
        "http" => &["id", "type", "method", "url", "headers", "body", "secret"],
        "slack_app" => &[
            "id",
            "type",
            "bot_token",
            "signing_secret",
            "channel",
            "api_url",
            "incident_channels",
        ],
        _ => &["id", "type"],
    }
}

pub(super) fn channels(ctx: &mut Ctx, raw: &Field<Vec<RawChannel>>, names: &Names) -> Vec<Channel> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "channel") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[channel]]");
        }
        let label = id.clone().unwrap_or_default();
        if !raw.kind.is_present() {
            ctx.missing(&key("type"), "\"slack\"");
        }
        let kind = ctx.choice(&raw.kind, &key("type"), &TYPES.map(|kind| (kind, kind)));
        let kind = match kind {
            Some("slack") => {
                ctx.only_keys(
                    &item,
                    allowed_keys("slack"),
                    "a [[channel]] of type `slack`",
                );
                let url = ctx.require(
                    &raw.webhook_url,
                    &key("webhook_url"),
                    "\"${SLACK_WEBHOOK_URL}\"",
                );
                let signing_secret = ctx
                    .get(&raw.signing_secret, &key("signing_secret"))
                    .filter(|secret: &String| !secret.is_empty())
                    .filter(|secret| {
                        super::secrets::check_strength(
                            ctx,
                            &key("signing_secret"),
                            "forge Slack button presses",
                            secret,
                        )
                    })
                    .map(Secret::new);
                url.filter(|url| ctx.url(url, &key("webhook_url")))
                    .map(|url| ChannelKind::Slack {
                        webhook_url: Secret::new(url),
                        signing_secret,
                    })
            }
            Some("slack_app") => slack_app(ctx, raw, &item, names),
            Some("email") => {
                ctx.only_keys(
                    &item,
                    allowed_keys("email"),
                    "a [[channel]] of type `email`",
                );
                let audience = ctx.choice(
                    &raw.audience,
                    &key("audience"),
                    &[
                        ("subscribers", Audience::Subscribers),
                        ("affected", Audience::Affected),
                    ],
                );
                let template = ctx.get(&raw.template, &key("template"));
                if let Some(template) = &template {
                    ctx.reference(
                        template,
                        &key("template"),
                        "template",
                        "[[template]]",
                        &names.templates,
                    );
                }
                if !names.has_smtp {
                    ctx.error(
                        &key("type"),
                        format!("email channel `{label}` needs an [smtp] section to send through"),
                        Some("add [smtp] with `host` and `from`".to_owned()),
                    );
                }
                Some(ChannelKind::Email { audience, template })
            }
            Some("sms") => {
                ctx.only_keys(&item, allowed_keys("sms"), "a [[channel]] of type `sms`");
                super::sms::channel(ctx, raw, &item).map(ChannelKind::Sms)
            }
            Some("http") => {
                ctx.only_keys(&item, allowed_keys("http"), "a [[channel]] of type `http`");
                super::sms::http(ctx, raw, &item).map(ChannelKind::Http)
            }
            Some(_) => {
                ctx.only_keys(
                    &item,
                    allowed_keys("webhook"),
                    "a [[channel]] of type `webhook`",
                );
                let url = ctx.require(&raw.url, &key("url"), "\"https://...\"");
                let url = url.filter(|url| ctx.url(url, &key("url")));
                let secret = super::secrets::outbound_signing_secret(
                    ctx,
                    &raw.secret,
                    &key("secret"),
                    "forge messages that the receiver takes for tocsin's",
                );
                url.map(|url| ChannelKind::Webhook { url, secret })
            }
            None => None,
        };
        if let (Some(id), Some(kind)) = (id, kind) {
            out.push(Channel { id, kind });
        }
    }
    out
}

/// The Slack Web API when `api_url` is not given.
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// `type = "slack_app"`: a bot token, a signing secret and the channel id are required.
fn slack_app(ctx: &mut Ctx, raw: &RawChannel, item: &str, names: &Names) -> Option<ChannelKind> {
    let key = |name: &str| join_key(item, name);
    ctx.only_keys(
        item,
        allowed_keys("slack_app"),
        "a [[channel]] of type `slack_app`",
    );
    let bot_token = ctx
        .require(&raw.bot_token, &key("bot_token"), "\"${SLACK_BOT_TOKEN}\"")
        .filter(|token| {
            if token.trim().is_empty() {
                ctx.error(
                    &key("bot_token"),
                    "`bot_token` is empty",
                    Some("give the app's bot token (xoxb-…), from the environment".to_owned()),
                );
                return false;
            }
            true
        })
        .map(Secret::new);
    let signing_secret = ctx
        .require(
            &raw.signing_secret,
            &key("signing_secret"),
            "\"${SLACK_SIGNING_SECRET}\"",
        )
        .filter(|secret| {
            super::secrets::check_strength(
                ctx,
                &key("signing_secret"),
                "forge Slack button presses and /tocsin commands",
                secret,
            )
        })
        .map(Secret::new);
    let channel = ctx
        .require(&raw.channel, &key("channel"), "\"C0123456789\"")
        .filter(|channel| {
            let valid = !channel.is_empty() && channel.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                ctx.error(
                    &key("channel"),
                    format!("`channel` `{channel}` is not a Slack channel id"),
                    Some(
                        "use the channel's id (letters and digits, like \"C0123456789\"), \
                         shown at the bottom of the channel's details in Slack"
                            .to_owned(),
                    ),
                );
            }
            valid
        });
    let api_url = match ctx.get(&raw.api_url, &key("api_url")) {
        Some(url) => ctx
            .url(&url, &key("api_url"))
            .then(|| url.trim_end_matches('/').to_owned()),
        None => Some(SLACK_API_URL.to_owned()),
    };
    let listed = ctx
        .get(&raw.incident_channels, &key("incident_channels"))
        .unwrap_or_default();
    let mut incident_channels = Vec::new();
    for (at, severity) in listed.iter().enumerate() {
        let path = crate::spans::join_index(&key("incident_channels"), at);
        if ctx.reference(
            severity,
            &path,
            "severity",
            "[[severity]]",
            &names.severities,
        ) {
            incident_channels.push(severity.clone());
        }
    }
    Some(ChannelKind::SlackApp(SlackApp {
        bot_token: bot_token?,
        signing_secret: signing_secret?,
        channel: channel?,
        api_url: api_url?,
        incident_channels,
    }))
}

pub(super) fn templates(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawTemplate>>,
    names: &Names,
) -> Vec<Template> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "template") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        let locale = match ctx.get(&raw.locale, &key("locale")) {
            Some(locale) => {
                if !names.locales.contains(&locale) {
                    ctx.error(
                        &key("locale"),
                        format!("template locale `{locale}` is not one of [org] locales"),
                        Some(format!(
                            "use one of {}, or add `{locale}` to `locales` in [org]",
                            names.locales.join(", ")
                        )),
                    );
                }
                locale
            }
            None => names
                .locales
                .first()
                .cloned()
                .unwrap_or_else(|| "en".to_owned()),
        };
        if let Some(id) = &id {
            let both = format!("{id}` for locale `{locale}");
            ctx.unique(&mut seen, &both, &key("id"), "[[template]]");
        }
        let subject = ctx.require(
            &raw.subject,
            &key("subject"),
            "\"{{ org.name }}: {{ incident.public_title }}\"",
        );
        let body = ctx.require(&raw.body, &key("body"), "\"\"\"...\"\"\"");
        for (field, text) in [("subject", &subject), ("body", &body)] {
            if let Some(text) = text {
                super::template_vars::check(
                    ctx,
                    &key(field),
                    text,
                    &super::template_vars::CUSTOMER,
                );
            }
        }
        if let (Some(id), Some(subject), Some(body)) = (id, subject, body) {
            out.push(Template {
                id,
                locale,
                subject,
                body,
            });
        }
    }
    out
}
