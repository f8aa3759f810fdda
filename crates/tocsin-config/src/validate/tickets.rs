//! `[tickets]`: the tracker's type and its keys, and the severities that open tickets.

use tocsin_core::Secret;

use crate::field::Field;
use crate::raw::RawTickets;
use crate::spans::join_index;
use crate::tickets::{Tickets, Tracker};

use super::Names;
use super::ctx::Ctx;

/// The keys each `type` accepts (besides `type` and `severities`).
pub(crate) fn allowed_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "github" => &["type", "repo", "token", "api_url", "severities"],
        _ => &["type", "url", "secret", "severities"],
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Github,
    Webhook,
}

pub(super) fn tickets(ctx: &mut Ctx, raw: &Field<RawTickets>, names: &Names) -> Option<Tickets> {
    let raw = ctx.section(raw, "tickets")?;
    let severities = ctx
        .get(&raw.severities, "tickets.severities")
        .unwrap_or_default();
    for (n, severity) in severities.iter().enumerate() {
        ctx.reference(
            severity,
            &join_index("tickets.severities", n),
            "severity",
            "[[severity]]",
            &names.severities,
        );
    }
    if !raw.kind.is_present() {
        ctx.missing("tickets.type", "\"github\"");
        return None;
    }
    let kind = ctx.choice(
        &raw.kind,
        "tickets.type",
        &[("github", Kind::Github), ("webhook", Kind::Webhook)],
    )?;
    let tracker = match kind {
        Kind::Github => {
            ctx.only_keys(
                "tickets",
                allowed_keys("github"),
                "[tickets] of type `github`",
            );
            let repo = ctx
                .require(&raw.repo, "tickets.repo", "\"owner/name\"")
                .filter(|repo| {
                    let valid = repo.split_once('/').is_some_and(|(owner, name)| {
                        !owner.is_empty()
                            && !name.is_empty()
                            && !name.contains('/')
                            && repo
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                    });
                    if !valid {
                        ctx.error(
                            "tickets.repo",
                            format!("`repo` is `{repo}`; it must be a GitHub `owner/name`"),
                            Some("write it like `repo = \"dealix/ops\"`".to_owned()),
                        );
                    }
                    valid
                });
            let token = ctx
                .require(&raw.token, "tickets.token", "\"${GITHUB_TOKEN}\"")
                .filter(|token| {
                    if token.trim().is_empty() {
                        ctx.error(
                            "tickets.token",
                            "`token` is empty",
                            Some("give a token that may write the repository's issues, like `token = \"${GITHUB_TOKEN}\"`".to_owned()),
                        );
                        return false;
                    }
                    true
                });
            let api_url = match ctx.get(&raw.api_url, "tickets.api_url") {
                Some(url) => ctx
                    .url(&url, "tickets.api_url")
                    .then(|| url.trim_end_matches('/').to_owned()),
                None if raw.api_url.is_present() => None,
                None => Some(Tickets::GITHUB_API.to_owned()),
            };
            Tracker::Github {
                repo: repo?,
                token: Secret::new(token?),
                api_url: api_url?,
            }
        }
        Kind::Webhook => {
            ctx.only_keys(
                "tickets",
                allowed_keys("webhook"),
                "[tickets] of type `webhook`",
            );
            let url = ctx
                .require(&raw.url, "tickets.url", "\"https://...\"")
                .filter(|url| ctx.url(url, "tickets.url"));
            let secret = super::secrets::outbound_signing_secret(
                ctx,
                &raw.secret,
                "tickets.secret",
                "forge tickets that the receiver takes for tocsin's",
            );
            Tracker::Webhook { url: url?, secret }
        }
    };
    Some(Tickets {
        tracker,
        severities,
    })
}
