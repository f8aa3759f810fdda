//! `[tickets]`: the team example's block as written, its default API root, and the errors for a
//! bad type, repository, severity or key, each naming where it is.

use std::path::Path;

use tocsin_config::{Tickets, Tracker, load_str};

const BASE: &str =
    "[org]\nname = \"Acme\"\n\n[[severity]]\nid = \"SEV-4\"\nrespond_within = \"3d\"\n";

/// `[tickets]` exactly as `team.example.toml` writes it.
const TEAM_EXAMPLE: &str = r#"
# Tickets: severities listed here open a ticket instead of paging; post-mortem action items too.
[tickets]
type = "github"                                # github | webhook
repo = "dealix/ops"
token = "${GITHUB_TOKEN}"
api_url = "https://api.github.com"
severities = ["SEV-4"]
"#;

const TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";

fn load(extra: &str) -> Result<tocsin_config::Config, String> {
    load_str(
        &format!("{BASE}\n{extra}"),
        Path::new("tocsin.toml"),
        &|name| (name == "GITHUB_TOKEN").then(|| TOKEN.to_owned()),
    )
    .map_err(|errors| errors.to_string())
}

#[test]
fn the_team_examples_block_loads_and_its_token_is_secret() {
    let config = load(TEAM_EXAMPLE).expect("valid");
    let tickets = config.tickets.clone().expect("configured");
    assert_eq!(tickets.severities, vec!["SEV-4".to_owned()]);
    let Tracker::Github {
        repo,
        token,
        api_url,
    } = &tickets.tracker
    else {
        panic!("a GitHub tracker: {tickets:?}");
    };
    assert_eq!(repo, "dealix/ops");
    assert_eq!(token.expose(), TOKEN);
    assert_eq!(api_url, "https://api.github.com");
    assert!(!format!("{config:?}").contains(TOKEN));
    assert!(!config.redactor.scrub(TOKEN).contains(TOKEN));
}

#[test]
fn without_the_section_there_are_no_tickets_and_api_url_defaults_to_github() {
    assert_eq!(load("").expect("valid").tickets, None);
    let config =
        load("[tickets]\ntype = \"github\"\nrepo = \"a/b\"\ntoken = \"${GITHUB_TOKEN}\"\n")
            .expect("valid");
    let tickets: Tickets = config.tickets.expect("configured");
    assert!(tickets.severities.is_empty());
    assert!(matches!(
        tickets.tracker,
        Tracker::Github { api_url, .. } if api_url == Tickets::GITHUB_API
    ));
}

#[test]
fn a_webhook_tracker_takes_a_url_and_an_optional_signing_secret() {
    let config = load(
        "[tickets]\ntype = \"webhook\"\nurl = \"https://t.example/in\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
    )
    .expect("valid");
    assert!(matches!(
        config.tickets.expect("configured").tracker,
        Tracker::Webhook { url, secret: Some(_) } if url == "https://t.example/in"
    ));
}

#[test]
fn bad_values_are_refused_by_key() {
    let errors =
        load("[tickets]\ntype = \"jira\"\nseverities = [\"SEV-9\"]\n").expect_err("refused");
    assert!(errors.contains("`jira` is not a valid `type`"), "{errors}");
    assert!(errors.contains("unknown severity `SEV-9`"), "{errors}");

    let errors =
        load("[tickets]\ntype = \"github\"\nrepo = \"ops\"\ntoken = \"${GITHUB_TOKEN}\"\n")
            .expect_err("refused");
    assert!(errors.contains("must be a GitHub `owner/name`"), "{errors}");

    let errors = load("[tickets]\ntype = \"github\"\nrepo = \"a/b\"\n").expect_err("refused");
    assert!(errors.contains("missing required key `token`"), "{errors}");

    let errors = load("[tickets]\ntype = \"github\"\nrepo = \"a/b\"\ntoken = \"${GITHUB_TOKEN}\"\nurl = \"https://x.example\"\n")
        .expect_err("refused");
    assert!(errors.contains("key `url` does not apply"), "{errors}");

    let errors = load("[tickets]\nrepo = \"a/b\"\n").expect_err("refused");
    assert!(errors.contains("missing required key `type`"), "{errors}");
}
