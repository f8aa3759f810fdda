//! `[server]`, `[org]`, `[[severity]]` and `[engine]`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tocsin_core::Secret;

use super::Names;
use super::ctx::Ctx;
use crate::field::Field;
use crate::raw::{RawEngine, RawOrg, RawServer, RawSeverity};
use crate::spans::{join_index, join_key};
use crate::types::{Comms, ComponentImpact, Engine, Org, Server, Severity, Synchronous};

pub(super) fn server(ctx: &mut Ctx, raw: &Field<RawServer>) -> Server {
    let empty = RawServer::default();
    let raw = ctx.section(raw, "server").unwrap_or(&empty);
    let listen = ctx
        .get(&raw.listen, "server.listen")
        .filter(|listen| {
            let ok = listen.parse::<SocketAddr>().is_ok();
            if !ok {
                ctx.error(
                    "server.listen",
                    format!("`listen` `{listen}` is not an IP address and port"),
                    Some("write it like \"127.0.0.1:8080\" or \"[::]:8080\"".to_owned()),
                );
            }
            ok
        })
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let public_url = match ctx.get(&raw.public_url, "server.public_url") {
        Some(url) => {
            ctx.url(&url, "server.public_url");
            url.trim_end_matches('/').to_owned()
        }
        None => format!("http://{listen}"),
    };
    let database = match ctx.get(&raw.database, "server.database") {
        Some(database) => {
            let known = ["sqlite:", "postgres://", "postgresql://"];
            if !known.iter().any(|prefix| database.starts_with(prefix)) {
                ctx.error(
                    "server.database",
                    format!("`database` `{database}` is neither a sqlite: nor a postgres:// URL"),
                    Some(
                        "write \"sqlite://data/tocsin.db\" or \"postgres://user@host/db\""
                            .to_owned(),
                    ),
                );
            }
            database
        }
        None => "sqlite://data/tocsin.db".to_owned(),
    };
    let admin_token = ctx
        .get(&raw.admin_token, "server.admin_token")
        .filter(|token| !token.is_empty())
        .filter(|token| {
            super::secrets::check_strength(
                ctx,
                "server.admin_token",
                "act as an admin through the API",
                token,
            )
        })
        .map(Secret::new);
    let sqlite_synchronous = ctx
        .choice(
            &raw.sqlite_synchronous,
            "server.sqlite_synchronous",
            &[("full", Synchronous::Full), ("normal", Synchronous::Normal)],
        )
        .unwrap_or_default();
    let database_pool = match ctx.get(&raw.database_pool, "server.database_pool") {
        None => DEFAULT_DATABASE_POOL,
        Some(size) if (2..=100).contains(&size) => {
            u32::try_from(size).unwrap_or(DEFAULT_DATABASE_POOL)
        }
        Some(size) => {
            ctx.error(
                "server.database_pool",
                format!("`database_pool` is {size}; it must be from 2 to 100"),
                Some(
                    "write how many connections a replica keeps, like `database_pool = 8`"
                        .to_owned(),
                ),
            );
            DEFAULT_DATABASE_POOL
        }
    };
    let replica = ctx.get(&raw.replica, "server.replica").filter(|name| {
        let fine = crate::is_replica_name(name);
        if !fine {
            ctx.error(
                "server.replica",
                format!("`replica` `{name}` is not a replica name"),
                Some(
                    "use 1 to 64 letters, digits, `-`, `_`, `.` or `:`, like \"tocsin-a\""
                        .to_owned(),
                ),
            );
        }
        fine
    });
    let lease = match ctx.duration(&raw.lease, "server.lease", true) {
        None => DEFAULT_LEASE,
        Some(lease) if (MIN_LEASE..=MAX_LEASE).contains(&lease) => lease,
        Some(lease) => {
            ctx.error(
                "server.lease",
                format!(
                    "`lease` is {}; it must be from 1s to 5m",
                    tocsin_core::duration::format_duration(lease)
                ),
                Some(
                    "write how long claimed work stays claimed, like `lease = \"15s\"`".to_owned(),
                ),
            );
            DEFAULT_LEASE
        }
    };
    let limits = super::http_limits::http_limits(ctx, raw);
    Server {
        listen,
        public_url,
        database,
        admin_token,
        sqlite_synchronous,
        database_pool,
        replica,
        lease,
        trusted_proxies: limits.trusted_proxies,
        max_connections: limits.max_connections,
        header_timeout: limits.header_timeout,
        request_timeout: limits.request_timeout,
        sign_in_checks: limits.sign_in_checks,
    }
}

