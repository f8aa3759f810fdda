//! `${NAME}` and `${NAME:-default}` expansion, end to end: values after loading, and the error
//! for a missing variable at the value's position.

use std::path::Path;

use tocsin_config::{ChannelKind, MonitorKind, load_str};

const TEXT: &str = r#"[org]
name = "${ORG_NAME}"

[[severity]]
id = "SEV-1"
respond_within = "${RESPOND:-15m}"

[[channel]]
id = "team"
type = "webhook"
url = "${RELAY_URL:-http://127.0.0.1:9/relay}"
secret = "${RELAY_SECRET:-}"

[[monitor]]
id = "api"
type = "http"
url = '${APP_URL}/healthz'
interval = "30s"
severity = "SEV-1"
headers = { X-Literal = "$${NOT_EXPANDED} costs $5" }
"#;

fn load_with(vars: &[(&str, &str)]) -> Result<tocsin_config::Config, tocsin_config::ConfigErrors> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    load_str(TEXT, Path::new("expand.toml"), &env)
}

#[test]
fn set_variables_and_defaults() {
    let config = load_with(&[("ORG_NAME", "Acme"), ("APP_URL", "https://app.example")])
        .unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(config.org.name, "Acme");
    let sev1 = config.severity("SEV-1").expect("severity");
    assert_eq!(
        sev1.respond_within.as_secs(),
        15 * 60,
        "the default applies"
    );
    let MonitorKind::Http(http) = &config.monitor("api").expect("monitor").kind else {
        panic!("http")
    };
    assert_eq!(
        http.url, "https://app.example/healthz",
        "literal strings expand too"
    );
    assert_eq!(
        http.headers.get("X-Literal").map(|value| value.expose()),
        Some("${NOT_EXPANDED} costs $5")
    );
    let ChannelKind::Webhook { url, secret } = &config.channel("team").expect("channel").kind
    else {
        panic!("webhook")
    };
    assert_eq!(url, "http://127.0.0.1:9/relay");
    assert_eq!(secret, &None, "an empty default means no secret");
}

#[test]
fn a_set_variable_wins_over_its_default() {
    let config = load_with(&[
        ("ORG_NAME", "Acme"),
        ("APP_URL", "http://a"),
        ("RESPOND", "1h"),
    ])
    .unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(
        config
            .severity("SEV-1")
            .expect("severity")
            .respond_within
            .as_secs(),
        3600
    );
}

#[test]
fn a_missing_variable_is_an_error_naming_it_at_its_position() {
    let errors = load_with(&[("ORG_NAME", "Acme")]).expect_err("APP_URL is missing");
    insta::assert_snapshot!(errors.to_string(), @r"
    expand.toml:17:8: error: environment variable `APP_URL` is not set
      help: set `APP_URL` in the environment, or give a default: `${APP_URL:-value}`
    1 error
    ");
}

#[test]
fn an_expanded_value_is_validated_like_a_written_one() {
    let errors = load_with(&[
        ("ORG_NAME", "Acme"),
        ("APP_URL", "http://a"),
        ("RESPOND", "soon"),
    ])
    .expect_err("bad duration");
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!((errors.0[0].line, errors.0[0].column), (6, 18));
    assert_eq!(errors.0[0].message, "`soon` has no number");
}
