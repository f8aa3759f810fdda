//! `[[monitor]]`.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tocsin_core::Secret;
use tocsin_core::check::{JsonExpect, StatusRange};

use super::Names;
use super::ctx::Ctx;
use crate::field::Field;
use crate::monitor::{HttpMonitor, Monitor, MonitorKind};
use crate::raw::{RawExpect, RawMonitor};
use crate::spans::{join_index, join_key};

/// Keys every monitor may have (heartbeats take `every` instead of `interval` and `timeout`).
const COMMON: [&str; 11] = [
    "id",
    "name",
    "type",
    "interval",
    "timeout",
    "confirm",
    "retry_interval",
    "severity",
    "category",
    "component",
    "runbook",
];

pub(crate) const TYPES: [(&str, &str); 7] = [
    ("http", "http"),
    ("tcp", "tcp"),
    ("dns", "dns"),
    ("tls", "tls"),
    ("postgres", "postgres"),
    ("statuspage", "statuspage"),
    ("heartbeat", "heartbeat"),
];

/// The keys of each monitor type besides [`COMMON`]; `expect`'s keys are listed as `expect.x`.
pub(crate) fn type_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "http" => &[
            "url",
            "method",
            "headers",
            "expect",
            "expect.status",
            "expect.body_contains",
            "body",
            "expect.body_regex",
            "expect.json",
            "max_latency",
            "max_redirects",
            "tls_verify",
            "follow_other_hosts",
        ],
        "tcp" => &["host"],
        "dns" => &["query", "record", "expect", "expect.values", "resolver"],
        "tls" => &["host", "expires_within"],
        "postgres" => &["dsn"],
        "statuspage" => &["url"],
        "heartbeat" => &["key", "every", "grace", "max_runtime"],
        _ => &[],
    }
}

/// Every key a monitor of type `kind` accepts, in order: the common ones (heartbeats take `every`
/// instead of `interval` and `timeout`), then its type's; `expect`'s keys are listed as `expect.x`.
pub(crate) fn allowed_keys(kind: &str) -> Vec<&'static str> {
    let heartbeat = kind == "heartbeat";
    COMMON
        .iter()
        .copied()
        .filter(|key| !(heartbeat && matches!(*key, "interval" | "timeout" | "retry_interval")))
        .chain(type_keys(kind).iter().copied())
        .collect()
}

const RECORDS: [&str; 10] = [
    "A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA", "PTR", "SOA",
];
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

