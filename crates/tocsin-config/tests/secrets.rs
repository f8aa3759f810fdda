//! Secrets in the configuration: read from `${VAR}` or a file, kept out of `Debug` and errors,
//! gathered into the redactor; integration ids that would share tocsin's own alert keys, and
//! action URLs whose host a template would choose, are refused.

use std::path::Path;

use tocsin_config::{ConfigErrors, load_str};

const BASE: &str = r#"[server]
admin_token = "${TOCSIN_ADMIN_TOKEN}"
database = "postgres://tocsin:db-password-5fd1@db.internal/tocsin"

[org]
name = "Acme"

[[severity]]
id = "SEV-1"
respond_within = "15m"
notify = ["team"]

[[channel]]
id = "team"
type = "slack"
webhook_url = "${file:slack-url}"

[[channel]]
id = "sms"
type = "webhook"
url = "https://relay:relay-pass-77ab@sms.example/send?api_key=sms-key-9c2e"
secret = "${file:sms-secret}"

[[monitor]]
id = "api-health"
type = "http"
url = "https://api.example/healthz?token=probe-token-31ee"
headers = { Authorization = "Bearer ${PROBE_TOKEN}" }
interval = "30s"
severity = "SEV-1"

[[integration]]
id = "sentry"
type = "sentry"
secret = "${file:/run/secrets/sentry}"
severity = "SEV-1"

[[action]]
id = "rollback"
type = "http"
url = "https://deploy.example/rollback?key=${DEPLOY_KEY}&service={{ incident.component }}"
headers = { Authorization = "Bearer ${HOST_API_TOKEN}" }

[[action]]
id = "restart"
type = "command"
argv = ["/usr/bin/restart", "--token", "${RESTART_TOKEN}", "{{ incident.id }}"]
"#;

const ENV_SECRETS: &[(&str, &str)] = &[
    ("TOCSIN_ADMIN_TOKEN", "admin-token-from-env-0a1b"),
    ("PROBE_TOKEN", "probe-header-token-62c7"),
    ("DEPLOY_KEY", "deploy-query-key-84d9"),
    ("HOST_API_TOKEN", "host-api-token-f00d"),
    ("RESTART_TOKEN", "restart-argv-token-b33f"),
];

fn env(name: &str) -> Option<String> {
    ENV_SECRETS
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| (*value).to_owned())
}

/// A folder with the configuration's secret files; `sentry` (an absolute path in `BASE`) is
/// written beside them and the path rewritten to it.
fn folder() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("slack-url"),
        "https://hooks.slack.example/services/T0/B0/slack-path-secret-4e4e\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("sms-secret"),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("sentry"),
        "sentry-client-secret-from-file-77\r\n",
    )
    .expect("write");
    let text = BASE.replace(
        "/run/secrets/sentry",
        &dir.path().join("sentry").display().to_string(),
    );
    (dir, text)
}

fn load(dir: &Path, text: &str) -> Result<tocsin_config::Config, ConfigErrors> {
    load_str(text, &dir.join("tocsin.toml"), &env)
}

const ALL_SECRETS: &[&str] = &[
    "admin-token-from-env-0a1b",
    "db-password-5fd1",
    "slack-path-secret-4e4e",
    "relay-pass-77ab",
    "sms-key-9c2e",
    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "probe-token-31ee",
    "probe-header-token-62c7",
    "sentry-client-secret-from-file-77",
    "deploy-query-key-84d9",
    "host-api-token-f00d",
    "restart-argv-token-b33f",
];

