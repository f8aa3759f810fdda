//! The shared team contract, `spec/team.example.toml`: its keys are added to
//! `spec/tocsin.example.toml`'s, so the two files together load as written, with their secrets
//! from the environment, and mean what the team file's comments say.

use std::path::PathBuf;

use tocsin_config::{ChannelKind, Config, SmsProvider, Tracker, load_str};
use tocsin_testkit::example_env;

fn spec(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec")).join(file)
}

/// The values the team file's `${…}` names, for tests only.
const TEAM_ENV: [(&str, &str); 5] = [
    ("SLACK_BOT_TOKEN", "xoxb-tests-only-bot-token-0001"),
    ("SLACK_SIGNING_SECRET", "tests-only-slack-signing-secret-01"),
    ("TWILIO_ACCOUNT_SID", "ACtestsonly0000000000000000000001"),
    ("TWILIO_AUTH_TOKEN", "tests-only-twilio-auth-token-0001"),
    ("GITHUB_TOKEN", "ghp_testsonly000000000000000000000001"),
];

fn lookup(name: &str) -> Option<String> {
    TEAM_ENV
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, value)| (*value).to_owned())
        .or_else(|| {
            example_env()
                .into_iter()
                .find(|(known, _)| known == name)
                .map(|(_, value)| value)
        })
}

fn both(env: &dyn Fn(&str) -> Option<String>) -> Result<Config, tocsin_config::ConfigErrors> {
    let read = |file: &str| {
        std::fs::read_to_string(spec(file)).unwrap_or_else(|error| panic!("spec/{file}: {error}"))
    };
    let text = format!(
        "{}\n{}",
        read("tocsin.example.toml"),
        read("team.example.toml")
    );
    // Named as the example file, so `spec/runbooks/` is found beside it.
    load_str(&text, &spec("tocsin.example.toml"), env)
}

#[test]
fn the_team_keys_load_beside_the_example_as_written() {
    let config =
        both(&lookup).unwrap_or_else(|errors| panic!("the team example must load:\n{errors}"));

    let slack = config.channel("slack-app").expect("the slack-app channel");
    let ChannelKind::SlackApp(app) = &slack.kind else {
        panic!("slack-app is a Slack app: {:?}", slack.kind);
    };
    assert_eq!(app.channel, "C0DEALIX01");
    assert_eq!(app.api_url, "https://slack.com/api");
    assert_eq!(app.bot_token.expose(), "xoxb-tests-only-bot-token-0001");

    let sms = config
        .channel("sms-twilio")
        .expect("the sms-twilio channel");
    let ChannelKind::Sms(sms) = &sms.kind else {
        panic!("sms-twilio is an SMS channel: {:?}", sms.kind);
    };
    assert_eq!(sms.provider, SmsProvider::Twilio);
    assert_eq!(sms.from, "+15005550006");
    assert_eq!(sms.api_url, "https://api.twilio.com");

    let tickets = config.tickets.as_ref().expect("[tickets]");
    assert_eq!(tickets.severities, vec!["SEV-4"]);
    let Tracker::Github { repo, api_url, .. } = &tickets.tracker else {
        panic!("GitHub issues: {:?}", tickets.tracker);
    };
    assert_eq!(repo, "dealix/ops");
    assert_eq!(api_url, "https://api.github.com");

    let route = config.label_routes.first().expect("the label route");
    assert_eq!(route.title, "Checkout in production");
    assert_eq!(route.escalation.as_deref(), Some("backend"));
    assert_eq!(
        route.matchers.text().get("service").map(String::as_str),
        Some("checkout")
    );
    assert_eq!(
        route.matchers.text().get("env").map(String::as_str),
        Some("prod")
    );

    let layered = config
        .schedules
        .iter()
        .find(|schedule| schedule.id == "backend-layered")
        .expect("the layered schedule");
    assert_eq!(layered.layers.len(), 2);
}

#[test]
fn without_the_team_secrets_each_unset_variable_is_named() {
    let errors = both(&|name| {
        if TEAM_ENV.iter().any(|(team, _)| *team == name) {
            None
        } else {
            lookup(name)
        }
    })
    .expect_err("the team secrets have no fallbacks");
    let text = errors.to_string();
    for (name, _) in TEAM_ENV {
        assert!(text.contains(name), "{name} is not named:\n{text}");
    }
}
