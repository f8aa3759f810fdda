//! One snapshot per kind of error: the `Display` of `ConfigErrors`, so that positions
//! (file:line:column) and wording are reviewed. Each input is a small valid configuration with
//! one kind of mistake in it.

use std::path::Path;

use tocsin_config::{ConfigErrors, load_str};

/// A small, valid configuration that the tests below break.
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

[[monitor]]
id = "api-health"
type = "http"
url = "https://api.example/healthz"
interval = "30s"
severity = "SEV-1"
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "SET" => Some("value".to_owned()),
        _ => None,
    }
}

/// Loads `text` as `tests/fixtures/tocsin.toml` (there is no runbooks folder next to it).
fn errors_in(text: &str) -> ConfigErrors {
    errors_at(text, "tests/fixtures/tocsin.toml")
}

fn errors_at(text: &str, path: &str) -> ConfigErrors {
    match load_str(text, Path::new(path), &env) {
        Ok(config) => panic!("expected errors, got {}", config.summary()),
        Err(errors) => errors,
    }
}

fn with(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

#[test]
fn the_base_is_valid() {
    let config = load_str(BASE, Path::new("tests/fixtures/tocsin.toml"), &env);
    assert!(
        config.is_ok(),
        "{}",
        config.err().map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn syntax_error() {
    let text = BASE.replace("interval = \"30s\"", "interval = \"30s");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn syntax_error_duplicate_key() {
    let text = BASE.replace(
        "interval = \"30s\"",
        "interval = \"30s\"\ninterval = \"1m\"",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn unknown_key_with_did_you_mean() {
    let text = BASE.replace(
        "interval = \"30s\"",
        "intervall = \"30s\"\ncolour = \"red\"",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn unknown_key_in_nested_table_and_unknown_section() {
    let text = with(
        "[[monitors]]\nid = \"x\"\n\n[[escalation]]\nid = \"e\"\nsteps = [{ targets = [\"contact:x\"], aftr = \"5m\" }]\n",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn key_that_does_not_apply_to_the_type() {
    let text = BASE.replace(
        "interval = \"30s\"",
        "interval = \"30s\"\nhost = \"api.example:443\"",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_duration() {
    let text = BASE
        .replace(
            "respond_within = \"15m\"",
            "respond_within = \"15 minutes\"",
        )
        .replace("interval = \"30s\"", "interval = \"30\"");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_severity_runbook_and_component() {
    let text = BASE.replace(
        "severity = \"SEV-1\"",
        "severity = \"SEV1\"\nrunbook = \"missing-runbook\"\ncomponent = \"api\"",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_notify_channel() {
    let text = BASE.replace(
        "notify = [\"team\"]",
        "notify = [\"team\", \"slack-alerts\"]",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_contact_method() {
    let text = with(
        "[[contact]]\nid = \"sami\"\nphone = \"+966500000000\"\nmethods = [\"sms\", \"email\"]\n",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_and_malformed_escalation_targets() {
    let text = with(
        r#"[[contact]]
id = "sami"
email = "sami@acme.example"
methods = ["team"]

[[escalation]]
id = "backend"
steps = [
  { targets = ["schedule:primary", "contact:samy"], after = "5m" },
  { targets = ["sami", "team:x"], after = "10m" },
]
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn schedule_member_not_a_contact() {
    let text = with(
        "[[schedule]]\nid = \"primary\"\nrotation = { members = [\"nobody\"], every = \"1w\", handoff = \"sun 09:00\" }\n",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn paging_an_external_contact() {
    let text = with(
        r#"[[contact]]
id = "vendor"
external = true
url = "https://vendor.example/support"

[[schedule]]
id = "primary"
rotation = { members = ["vendor"], every = "1w", handoff = "sun 09:00" }

[[escalation]]
id = "backend"
steps = [{ targets = ["contact:vendor"], after = "5m" }]
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_route_escalation_and_call() {
    let text = with(
        "[[route]]\ncategory = \"payments\"\nescalation = \"backend\"\ncall = [\"moyasar\"]\n",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_channel_template() {
    let text = with(
        r#"[smtp]
host = "127.0.0.1"
from = "Acme <status@acme.example>"

[[channel]]
id = "customers"
type = "email"
audience = "subscribers"
template = "customer-notise"

[[template]]
id = "customer-notice"
subject = "s"
body = "b"
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn customer_notice_without_its_resolved_text() {
    let text = format!(
        "{}\n{}",
        BASE.replace(r#"notify = ["team"]"#, r#"notify = ["team", "customers"]"#),
        r#"[smtp]
host = "127.0.0.1"
from = "Acme <status@acme.example>"

[[channel]]
id = "customers"
type = "email"
audience = "subscribers"
template = "customer-notice"

[[template]]
id = "customer-notice"
subject = "{{ org.name }}: {{ incident.public_title }}"
body = "We are on it."
"#
    );
    let errors = errors_in(&text);
    assert_eq!(errors.len(), 1, "{errors}");
    insta::assert_snapshot!(errors.to_string());

    // With the resolution's text, the same configuration loads.
    let fixed = format!(
        "{text}\n[[template]]\nid = \"customer-notice-resolved\"\nsubject = \"s\"\nbody = \"Solved.\"\n"
    );
    let loaded = load_str(&fixed, Path::new("tests/fixtures/tocsin.toml"), &env);
    assert!(
        loaded.is_ok(),
        "{}",
        loaded.err().map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn dangling_postmortem_review_and_drill() {
    let text = with(
        r#"[postmortem]
required_for = ["SEV-1", "SEV-2"]
review = { every = "1w", at = "sun 10:00", channel = "slack-alerts" }

[drill]
schedule = "0 9 1 * *"
report_to = "teem"
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn dangling_integration_severities() {
    let text = with(
        r#"[[integration]]
id = "events"
type = "pagerduty"
key = "events-routing-key-0001"
severity = "SEV-2"
severity_map = { critical = "SEV-1", error = "SEV-9" }
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn duplicate_id() {
    let text = with(
        "[[channel]]\nid = \"team\"\ntype = \"slack\"\nwebhook_url = \"https://hooks.example/y\"\n",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn missing_env_var() {
    let text = BASE.replace(
        "url = \"https://api.example/healthz\"",
        "url = \"${SET}${APP_URL}/healthz\"\nheaders = { Authorization = \"Bearer ${API_TOKEN}\" }",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn missing_required_key() {
    let text = BASE
        .replace("severity = \"SEV-1\"\n", "")
        .replace("respond_within = \"15m\"\n", "");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn missing_required_section() {
    let text = BASE.replace("[org]\nname = \"Acme\"\n", "");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn wrong_type() {
    let text = BASE
        .replace("interval = \"30s\"", "interval = 30\nconfirm = \"two\"")
        .replace("notify = [\"team\"]", "notify = [\"team\", 2]");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_status_range() {
    let text = BASE.replace(
        "interval = \"30s\"",
        "interval = \"30s\"\nexpect = { status = \"200-299,600,299-200\" }",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_enum_value() {
    let text = BASE
        .replace(
            "notify = [\"team\"]",
            "notify = [\"team\"]\ncomms = \"drafts\"\nstatus_page = \"outage\"",
        )
        .replace("type = \"http\"", "type = \"https\"");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_runbook_directive() {
    let text = with(
        "[runbooks]\ndir = \"runbooks\"\n\n[[action]]\nid = \"restart\"\ntype = \"command\"\nargv = [\"/bin/true\"]\n",
    );
    insta::assert_snapshot!(errors_at(&text, "tests/fixtures/directives/tocsin.toml").to_string());
}

#[test]
fn missing_runbooks_folder() {
    let text = with("[runbooks]\ndir = \"no-such-folder\"\n");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_values() {
    let text = with(
        r#"[server]
listen = "localhost"
public_url = "127.0.0.1:8080"

[drill]
schedule = "0 9 1 *"
report_to = "team"

[[schedule]]
id = "primary"
timezone = "Mars/Olympus"
rotation = { members = [], every = "1w", handoff = "sunday 9am" }
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_runbook_front_matter() {
    let text = with("[runbooks]\ndir = \"runbooks\"\n");
    insta::assert_snapshot!(errors_at(&text, "tests/fixtures/frontmatter/tocsin.toml").to_string());
}

#[test]
fn paging_rules() {
    let text = with(
        r#"[[channel]]
id = "customers"
type = "email"
audience = "affected"

[[channel]]
id = "sms"
type = "webhook"
url = "https://relay.example/sms"

[[contact]]
id = "sami"
methods = ["sms", "customers", "email"]

[[contact]]
id = "vendor"
external = true
methods = ["team"]

[[contact]]
id = "idle"
name = "Nobody pages me"

[[escalation]]
id = "backend"
steps = [{ targets = ["contact:idle"], after = "5m" }]
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn wrong_shape_of_sections_and_type_specific_keys() {
    let text = with(
        r#"[[monitor]]
id = "port"
type = "tcp"
host = "db.example"
interval = "1m"
severity = "SEV-1"
expect = { status = "200" }

[[monitor]]
id = "backup"
type = "heartbeat"
key = "nightly-backup-key-01"
every = "1d"
interval = "1d"
severity = "SEV-1"

[engine]
reopen_window = "0s"

[server]
listen = 8080
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

/// The acceptance test: an unknown key, a bad duration and a dangling reference are all
/// reported, each with its line.
#[test]
fn all_three_problems_are_listed_with_their_lines() {
    let text = BASE
        .replace(
            "interval = \"30s\"",
            "intervall = \"30s\"\ntimeout = \"5 secs\"",
        )
        .replace("severity = \"SEV-1\"", "severity = \"SEV-7\"");
    let errors = errors_in(&text);
    let lines: Vec<(usize, &str)> = errors
        .iter()
        .map(|error| (error.line, error.message.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (18, "unknown key `intervall` in [[monitor]] (`api-health`)"),
            (19, "`5 secs` has unknown unit `secs`"),
            (20, "unknown severity `SEV-7` in [[monitor]] (`api-health`)"),
        ],
        "{errors}"
    );
    let shown = errors.to_string();
    assert!(
        shown.contains("tests/fixtures/tocsin.toml:18:1: error: unknown key `intervall`"),
        "{shown}"
    );
    assert!(shown.contains("help: did you mean `interval`?"), "{shown}");
    assert!(shown.ends_with("3 errors"), "{shown}");
}

#[test]
fn maintenance_windows_that_cover_nothing_overlap_kinds_or_end_first() {
    let text = with(
        r#"[[maintenance]]
id = "empty"
from = 2026-12-01T02:00:00+03:00
until = 2026-12-01T03:00:00+03:00

[[maintenance]]
id = "both"
monitors = ["api-helth"]
from = 2026-12-01T02:00:00+03:00
until = 2026-12-01T03:00:00+03:00
schedule = "0 2 * * 0"
duration = "1h"

[[maintenance]]
id = "backwards"
monitors = ["api-health"]
from = 2026-12-01T03:00:00+03:00
until = 2026-12-01T02:00:00+03:00

[[maintenance]]
id = "local"
monitors = ["api-health"]
from = 2026-12-01T02:00:00
until = 2026-12-01T03:00:00Z

[[maintenance]]
id = "long"
monitors = ["api-health"]
schedule = "0 2 * * 0"
duration = "8d"
"#,
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_scheduler_settings() {
    let text = BASE.replace(
        "interval = \"30s\"",
        "interval = \"30s\"\nretry_interval = \"1m\"",
    ) + "\n[engine]\nprobe_concurrency_per_host = 0\nkeep_raw_checks = \"2y\"\n";
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_replica_settings() {
    let text =
        format!("[server]\nreplica = \"web 1\"\ndatabase_pool = 1\nlease = \"10m\"\n\n{BASE}");
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn action_url_with_a_tag_in_its_host() {
    let text = with(
        "[[action]]\nid = \"rollback\"\ntype = \"http\"\nurl = \"https://{{ change.service }}.deploys.example/rollback\"\n",
    );
    insta::assert_snapshot!(errors_in(&text).to_string());
}

#[test]
fn bad_http_limits() {
    let text = format!(
        "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"proxy.internal\"]\nmax_connections = 4\n\
         header_timeout = \"10m\"\nrequest_timeout = \"0s\"\nsign_in_checks = 0\n\n{BASE}"
    );
    let errors = errors_in(&text).to_string();
    for expected in [
        "tocsin.toml:2:34: error: `proxy.internal` is not an IP address or a range",
        "tocsin.toml:3:19: error: `max_connections` is 4; it must be from 16 to 65536",
        "tocsin.toml:4:18: error: `header_timeout` is 10m; it must be from 1s to 5m",
        "tocsin.toml:5:19: error: `request_timeout` must be longer than zero",
        "tocsin.toml:6:18: error: `sign_in_checks` is 0; it must be from 1 to 64",
        "5 errors",
    ] {
        assert!(errors.contains(expected), "no `{expected}` in:\n{errors}");
    }
}