pub(super) fn monitors(ctx: &mut Ctx, raw: &Field<Vec<RawMonitor>>, names: &Names) -> Vec<Monitor> {
    let mut seen = HashMap::new();
    let mut heartbeat_keys: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "monitor") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[monitor]]");
        }
        let name = ctx.get(&raw.name, &key("name"));
        if !raw.kind.is_present() {
            ctx.missing(&key("type"), "\"http\"");
        }
        let kind_name = ctx.choice(&raw.kind, &key("type"), &TYPES);
        let heartbeat = kind_name == Some("heartbeat");

        if let Some(kind_name) = kind_name {
            let keys = allowed_keys(kind_name);
            let allowed: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|key| !key.contains('.'))
                .collect();
            let what = format!("a [[monitor]] of type `{kind_name}`");
            ctx.only_keys(&item, &allowed, &what);
            let expect_keys: Vec<&str> = keys
                .iter()
                .filter_map(|key| key.strip_prefix("expect."))
                .collect();
            if raw.expect.ok().is_some() && allowed.contains(&"expect") {
                ctx.only_keys(
                    &key("expect"),
                    &expect_keys,
                    &format!("the `expect` of {what}"),
                );
            }
            if expect_keys.contains(&"json")
                && raw
                    .expect
                    .ok()
                    .is_some_and(|expect| expect.json.ok().is_some())
            {
                ctx.only_keys(
                    &join_key(&key("expect"), "json"),
                    &["path", "equals"],
                    &format!("`expect.json` of {what}"),
                );
            }
        }

        let interval = if heartbeat {
            None
        } else {
            if kind_name.is_some() && !raw.interval.is_present() {
                ctx.missing(&key("interval"), "\"1m\"");
            }
            let interval = ctx.duration(&raw.interval, &key("interval"), true);
            interval.filter(|interval| {
                let ok = *interval >= Duration::from_secs(1);
                if !ok {
                    ctx.error(
                        &key("interval"),
                        "`interval` is shorter than 1s",
                        Some("check at most once a second, like `interval = \"30s\"`".to_owned()),
                    );
                }
                ok
            })
        };
        let timeout = if heartbeat {
            Some(Duration::from_secs(10))
        } else {
            let default = interval.map_or(Duration::from_secs(10), |interval| {
                interval.min(Duration::from_secs(10))
            });
            let timeout = ctx
                .duration(&raw.timeout, &key("timeout"), true)
                .unwrap_or(default);
            if let Some(interval) = interval
                && timeout > interval
                && raw.timeout.is_present()
            {
                ctx.error(
                    &key("timeout"),
                    "`timeout` is longer than `interval`",
                    Some(
                        "make `timeout` at most the `interval`, so checks do not overlap"
                            .to_owned(),
                    ),
                );
            }
            Some(timeout)
        };
        let confirm = match ctx.get(&raw.confirm, &key("confirm")) {
            Some(confirm) => match u32::try_from(confirm) {
                Ok(confirm) if (1..=1000).contains(&confirm) => Some(confirm),
                _ => {
                    ctx.error(
                        &key("confirm"),
                        format!("`confirm` is {confirm}; it must be from 1 to 1000"),
                        Some("write how many failed checks in a row count as down, like `confirm = 2`".to_owned()),
                    );
                    None
                }
            },
            None => Some(1),
        };
        let retry_interval = if heartbeat {
            None
        } else {
            ctx.duration(&raw.retry_interval, &key("retry_interval"), true)
                .filter(|retry| {
                    let too_short = *retry < Duration::from_secs(1);
                    let too_long = interval.is_some_and(|interval| *retry > interval);
                    if too_short || too_long {
                        ctx.error(
                            &key("retry_interval"),
                            if too_short {
                                "`retry_interval` is shorter than 1s"
                            } else {
                                "`retry_interval` is longer than `interval`"
                            },
                            Some(
                                "confirm a failure sooner than the next regular check, like `retry_interval = \"10s\"`"
                                    .to_owned(),
                            ),
                        );
                    }
                    !(too_short || too_long)
                })
        };
        let severity = ctx.require(&raw.severity, &key("severity"), "\"SEV-1\"");
        if let Some(severity) = &severity {
            ctx.reference(
                severity,
                &key("severity"),
                "severity",
                "[[severity]]",
                &names.severities,
            );
        }
        let category = ctx.get(&raw.category, &key("category"));
        let component = ctx.get(&raw.component, &key("component"));
        if let Some(component) = &component {
            ctx.reference(
                component,
                &key("component"),
                "status-page component",
                "[status_page] component",
                &names.components,
            );
        }
        let runbook = ctx.get(&raw.runbook, &key("runbook"));
        if let Some(runbook) = &runbook {
            ctx.reference(
                runbook,
                &key("runbook"),
                "runbook",
                "runbook",
                &names.runbooks,
            );
        }

        let kind = match kind_name {
            Some(kind_name) => kind(ctx, kind_name, raw, &item, &mut heartbeat_keys),
            None => None,
        };
        let interval = match &kind {
            Some(MonitorKind::Heartbeat { every, .. }) => Some(*every),
            _ => interval,
        };
        if let (
            Some(id),
            Some(kind),
            Some(interval),
            Some(timeout),
            Some(confirm),
            Some(severity),
        ) = (id, kind, interval, timeout, confirm, severity)
        {
            out.push(Monitor {
                name: name.unwrap_or_else(|| id.clone()),
                id,
                kind,
                interval,
                timeout,
                confirm,
                retry_interval: retry_interval.unwrap_or(interval),
                severity,
                category,
                component,
                runbook,
            });
        }
    }
    out
}

