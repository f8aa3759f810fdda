//! Monitors become probe checks: the HTTP options beyond status and body text, their errors
//! (with file:line:column), and `Monitor::to_check` for every kind.

use std::path::Path;
use std::time::Duration;

use tocsin_config::{Config, ConfigErrors, load_str};
use tocsin_core::check::{Check, JsonExpect};

const BASE: &str = r#"[org]
name = "Acme"

[[severity]]
id = "SEV-1"
respond_within = "15m"
notify = ["team"]

[[channel]]
id = "team"
type = "slack"
webhook_url = "https://hooks.example/x"
"#;

fn load(monitors: &str) -> Result<Config, ConfigErrors> {
    load_str(
        &format!("{BASE}\n{monitors}"),
        Path::new("tests/fixtures/tocsin.toml"),
        &|_| None,
    )
}

fn errors(monitors: &str) -> String {
    match load(monitors) {
        Ok(config) => panic!("expected errors, got {}", config.summary()),
        Err(errors) => errors.to_string(),
    }
}

#[test]
fn http_options_become_the_check() {
    let config = load(
        r#"[[monitor]]
id = "api"
type = "http"
url = "https://api.example/healthz"
method = "post"
body = '{"ping": true}'
interval = "30s"
timeout = "5s"
max_latency = "2s"
max_redirects = 0
tls_verify = false
expect = { status = "200-299", body_regex = "build \\d+", json = { path = "$.status", equals = "ok" } }
severity = "SEV-1"
"#,
    )
    .unwrap_or_else(|errors| panic!("{errors}"));
    let Some(Check::Http(check)) = config.monitors[0].to_check() else {
        panic!("an http check");
    };
    assert_eq!(check.method, "POST");
    assert_eq!(check.body.as_deref(), Some(r#"{"ping": true}"#));
    assert_eq!(check.body_regex.as_deref(), Some(r"build \d+"));
    assert_eq!(
        check.json,
        Some(JsonExpect {
            path: "$.status".into(),
            equals: "ok".into()
        })
    );
    assert_eq!(check.max_latency, Some(Duration::from_secs(2)));
    assert_eq!(check.max_redirects, 0);
    assert!(!check.tls_verify);
    assert_eq!(check.timeout, Duration::from_secs(5));
}

#[test]
fn http_defaults_follow_five_redirects_and_verify_certificates() {
    let config = load(
        r#"[[monitor]]
id = "api"
type = "http"
url = "https://api.example/healthz"
interval = "30s"
severity = "SEV-1"
"#,
    )
    .unwrap_or_else(|errors| panic!("{errors}"));
    let Some(Check::Http(check)) = config.monitors[0].to_check() else {
        panic!("an http check");
    };
    assert_eq!(check.max_redirects, 5);
    assert!(check.tls_verify);
    assert_eq!(
        (check.max_latency, check.body_regex, check.json),
        (None, None, None)
    );
}

#[test]
fn every_probed_kind_becomes_its_check_and_a_heartbeat_none() {
    let config = load(
        r#"[[monitor]]
id = "port"
type = "tcp"
host = "db.example:5432"
interval = "1m"
severity = "SEV-1"

[[monitor]]
id = "dns"
type = "dns"
query = "api.example"
expect = { values = ["203.0.113.10"] }
resolver = "127.0.0.1:5353"
interval = "5m"
severity = "SEV-1"

[[monitor]]
id = "cert"
type = "tls"
host = "api.example"
expires_within = "7d"
interval = "6h"
severity = "SEV-1"

[[monitor]]
id = "db"
type = "postgres"
dsn = "postgres://app:pw@db.example/app"
interval = "1m"
severity = "SEV-1"

[[monitor]]
id = "vendor"
type = "statuspage"
url = "https://status.vendor.example/api/v2/status.json"
interval = "2m"
severity = "SEV-1"

[[monitor]]
id = "backup"
type = "heartbeat"
key = "nightly-backup-key-3y"
every = "1d"
severity = "SEV-1"
"#,
    )
    .unwrap_or_else(|errors| panic!("{errors}"));
    let checks: Vec<Option<Check>> = config.monitors.iter().map(|m| m.to_check()).collect();
    assert!(matches!(&checks[0], Some(Check::Tcp(c)) if c.host == "db.example:5432"));
    assert!(matches!(&checks[1], Some(Check::Dns(c))
        if c.record == "A" && c.expect_values == ["203.0.113.10"] && c.resolver.as_deref() == Some("127.0.0.1:5353")));
    assert!(matches!(&checks[2], Some(Check::Tls(c))
        if c.host == "api.example" && c.expires_within == Duration::from_secs(7 * 86_400)));
    assert!(matches!(&checks[3], Some(Check::Postgres(c))
        if c.dsn.expose() == "postgres://app:pw@db.example/app" && !format!("{c:?}").contains("pw@")));
    assert!(matches!(&checks[4], Some(Check::Statuspage(c)) if c.url.ends_with("/status.json")));
    assert_eq!(checks[5], None);
}

#[test]
fn bad_http_options_are_reported_where_they_are_written() {
    insta::assert_snapshot!(errors(
        r#"[[monitor]]
id = "api"
type = "http"
url = "https://api.example/healthz"
interval = "30s"
timeout = "5s"
max_latency = "5s"
max_redirects = 50
expect = { body_regex = "build (\\d+", json = { path = "items[0].state", equals = "up", op = "eq" } }
severity = "SEV-1"

[[monitor]]
id = "api-json"
type = "http"
url = "https://api.example/healthz"
interval = "30s"
expect = { json = { path = "$.status" } }
severity = "SEV-1"
"#
    ));
}

#[test]
fn http_options_do_not_apply_to_other_kinds() {
    insta::assert_snapshot!(errors(
        r#"[[monitor]]
id = "port"
type = "tcp"
host = "db.example:5432"
interval = "1m"
max_latency = "1s"
severity = "SEV-1"
"#
    ));
}