/// How long claimed work stays claimed when the configuration does not say.
const DEFAULT_LEASE: Duration = Duration::from_secs(15);
const MIN_LEASE: Duration = Duration::from_secs(1);
const MAX_LEASE: Duration = Duration::from_secs(300);

/// Connections a PostgreSQL replica keeps when the configuration does not say.
const DEFAULT_DATABASE_POOL: u32 = 8;

pub(super) fn org(ctx: &mut Ctx, raw: &Field<RawOrg>) -> Org {
    let empty = RawOrg::default();
    let section = ctx.section(raw, "org").unwrap_or(&empty);
    let name = if raw.is_present() {
        ctx.require(&section.name, "org.name", "\"Example Inc.\"")
    } else {
        None
    };
    let timezone = match ctx.get(&section.timezone, "org.timezone") {
        Some(zone) => {
            time_zone(ctx, &zone, "org.timezone");
            zone
        }
        None => "UTC".to_owned(),
    };
    let locales = match ctx.get(&section.locales, "org.locales") {
        Some(locales) if locales.is_empty() => {
            ctx.error(
                "org.locales",
                "`locales` is empty",
                Some("list at least one language, like `locales = [\"en\"]`".to_owned()),
            );
            vec!["en".to_owned()]
        }
        Some(locales) => {
            for (at, locale) in locales.iter().enumerate() {
                if !valid_locale(locale) {
                    ctx.error(
                        &join_index("org.locales", at),
                        format!("`{locale}` is not a language tag"),
                        Some("write a language code like \"en\", \"ar\" or \"pt-BR\"".to_owned()),
                    );
                }
            }
            locales
        }
        None => vec!["en".to_owned()],
    };
    Org {
        name: name.unwrap_or_default(),
        timezone,
        locales,
    }
}

/// Checks an IANA time zone name.
pub(super) fn time_zone(ctx: &mut Ctx, zone: &str, path: &str) -> bool {
    if jiff::tz::TimeZone::get(zone).is_ok() {
        return true;
    }
    ctx.error(
        path,
        format!("`{zone}` is not a known time zone"),
        Some(
            "use an IANA time zone name, like \"Asia/Riyadh\", \"Europe/Paris\" or \"UTC\""
                .to_owned(),
        ),
    );
    false
}