fn kind(
    ctx: &mut Ctx,
    kind_name: &str,
    raw: &RawMonitor,
    item: &str,
    heartbeat_keys: &mut HashMap<String, String>,
) -> Option<MonitorKind> {
    let key = |name: &str| join_key(item, name);
    let empty = RawExpect::default();
    let expect = ctx.section(&raw.expect, &key("expect")).unwrap_or(&empty);
    match kind_name {
        "http" => {
            let url = ctx.require(&raw.url, &key("url"), "\"https://...\"");
            let url = url.filter(|url| ctx.url(url, &key("url")));
            let method = match ctx.get(&raw.method, &key("method")) {
                Some(method) => {
                    let upper = method.to_ascii_uppercase();
                    if !METHODS.contains(&upper.as_str()) {
                        ctx.error(
                            &key("method"),
                            format!("`{method}` is not an HTTP method"),
                            Some(format!("use one of {}", METHODS.join(", "))),
                        );
                    }
                    upper
                }
                None => "GET".to_owned(),
            };
            let headers: BTreeMap<String, Secret> = ctx
                .get::<BTreeMap<String, String>>(&raw.headers, &key("headers"))
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| (name, Secret::new(value)))
                .collect();
            let status_path = join_key(&key("expect"), "status");
            let expect_status = match ctx.get(&expect.status, &status_path) {
                Some(written) => status_ranges(ctx, &written.0, &status_path),
                None => Some(vec![StatusRange::SUCCESS]),
            };
            let body_contains = ctx.get(
                &expect.body_contains,
                &join_key(&key("expect"), "body_contains"),
            );
            let extras = http_extras(ctx, raw, expect, item);
            Some(MonitorKind::Http(HttpMonitor {
                url: url?,
                method,
                headers,
                expect_status: expect_status?,
                body_contains,
                body: extras.body,
                body_regex: extras.body_regex?,
                json: extras.json?,
                max_latency: extras.max_latency?,
                max_redirects: extras.max_redirects?,
                tls_verify: extras.tls_verify,
                follow_other_hosts: extras.follow_other_hosts,
            }))
        }
        "tcp" => {
            let host = ctx.require(&raw.host, &key("host"), "\"db.example.com:5432\"")?;
            host_port(ctx, &host, &key("host"), true).then_some(MonitorKind::Tcp { host })
        }
        "tls" => {
            let host = ctx.require(&raw.host, &key("host"), "\"example.com:443\"");
            let host = host.filter(|host| host_port(ctx, host, &key("host"), false));
            let expires_within = ctx
                .duration(&raw.expires_within, &key("expires_within"), true)
                .unwrap_or(Duration::from_secs(14 * 86_400));
            Some(MonitorKind::Tls {
                host: host?,
                expires_within,
            })
        }
        "dns" => {
            let query = ctx.require(&raw.query, &key("query"), "\"api.example.com\"");
            let record = match ctx.get(&raw.record, &key("record")) {
                Some(record) => {
                    let upper = record.to_ascii_uppercase();
                    if !RECORDS.contains(&upper.as_str()) {
                        ctx.error(
                            &key("record"),
                            format!("`{record}` is not a DNS record type"),
                            Some(format!("use one of {}", RECORDS.join(", "))),
                        );
                        None
                    } else {
                        Some(upper)
                    }
                }
                None => Some("A".to_owned()),
            };
            let expect_values = ctx
                .get(&expect.values, &join_key(&key("expect"), "values"))
                .unwrap_or_default();
            let resolver = ctx.get(&raw.resolver, &key("resolver"));
            if let Some(resolver) = &resolver
                && resolver.parse::<SocketAddr>().is_err()
                && resolver.parse::<IpAddr>().is_err()
            {
                ctx.error(
                    &key("resolver"),
                    format!("`resolver` `{resolver}` is not an IP address"),
                    Some(
                        "write an IP address, with an optional port: \"1.1.1.1\" or \"1.1.1.1:53\""
                            .to_owned(),
                    ),
                );
            }
            Some(MonitorKind::Dns {
                query: query?,
                record: record?,
                expect_values,
                resolver,
            })
        }
        "postgres" => {
            let dsn = ctx.require(&raw.dsn, &key("dsn"), "\"${DATABASE_URL}\"")?;
            if !(dsn.starts_with("postgres://") || dsn.starts_with("postgresql://")) {
                ctx.error(
                    &key("dsn"),
                    "`dsn` is not a postgres:// connection string",
                    Some("write it like \"postgres://user:password@host:5432/db\"".to_owned()),
                );
                return None;
            }
            Some(MonitorKind::Postgres {
                dsn: Secret::new(dsn),
            })
        }
        "statuspage" => {
            let url = ctx.require(
                &raw.url,
                &key("url"),
                "\"https://status.vendor.com/api/v2/status.json\"",
            )?;
            ctx.url(&url, &key("url"))
                .then_some(MonitorKind::Statuspage { url })
        }
        _ => {
            let heartbeat_key = ctx.require(&raw.key, &key("key"), "\"${BACKUP_PING_KEY}\"");
            if let Some(value) = &heartbeat_key {
                let ok = !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
                if !ok {
                    ctx.error(
                        &key("key"),
                        "heartbeat `key` must be letters, digits, `-`, `_`, `.` or `~` (it is part of a URL)",
                        Some("use a random value, like a UUID".to_owned()),
                    );
                } else if let Some(first) = heartbeat_keys.get(value) {
                    let line = ctx.line_of(first);
                    ctx.error(
                        &key("key"),
                        "this heartbeat `key` is already used by another monitor",
                        Some(format!(
                            "the first is at line {line}; give each heartbeat its own key"
                        )),
                    );
                } else {
                    heartbeat_keys.insert(value.clone(), key("key"));
                    super::secrets::check_strength(
                        ctx,
                        &key("key"),
                        "ping this heartbeat, hiding a job that stopped",
                        value,
                    );
                }
            }
            let every = ctx.require_duration(&raw.every, &key("every"), "1d");
            let grace = ctx
                .duration(&raw.grace, &key("grace"), false)
                .unwrap_or(Duration::ZERO);
            let max_runtime = ctx.duration(&raw.max_runtime, &key("max_runtime"), true);
            Some(MonitorKind::Heartbeat {
                key: Secret::new(heartbeat_key?),
                every: every?,
                grace,
                max_runtime,
            })
        }
    }
}