#[test]
fn secrets_come_from_files_without_their_final_line_break() {
    let (dir, text) = folder();
    let config = load(dir.path(), &text).unwrap_or_else(|errors| panic!("{errors}"));
    let sentry = config.integration("sentry").expect("sentry");
    assert_eq!(
        sentry.kind.credential().expose(),
        "sentry-client-secret-from-file-77"
    );
    match &config.channel("team").expect("team").kind {
        tocsin_config::ChannelKind::Slack { webhook_url, .. } => assert_eq!(
            webhook_url.expose(),
            "https://hooks.slack.example/services/T0/B0/slack-path-secret-4e4e"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn debug_shows_no_secret_and_the_redactor_knows_every_one() {
    let (dir, text) = folder();
    let config = load(dir.path(), &text).unwrap_or_else(|errors| panic!("{errors}"));
    let debug = format!("{config:?}");
    for secret in ALL_SECRETS {
        // URLs that are not secret as a whole (the database's, the SMS relay's, the monitor's
        // and the action's) and an action's argv keep what is written in them in their own
        // fields; the redactor takes it out wherever they are shown or kept. Everything else
        // never prints.
        let in_plain_url = [
            "db-password-5fd1",
            "relay-pass-77ab",
            "sms-key-9c2e",
            "probe-token-31ee",
            "deploy-query-key-84d9",
            "restart-argv-token-b33f",
        ];
        if !in_plain_url.contains(secret) {
            assert!(!debug.contains(secret), "Debug shows {secret}");
        }
        let scrubbed = config.redactor.scrub(&format!("before {secret} after"));
        assert_eq!(scrubbed, "before [redacted] after", "{secret}");
    }
}

#[test]
fn a_missing_secret_file_is_an_error_naming_the_key_and_the_path() {
    let (dir, text) = folder();
    std::fs::remove_file(dir.path().join("sms-secret")).expect("remove");
    let errors = load(dir.path(), &text).expect_err("the file is missing");
    let message = errors.to_string();
    let path = dir.path().join("sms-secret");
    assert!(
        message.contains(&format!(
            "cannot read the secret file `{}` for `secret`",
            path.display()
        )),
        "{message}"
    );
    assert!(
        message.contains("tocsin.toml:22:"),
        "at the value: {message}"
    );
}

#[test]
fn a_weak_secret_from_a_file_is_refused_naming_the_file_not_the_value() {
    let (dir, text) = folder();
    std::fs::write(dir.path().join("sentry"), "changeme\n").expect("write");
    let message = load(dir.path(), &text).expect_err("too short").to_string();
    assert!(message.contains("(from the file `"), "{message}");
    assert!(!message.contains("changeme"), "{message}");
}

#[test]
fn integrations_may_not_take_the_names_tocsin_keys_its_own_alerts_with() {
    for reserved in ["monitor", "manual", "tocsin"] {
        let (dir, text) = folder();
        let text = text.replace("id = \"sentry\"", &format!("id = \"{reserved}\""));
        let message = load(dir.path(), &text)
            .expect_err("a reserved id")
            .to_string();
        assert!(
            message.contains(&format!("the integration id `{reserved}` is reserved")),
            "{message}"
        );
    }
}

#[test]
fn an_action_url_may_not_have_a_template_tag_in_its_host() {
    for url in [
        "https://{{ change.service }}.deploy.example/rollback",
        "https://deploy.example{{ incident.component }}/rollback",
        "https://{{ incident.id }}@deploy.example/rollback",
        "{{ change.url }}/rollback",
    ] {
        let (dir, text) = folder();
        let text = text.replace(
            "https://deploy.example/rollback?key=${DEPLOY_KEY}&service={{ incident.component }}",
            url,
        );
        let message = load(dir.path(), &text)
            .expect_err("a tag in the host")
            .to_string();
        assert!(
            message.contains("template tag in the URL's scheme or host"),
            "{url}: {message}"
        );
    }
}

#[test]
fn an_error_echoing_a_url_shows_no_credentials() {
    let (dir, text) = folder();
    let text = text.replace(
        "url = \"https://relay:relay-pass-77ab@sms.example/send?api_key=sms-key-9c2e\"",
        "url = \"ftp://relay:relay-pass-77ab@sms.example/send?api_key=sms-key-9c2e\"",
    );
    let message = load(dir.path(), &text).expect_err("not http").to_string();
    assert!(
        message.contains("is not an http:// or https:// URL"),
        "{message}"
    );
    assert!(!message.contains("relay-pass-77ab"), "{message}");
    assert!(!message.contains("sms-key-9c2e"), "{message}");
}
