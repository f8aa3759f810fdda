//! `type = "slack_app"` channels: the keys of the shared contract, parsed exactly as written
//! there; the defaults; every bad value named by its key; the secrets kept out of `Debug` and
//! gathered into the redactor; contacts' `slack` ids.

use std::path::Path;

use tocsin_config::{ChannelKind, Config, ConfigErrors, load_str};

/// The channel as `team.example.toml` writes it, with two severities and a contact around it.
const BASE: &str = r#"[server]
admin_token = "admin-token-0123456789"

[org]
name = "Dealix"

[[severity]]
id = "SEV-1"
respond_within = "15m"
notify = ["slack-app"]

[[severity]]
id = "SEV-2"
respond_within = "1h"
notify = ["slack-app"]

[[contact]]
id = "sami"
name = "Sami"
slack = "U0SAMI0001"

[[channel]]
id = "slack-app"
type = "slack_app"
bot_token = "${SLACK_BOT_TOKEN}"
signing_secret = "${SLACK_SIGNING_SECRET}"
channel = "C0DEALIX01"                         # the channel's id
api_url = "https://slack.com/api"              # the default; a proxy or a local test server may stand in
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "SLACK_BOT_TOKEN" => Some("xoxb-bot-token-5a5a".into()),
        "SLACK_SIGNING_SECRET" => Some("signing-secret-9f9f9f9f".into()),
        _ => None,
    }
}

fn load(text: &str) -> Result<Config, ConfigErrors> {
    load_str(text, Path::new("/tmp/tocsin.toml"), &env)
}

fn app(config: &Config) -> tocsin_config::SlackApp {
    match &config.channel("slack-app").expect("channel").kind {
        ChannelKind::SlackApp(app) => app.clone(),
        other => panic!("not a slack_app: {other:?}"),
    }
}

#[test]
fn the_contracts_keys_parse_as_written_and_secrets_stay_hidden() {
    let config = load(BASE).unwrap_or_else(|errors| panic!("{errors}"));
    let app = app(&config);
    assert_eq!(app.bot_token.expose(), "xoxb-bot-token-5a5a");
    assert_eq!(app.signing_secret.expose(), "signing-secret-9f9f9f9f");
    assert_eq!(app.channel, "C0DEALIX01");
    assert_eq!(app.api_url, "https://slack.com/api");
    assert!(app.incident_channels.is_empty());
    let shown = format!("{config:?}");
    assert!(!shown.contains("xoxb-bot-token-5a5a") && !shown.contains("signing-secret-9f9f9f9f"));
    let scrubbed = config
        .redactor
        .scrub("Bearer xoxb-bot-token-5a5a and signing-secret-9f9f9f9f");
    assert!(
        !scrubbed.contains("5a5a") && !scrubbed.contains("9f9f"),
        "{scrubbed}"
    );
    assert_eq!(
        config.contact("sami").expect("sami").slack.as_deref(),
        Some("U0SAMI0001")
    );
}

#[test]
fn api_url_defaults_to_slack_and_incident_channels_name_severities() {
    let text = BASE
        .replace(
            "api_url = \"https://slack.com/api\"              # the default; a proxy or a local test server may stand in\n",
            "incident_channels = [\"SEV-1\"]\n",
        );
    let config = load(&text).unwrap_or_else(|errors| panic!("{errors}"));
    let app = app(&config);
    assert_eq!(app.api_url, "https://slack.com/api");
    assert_eq!(app.incident_channels, ["SEV-1"]);
}

#[test]
fn each_bad_value_is_named_by_its_key() {
    let cases = [
        (
            BASE.replace("bot_token = \"${SLACK_BOT_TOKEN}\"\n", ""),
            "bot_token",
        ),
        (
            BASE.replace("${SLACK_SIGNING_SECRET}", "short"),
            "signing_secret",
        ),
        (BASE.replace("C0DEALIX01", "#incidents"), "channel"),
        (
            BASE.replace("https://slack.com/api", "ftp://slack.com/api"),
            "api_url",
        ),
        (
            format!("{BASE}incident_channels = [\"SEV-9\"]\n"),
            "unknown severity `SEV-9`",
        ),
        (BASE.replace("U0SAMI0001", "@sami"), "slack"),
        (
            BASE.replace("slack = \"U0SAMI0001\"", "methods = [\"slack-app\"]"),
            "does not page a person",
        ),
        (
            format!("{BASE}webhook_url = \"https://x\"\n"),
            "webhook_url",
        ),
    ];
    for (text, key) in cases {
        let errors = load(&text).expect_err(key).to_string();
        assert!(errors.contains(key), "{key}: {errors}");
    }
}