/// The HTTP options beyond status and `body_contains`; `None` in a field means it was invalid
/// (and reported).
struct HttpExtras {
    body: Option<String>,
    body_regex: Option<Option<String>>,
    json: Option<Option<JsonExpect>>,
    max_latency: Option<Option<Duration>>,
    max_redirects: Option<usize>,
    tls_verify: bool,
    follow_other_hosts: bool,
}

/// Most redirects a monitor may follow: more is a loop, not a deployment.
const MAX_REDIRECTS: i64 = 20;

fn http_extras(ctx: &mut Ctx, raw: &RawMonitor, expect: &RawExpect, item: &str) -> HttpExtras {
    let key = |name: &str| join_key(item, name);
    let expect_key = |name: &str| join_key(&key("expect"), name);
    let body = ctx.get(&raw.body, &key("body"));

    let regex_path = expect_key("body_regex");
    let body_regex = match ctx.get(&expect.body_regex, &regex_path) {
        Some(pattern) => match regex::Regex::new(&pattern) {
            Ok(_) => Some(Some(pattern)),
            Err(error) => {
                // The regex crate's message is several lines with a caret; its last line says what.
                let text = error.to_string();
                let what = text
                    .lines()
                    .rev()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or(&text)
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned();
                ctx.error(
                    &regex_path,
                    format!("`body_regex` is not a valid regular expression: {what}"),
                    Some(
                        "use Rust regex syntax (https://docs.rs/regex), like \"build \\\\d+\"; escape a literal ( or . with \\\\"
                            .to_owned(),
                    ),
                );
                None
            }
        },
        None => Some(None),
    };

    let json_path = expect_key("json");
    let json = match ctx.section(&expect.json, &json_path) {
        None => Some(None),
        Some(json) => {
            let path = ctx.require(&json.path, &join_key(&json_path, "path"), "\"$.status\"");
            let equals = ctx.require(&json.equals, &join_key(&json_path, "equals"), "\"ok\"");
            let path = path.filter(|path| {
                let ok = json_path_ok(path);
                if !ok {
                    ctx.error(
                        &join_key(&json_path, "path"),
                        format!("`{path}` is not a dotted JSON path"),
                        Some("write keys and array indexes joined by dots, like \"$.status\" or \"data.items.0.state\"".to_owned()),
                    );
                }
                ok
            });
            match (path, equals) {
                (Some(path), Some(equals)) => Some(Some(JsonExpect { path, equals })),
                _ => None,
            }
        }
    };

    let max_latency = match ctx.duration(&raw.max_latency, &key("max_latency"), true) {
        None if raw.max_latency.is_present() => None,
        None => Some(None),
        Some(max_latency) => {
            // The timeout as validated elsewhere (its own errors are reported there).
            let parse = |field: &crate::field::Field<String>| {
                field
                    .ok()
                    .and_then(|text| tocsin_core::parse_duration(text).ok())
            };
            let ten = Duration::from_secs(10);
            let timeout = parse(&raw.timeout)
                .unwrap_or_else(|| parse(&raw.interval).map_or(ten, |interval| interval.min(ten)));
            if max_latency >= timeout {
                ctx.error(
                    &key("max_latency"),
                    "`max_latency` is not shorter than `timeout`",
                    Some("a check slower than `timeout` fails; make `max_latency` shorter, like \"2s\"".to_owned()),
                );
                None
            } else {
                Some(Some(max_latency))
            }
        }
    };

    let max_redirects = match ctx.get(&raw.max_redirects, &key("max_redirects")) {
        None if raw.max_redirects.is_present() => None,
        None => Some(tocsin_core::check::DEFAULT_MAX_REDIRECTS),
        Some(count) if (0..=MAX_REDIRECTS).contains(&count) => usize::try_from(count).ok(),
        Some(count) => {
            ctx.error(
                &key("max_redirects"),
                format!("`max_redirects` is {count}; it must be from 0 to {MAX_REDIRECTS}"),
                Some("write how many redirects to follow, like `max_redirects = 5`".to_owned()),
            );
            None
        }
    };
    let tls_verify = ctx.get(&raw.tls_verify, &key("tls_verify")).unwrap_or(true);
    let follow_other_hosts = ctx
        .get(&raw.follow_other_hosts, &key("follow_other_hosts"))
        .unwrap_or(false);
    HttpExtras {
        follow_other_hosts,
        body,
        body_regex,
        json,
        max_latency,
        max_redirects,
        tls_verify,
    }
}