fn valid_locale(locale: &str) -> bool {
    let mut parts = locale.split(['-', '_']);
    let language = parts.next().unwrap_or("");
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

pub(super) fn severities(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawSeverity>>,
    names: &Names,
) -> Vec<Severity> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "severity") {
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &join_key(&item, "id"), "[[severity]]");
        }
        let definition = ctx
            .get(&raw.definition, &join_key(&item, "definition"))
            .unwrap_or_default();
        let respond_within = ctx.require_duration(
            &raw.respond_within,
            &join_key(&item, "respond_within"),
            "15m",
        );
        let notify_path = join_key(&item, "notify");
        let notify = ctx.get(&raw.notify, &notify_path).unwrap_or_default();
        for (at, channel) in notify.iter().enumerate() {
            ctx.reference(
                channel,
                &join_index(&notify_path, at),
                "channel",
                "[[channel]]",
                &names.channels,
            );
        }
        let comms = ctx
            .choice(
                &raw.comms,
                &join_key(&item, "comms"),
                &[("auto", Comms::Auto), ("draft", Comms::Draft)],
            )
            .unwrap_or_default();
        let status_page = ctx
            .choice(
                &raw.status_page,
                &join_key(&item, "status_page"),
                &[
                    ("none", ComponentImpact::None),
                    ("degraded_performance", ComponentImpact::DegradedPerformance),
                    ("partial_outage", ComponentImpact::PartialOutage),
                    ("major_outage", ComponentImpact::MajorOutage),
                    ("under_maintenance", ComponentImpact::UnderMaintenance),
                ],
            )
            .unwrap_or_default();
        let update_every = ctx.duration(&raw.update_every, &join_key(&item, "update_every"), true);
        let postmortem_within = ctx.duration(
            &raw.postmortem_within,
            &join_key(&item, "postmortem_within"),
            true,
        );
        let runbook = ctx.get(&raw.runbook, &join_key(&item, "runbook"));
        if let Some(runbook) = &runbook {
            ctx.reference(
                runbook,
                &join_key(&item, "runbook"),
                "runbook",
                "runbook",
                &names.runbooks,
            );
        }
        let page = ctx.get(&raw.page, &join_key(&item, "page"));
        if let (Some(id), Some(respond_within)) = (id, respond_within) {
            out.push(Severity {
                id,
                definition,
                respond_within,
                notify,
                comms,
                status_page,
                update_every,
                postmortem_within,
                runbook,
                page,
            });
        }
    }
    out
}

pub(super) fn engine(ctx: &mut Ctx, raw: &Field<RawEngine>) -> Engine {
    let defaults = Engine::default();
    let Some(raw) = ctx.section(raw, "engine") else {
        return defaults;
    };
    Engine {
        reopen_window: ctx
            .duration(&raw.reopen_window, "engine.reopen_window", true)
            .unwrap_or(defaults.reopen_window),
        grouping_window: ctx
            .duration(&raw.grouping_window, "engine.grouping_window", true)
            .unwrap_or(defaults.grouping_window),
        integration_rate_limit: match ctx
            .get(&raw.integration_rate_limit, "engine.integration_rate_limit")
        {
            Some(limit) => match u32::try_from(limit) {
                Ok(limit) if (1..=1_000_000).contains(&limit) => limit,
                _ => {
                    ctx.error(
                        "engine.integration_rate_limit",
                        format!("`integration_rate_limit` is {limit}; it must be from 1 to 1000000"),
                        Some("write requests per second per integration, like `integration_rate_limit = 2000`".to_owned()),
                    );
                    defaults.integration_rate_limit
                }
            },
            None => defaults.integration_rate_limit,
        },
        probe_concurrency_per_host: match ctx.get(
            &raw.probe_concurrency_per_host,
            "engine.probe_concurrency_per_host",
        ) {
            Some(limit) => match u32::try_from(limit) {
                Ok(limit) if (1..=1000).contains(&limit) => limit,
                _ => {
                    ctx.error(
                        "engine.probe_concurrency_per_host",
                        format!("`probe_concurrency_per_host` is {limit}; it must be from 1 to 1000"),
                        Some("write how many checks may run at once against one host, like `probe_concurrency_per_host = 8`".to_owned()),
                    );
                    defaults.probe_concurrency_per_host
                }
            },
            None => defaults.probe_concurrency_per_host,
        },
        keep_raw_checks: match ctx.duration(&raw.keep_raw_checks, "engine.keep_raw_checks", true) {
            Some(keep)
                if keep < Duration::from_secs(3600)
                    || keep > Duration::from_secs(400 * 24 * 3600) =>
            {
                ctx.error(
                    "engine.keep_raw_checks",
                    "`keep_raw_checks` must be from 1h to 400d",
                    Some(
                        "keep raw check results for days, like `keep_raw_checks = \"7d\"`"
                            .to_owned(),
                    ),
                );
                defaults.keep_raw_checks
            }
            Some(keep) => keep,
            None => defaults.keep_raw_checks,
        },
    }
}