/// `$`, `$.a.b`, `a.0.b`: non-empty steps joined by dots, no brackets.
fn json_path_ok(path: &str) -> bool {
    let path = path.trim();
    let rest = path.strip_prefix('$').unwrap_or(path);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    if rest.is_empty() {
        return path.starts_with('$');
    }
    rest.split('.')
        .all(|step| !step.is_empty() && !step.contains(['[', ']', ' ']))
}

/// Parses `"200-299"`, `"200-299, 301"` or several such strings.
fn status_ranges(ctx: &mut Ctx, written: &[String], path: &str) -> Option<Vec<StatusRange>> {
    let mut ranges = Vec::new();
    let mut ok = true;
    for (at, text) in written.iter().enumerate() {
        let item_path = if written.len() > 1 || ctx.index.get(&join_index(path, 0)).is_some() {
            join_index(path, at)
        } else {
            path.to_owned()
        };
        for part in text.split(',') {
            match StatusRange::parse(part) {
                Some(range) => ranges.push(range),
                None => {
                    ok = false;
                    ctx.error_in_string(
                        &item_path,
                        part.trim(),
                        format!("`{}` is not an HTTP status or range", part.trim()),
                        Some("write a status from 100 to 599 or a range low-high, like \"200-299\" or \"200-299,301\"".to_owned()),
                    );
                }
            }
        }
    }
    if written.is_empty() {
        ok = false;
        ctx.error(
            path,
            "`status` is empty",
            Some("write the allowed statuses, like \"200-299\"".to_owned()),
        );
    }
    ok.then_some(ranges)
}

/// Checks `host:port` (or `host` alone when the port is optional).
fn host_port(ctx: &mut Ctx, text: &str, path: &str, port_required: bool) -> bool {
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') || host.starts_with('[') => (host, Some(port)),
        _ => (text, None),
    };
    let port_ok = match port {
        Some(port) => port.parse::<u16>().is_ok_and(|port| port > 0),
        None => !port_required,
    };
    let host_ok = !host.is_empty() && !host.contains(char::is_whitespace) && !host.contains('/');
    if !(port_ok && host_ok) {
        let example = if port_required {
            "\"db.example.com:5432\""
        } else {
            "\"example.com\" or \"example.com:443\""
        };
        ctx.error(
            path,
            format!("`{text}` is not a host and port"),
            Some(format!("write it like {example}, without a scheme or path")),
        );
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RawMonitor;
    use crate::schema::fields_of;

    #[test]
    fn every_type_key_is_a_monitor_or_expect_key() {
        // Drift guard: the per-type lists only name keys that the raw structs accept.
        let monitor = fields_of::<RawMonitor>();
        let expect = fields_of::<RawExpect>();
        for (kind, _) in TYPES {
            for key in type_keys(kind) {
                match key.strip_prefix("expect.") {
                    Some(sub) => assert!(expect.contains(&sub), "{kind}: expect.{sub}"),
                    None => assert!(monitor.contains(key), "{kind}: {key}"),
                }
            }
        }
        for key in COMMON {
            assert!(monitor.contains(&key), "{key}");
        }
        // And every raw key belongs to some type (or is common).
        for key in monitor {
            let used =
                COMMON.contains(key) || TYPES.iter().any(|(kind, _)| type_keys(kind).contains(key));
            assert!(used, "monitor key `{key}` belongs to no type");
        }
    }
}
