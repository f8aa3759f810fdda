//! The contract file, `spec/tocsin.example.toml` with `spec/runbooks/`, loads with its secrets set
//! (tests/fixtures/example.env), refuses to load without them, and means what its comments say.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::{Time, Weekday, date};
use tocsin_config::*;
use tocsin_core::check::StatusRange;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

fn example_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/tocsin.example.toml"
    ))
}

use tocsin_testkit::example_env;

/// Looks a name up in `vars`.
fn lookup(vars: &[(String, String)], name: &str) -> Option<String> {
    vars.iter()
        .find(|(known, _)| known == name)
        .map(|(_, value)| value.clone())
}

fn load_example() -> Config {
    let env = example_env();
    match load(&example_path(), &|name| lookup(&env, name)) {
        Ok(config) => config,
        Err(errors) => panic!("the example must load:\n{errors}"),
    }
}

#[test]
fn the_example_loads_with_its_secrets_set_and_without_warnings() {
    let config = load_example();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(
        config.summary(),
        "ok: 9 monitors, 4 severities, 4 channels, 4 contacts, 1 schedule, 1 escalation, \
         7 integrations, 7 runbooks, 2 actions"
    );
    assert_eq!(config.path, example_path());
}

#[test]
fn server_and_org() {
    let config = load_example();
    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert_eq!(config.server.public_url, "http://127.0.0.1:8080");
    assert_eq!(config.server.database, "sqlite://data/tocsin.db");
    assert_eq!(config.server.admin_token, None);
    assert_eq!(config.server.sqlite_synchronous, Synchronous::Full);
    assert_eq!(config.org.name, "Dealix");
    assert_eq!(config.org.timezone, "Asia/Riyadh");
    assert_eq!(config.org.locales, vec!["ar", "en"]);
    assert_eq!(config.org.default_locale(), "ar");
    assert_eq!(
        config.engine,
        Engine {
            reopen_window: HOUR,
            grouping_window: 5 * MINUTE,
            integration_rate_limit: 2000,
            probe_concurrency_per_host: 8,
            keep_raw_checks: DAY,
        }
    );
}

#[test]
fn without_its_secrets_the_example_names_every_unset_variable() {
    let errors = load(&example_path(), &|_| None).expect_err("secrets have no fallbacks");
    let text = errors.to_string();
    for (name, _) in example_env() {
        assert!(
            text.contains(&format!("environment variable `{name}` is not set")),
            "{name} is not named:\n{text}"
        );
    }
}

#[test]
fn a_placeholder_secret_is_refused_naming_its_variable() {
    let mut env = example_env();
    for (name, value) in &mut env {
        if name == "SENTRY_CLIENT_SECRET" {
            *value = "dev".to_owned();
        }
        if name == "BACKUP_PING_KEY" {
            *value = "changeme-1234567890".to_owned();
        }
    }
    let errors = load(&example_path(), &|name| lookup(&env, name)).expect_err("refused");
    let messages: Vec<String> = errors.iter().map(|error| error.message.clone()).collect();
    assert_eq!(messages.len(), 2, "{errors}");
    assert!(
        messages[0].contains("`key` (from `BACKUP_PING_KEY`) is a well-known placeholder value"),
        "{errors}"
    );
    assert!(
        messages[1].contains("`secret` (from `SENTRY_CLIENT_SECRET`) is 3 characters long"),
        "{errors}"
    );
}

#[test]
fn sev3_tells_the_team_channel_and_pages_nobody_sev4_records_only() {
    let config = load_example();
    let sev3 = config.severity("SEV-3").expect("SEV-3");
    assert!(sev3.notify.iter().any(|channel| channel == "slack-alerts"));
    assert!(!sev3.pages(), "4 hours to respond: nobody is woken");
    let sev4 = config.severity("SEV-4").expect("SEV-4");
    assert!(sev4.notify.is_empty() && !sev4.pages());
    assert!(config.severity("SEV-2").expect("SEV-2").pages());
}

#[test]
fn severities_follow_the_runbook_table() {
    let config = load_example();
    let sev1 = config.severity("SEV-1").expect("SEV-1");
    assert_eq!(sev1.respond_within, 15 * MINUTE);
    assert_eq!(sev1.notify, vec!["slack-alerts", "email-customers"]);
    assert_eq!(sev1.comms, Comms::Auto);
    assert_eq!(sev1.status_page, ComponentImpact::MajorOutage);
    assert_eq!(sev1.update_every, Some(30 * MINUTE));
    assert_eq!(sev1.postmortem_within, Some(48 * HOUR));
    let sev2 = config.severity("SEV-2").expect("SEV-2");
    assert_eq!(sev2.comms, Comms::Auto, "auto is the default");
    assert_eq!(sev2.status_page, ComponentImpact::PartialOutage);
    let sev4 = config.severity("SEV-4").expect("SEV-4");
    assert!(sev4.notify.is_empty());
    assert_eq!(sev4.respond_within, DAY);
    assert_eq!(sev4.update_every, None);
    let ids: Vec<&str> = config.severities.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]);
}

#[test]
fn people_schedules_and_escalations() {
    let config = load_example();
    let sami = config.contact("sami").expect("sami");
    assert_eq!(sami.phone.as_deref(), Some("+966500000000"));
    assert_eq!(
        sami.methods,
        vec![ContactMethod::Channel("sms".into()), ContactMethod::Email]
    );
    assert_eq!(sami.verified_on, Some(date(2026, 11, 1)));
    assert!(!sami.external);
    let moyasar = config.contact("moyasar-support").expect("moyasar");
    assert!(moyasar.external);
    assert_eq!(
        moyasar.url.as_deref(),
        Some("https://moyasar.example/support")
    );

    let schedule = config.schedule("backend-primary").expect("schedule");
    let rotation = schedule.rotation.as_ref().expect("a rotation");
    assert_eq!(rotation.members, vec!["sami"]);
    assert_eq!(rotation.every, 7 * DAY);
    assert_eq!(rotation.handoff.weekday, Weekday::Sunday);
    assert_eq!(rotation.handoff.time, Time::new(9, 0, 0, 0).expect("time"));
    assert_eq!(schedule.layers.len(), 1, "a rotation is the only layer");
    assert_eq!(schedule.layers[0].members, rotation.members);
    assert_eq!(schedule.layers[0].days, None);

    let escalation = config.escalation("backend").expect("escalation");
    assert_eq!(escalation.repeat, 2);
    assert_eq!(escalation.steps.len(), 2);
    assert_eq!(
        escalation.steps[0].targets,
        vec![Target::Schedule("backend-primary".into())]
    );
    assert_eq!(escalation.steps[0].after, 5 * MINUTE);
    assert_eq!(
        escalation.steps[1].targets,
        vec![Target::Contact("sami".into())]
    );

    let payments = config.route("payments").expect("route");
    assert_eq!(payments.title, "Payment processing");
    assert_eq!(payments.escalation.as_deref(), Some("backend"));
    assert_eq!(payments.call, vec!["moyasar-support"]);
    assert!(config.route("backend").expect("route").call.is_empty());
}

#[test]
fn channels_smtp_and_templates() {
    let config = load_example();
    let smtp = config.smtp.as_ref().expect("smtp");
    assert_eq!(smtp.host, "127.0.0.1");
    assert_eq!(smtp.port, 587);
    assert_eq!(smtp.username, None, "an empty default means no login");
    assert_eq!(smtp.password, None);
    assert_eq!(smtp.tls, SmtpTls::Starttls);

    match &config.channel("sms").expect("sms").kind {
        ChannelKind::Webhook { url, secret } => {
            assert_eq!(url, "http://127.0.0.1:9/sms");
            let secret = secret.as_ref().expect("secret");
            assert_eq!(
                Some(secret.expose().to_owned()),
                lookup(&example_env(), "SMS_API_SECRET")
            );
        }
        other => panic!("sms is a webhook channel, not {other:?}"),
    }
    match &config.channel("slack-alerts").expect("slack").kind {
        ChannelKind::Slack { webhook_url, .. } => {
            assert_eq!(webhook_url.expose(), "http://127.0.0.1:9/slack")
        }
        other => panic!("not slack: {other:?}"),
    }
    let customers = config.channel("email-customers").expect("email");
    assert!(customers.is_customer_facing());
    assert_eq!(
        customers.kind,
        ChannelKind::Email {
            audience: Some(Audience::Subscribers),
            template: Some("customer-notice".into())
        }
    );
    assert_eq!(config.templates.len(), 4);
    let english = config.template("customer-notice", "en").expect("en");
    assert!(english.body.starts_with("We are facing"));
    // The incident's own (alert) title never reaches customers: the public title does.
    assert!(english.subject.contains("incident.public_title"));
    let solved = config
        .template("customer-notice-resolved", "ar")
        .expect("the resolved text, in Arabic");
    assert!(solved.body.starts_with("تم حل المشكلة"));
    assert!(config.template("customer-notice-resolved", "en").is_some());
    assert_eq!(
        config
            .template("customer-notice", "fr")
            .expect("default")
            .locale,
        "ar"
    );
}

#[test]
fn monitors() {
    let config = load_example();
    let health = config.monitor("api-health").expect("api-health");
    assert_eq!(health.confirm, 2);
    assert_eq!(health.interval, Duration::from_secs(30));
    assert_eq!(health.timeout, Duration::from_secs(10));
    assert_eq!(health.severity, "SEV-1");
    assert_eq!(health.component.as_deref(), Some("api"));
    assert_eq!(health.runbook.as_deref(), Some("sev1-full-outage"));
    let MonitorKind::Http(http) = &health.kind else {
        panic!("api-health is http")
    };
    assert_eq!(http.url, "http://127.0.0.1:3000/healthz");
    assert_eq!(http.method, "GET");
    assert_eq!(
        http.expect_status,
        vec![StatusRange {
            low: 200,
            high: 299
        }]
    );
    let check = http.to_check(health.timeout);
    assert_eq!(check.timeout, Duration::from_secs(10));
    assert_eq!(check.expect_status, vec![StatusRange::SUCCESS]);

    let v1 = config.monitor("api-v1").expect("api-v1");
    assert_eq!(v1.confirm, 1, "confirm defaults to 1");
    assert_eq!(
        v1.timeout,
        Duration::from_secs(10),
        "timeout defaults to 10s"
    );
    let MonitorKind::Http(http) = &v1.kind else {
        panic!("api-v1 is http")
    };
    assert_eq!(http.body_contains.as_deref(), Some("ok"));

    let MonitorKind::Postgres { dsn } = &config.monitor("database").expect("db").kind else {
        panic!("database is postgres")
    };
    assert_eq!(dsn.expose(), "postgres://127.0.0.1:5432/postgres");
    let dns = &config.monitor("api-dns").expect("dns").kind;
    assert_eq!(
        dns,
        &MonitorKind::Dns {
            query: "api.dealix.example".into(),
            record: "A".into(),
            expect_values: vec!["203.0.113.10".into()],
            resolver: Some("127.0.0.1:53".into()),
        }
    );
    let tls = &config.monitor("api-certificate").expect("tls");
    assert_eq!(
        tls.kind,
        MonitorKind::Tls {
            host: "127.0.0.1:3443".into(),
            expires_within: 14 * DAY
        }
    );
    assert_eq!(tls.interval, 6 * HOUR);
    assert!(
        matches!(config.monitor("api-port").expect("tcp").kind, MonitorKind::Tcp { ref host } if host == "127.0.0.1:3000")
    );
    assert!(matches!(
        config.monitor("moyasar-status").expect("sp").kind,
        MonitorKind::Statuspage { .. }
    ));

    let backup = config.monitor("nightly-backup").expect("heartbeat");
    assert_eq!(
        backup.interval, DAY,
        "a heartbeat's interval is its `every`"
    );
    let MonitorKind::Heartbeat {
        key,
        every,
        grace,
        max_runtime,
    } = &backup.kind
    else {
        panic!("nightly-backup is a heartbeat")
    };
    assert_eq!(
        Some(key.expose().to_owned()),
        lookup(&example_env(), "BACKUP_PING_KEY")
    );
    assert_eq!((*every, *grace, *max_runtime), (DAY, HOUR, None));
}

#[test]
fn integrations() {
    let config = load_example();
    let events = config.integration("events").expect("events");
    assert!(
        matches!(&events.kind, IntegrationKind::Pagerduty { key } if Some(key.expose().to_owned()) == lookup(&example_env(), "TOCSIN_ROUTING_KEY"))
    );
    assert_eq!(
        events.severity_map.get("critical").map(String::as_str),
        Some("SEV-1")
    );
    assert_eq!(events.severity_map.len(), 4);
    let alertmanager = config.integration("alertmanager").expect("alertmanager");
    assert_eq!(alertmanager.severity_label.as_deref(), Some("severity"));
    let sentry = config.integration("sentry").expect("sentry");
    assert_eq!(sentry.severity.as_deref(), Some("SEV-2"));
    assert_eq!(sentry.runbook.as_deref(), Some("sentry-error-rate"));
    assert!(
        config
            .integration("github")
            .expect("github")
            .kind
            .sends_changes_only()
    );
    let types: Vec<&str> = config
        .integrations
        .iter()
        .map(|i| i.kind.type_name())
        .collect();
    assert_eq!(
        types,
        [
            "sentry",
            "pagerduty",
            "alertmanager",
            "uptimerobot",
            "github",
            "railway",
            "generic"
        ]
    );
}

#[test]
fn runbooks_and_their_directives() {
    let config = load_example();
    let ids: Vec<&str> = config.runbooks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "api-v1-404",
            "database-connection-refused",
            "moyasar-webhook-401",
            "revert-bad-merge",
            "rollback-on-host",
            "sentry-error-rate",
            "sev1-full-outage"
        ]
    );
    let outage = config.runbook("sev1-full-outage").expect("runbook");
    assert_eq!(outage.title, "SEV-1 response (full outage)");
    assert_eq!(outage.severity.as_deref(), Some("SEV-1"));
    assert!(outage.body.contains("## Within 5 minutes"));
    assert_eq!(outage.directives.len(), 9);
    assert_eq!(
        outage.directives[0].kind,
        DirectiveKind::Monitor("api-health".into())
    );
    assert_eq!(
        (outage.directives[0].line, outage.directives[0].column),
        (9, 61)
    );
    assert_eq!(
        &outage.body[outage.directives[0].range.clone()],
        "{{ monitor \"api-health\" }}"
    );
    assert_eq!(
        outage.directives[1].kind,
        DirectiveKind::Since("api-health".into())
    );
    assert_eq!(
        outage.directives[2].kind,
        DirectiveKind::LastChange(ChangeKind::Deploy)
    );
    assert_eq!(
        outage.directives[3].kind,
        DirectiveKind::LastChange(ChangeKind::Merge)
    );
    assert_eq!(
        outage.directives[8].kind,
        DirectiveKind::Template("customer-notice".into())
    );
    let refused = config
        .runbook("database-connection-refused")
        .expect("runbook");
    assert_eq!(
        refused.likely_cause.as_deref(),
        Some("DATABASE_URL wrong or the Postgres add-on is down.")
    );
    assert!(
        refused
            .path
            .ends_with("spec/runbooks/database-connection-refused.md")
    );
}

/// The seed's rollback procedure is two runbooks: the host's rollback (with the `rollback`
/// action's button) and the git revert. A responder searching in their own words finds each
/// first.
#[test]
fn the_knowledge_base_ranks_the_rollback_and_revert_runbooks_first() {
    let config = load_example();
    let rollback = config.runbook("rollback-on-host").expect("runbook");
    assert!(
        rollback
            .directives
            .iter()
            .any(|d| d.kind == DirectiveKind::Action("rollback".into())),
        "the rollback runbook carries the rollback action's button"
    );
    let revert = config.runbook("revert-bad-merge").expect("runbook");
    assert!(revert.body.contains("`git revert <bad-commit-sha>`"));
    for (query, expected) in [
        ("rollback", "rollback-on-host"),
        ("roll back deploy", "rollback-on-host"),
        ("Roll back the last deploy", "rollback-on-host"),
        ("revert merge", "revert-bad-merge"),
        ("bad commit", "revert-bad-merge"),
        ("git revert the bad merge", "revert-bad-merge"),
    ] {
        let hits = knowledge::search(&config.runbooks, query);
        let ranked: Vec<(&str, u32)> = hits
            .iter()
            .map(|hit| (hit.runbook.id.as_str(), hit.score))
            .collect();
        assert_eq!(
            ranked.first().map(|hit| hit.0),
            Some(expected),
            "{query}: {ranked:?}"
        );
        assert!(
            ranked.get(1).is_none_or(|second| second.1 < ranked[0].1),
            "{query}: a clear first, not a tie: {ranked:?}"
        );
    }
}

#[test]
fn status_page_postmortem_drill_and_actions() {
    let config = load_example();
    let page = config.status_page.as_ref().expect("status page");
    assert_eq!(page.locale, "ar");
    let components: Vec<&str> = page.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(components, ["api", "dashboard", "payments"]);

    let postmortem = config.postmortem.as_ref().expect("postmortem");
    assert_eq!(postmortem.required_for, vec!["SEV-1", "SEV-2"]);
    // Relative to the repository holding the file: this project's checkout, or `spec/` itself
    // when the checkout is no git repository.
    assert_eq!(
        postmortem.dir,
        postmortem.repository.join("docs/ops/postmortems")
    );
    let spec = example_path().parent().expect("spec").to_path_buf();
    assert!(
        tocsin_config::repository::resolve(&spec, Path::new(""))
            .starts_with(&postmortem.repository),
        "{:?} holds {spec:?}",
        postmortem.repository
    );
    assert!(!postmortem.push);
    assert_eq!(postmortem.file, "{date}-{slug}.md");
    assert_eq!(postmortem.sections.len(), 5);
    let review = postmortem.review.as_ref().expect("review");
    assert_eq!(review.every, 7 * DAY);
    assert_eq!(review.at.to_string(), "sun 10:00");
    assert_eq!(review.channel, "slack-alerts");

    let drill = config.drill.as_ref().expect("drill");
    assert_eq!(drill.schedule.expr, "0 9 1 * *");
    assert!(drill.schedule.matches(date(2026, 12, 1).at(9, 0, 0, 0)));
    assert_eq!(drill.report_to, "slack-alerts");
    assert_eq!(drill.contacts_verified_within, 30 * DAY);
    assert_eq!(
        drill.confirm_within,
        std::time::Duration::from_secs(24 * 3600)
    );

    let rollback = config.action("rollback").expect("rollback");
    assert!(rollback.confirm);
    let ActionKind::Http {
        method,
        url,
        headers,
        body,
    } = &rollback.kind
    else {
        panic!("http action")
    };
    assert_eq!(method, "POST");
    assert_eq!(url, "http://127.0.0.1:9/rollback");
    assert_eq!(
        headers.get("Authorization").map(|v| v.expose()),
        Some("Bearer tests-only-host-api-token-aa61")
    );
    assert_eq!(
        body.as_deref(),
        Some(r#"{"deployment": "{{ change.previous_deploy_id }}"}"#)
    );
    let restart = config.action("restart").expect("restart");
    assert_eq!(
        restart.kind,
        ActionKind::Command {
            argv: vec!["/bin/echo".into(), "restart".into(), "backend".into()]
        }
    );
}

#[test]
fn the_environment_is_injected() {
    let vars = example_env();
    let env = |name: &str| match name {
        "APP_URL" => Some("https://app.example".to_owned()),
        "SMS_API_SECRET" => Some("whsec_ZnJvbS10aGUtZW52aXJvbm1lbnQtMDEyMw==".to_owned()),
        "SMTP_USER" => Some("mailer".to_owned()),
        _ => lookup(&vars, name),
    };
    let config = load(&example_path(), &env).unwrap_or_else(|errors| panic!("{errors}"));
    let MonitorKind::Http(http) = &config.monitor("api-health").expect("monitor").kind else {
        panic!("http")
    };
    assert_eq!(http.url, "https://app.example/healthz");
    let ChannelKind::Webhook { secret, .. } = &config.channel("sms").expect("sms").kind else {
        panic!("webhook")
    };
    assert_eq!(
        secret.as_ref().map(|s| s.expose()),
        Some("whsec_ZnJvbS10aGUtZW52aXJvbm1lbnQtMDEyMw==")
    );
    assert_eq!(
        config.smtp.as_ref().and_then(|s| s.username.as_deref()),
        Some("mailer")
    );
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let config = load_example();
    let shown = format!("{config:?}");
    let values: Vec<String> = example_env().into_iter().map(|(_, value)| value).collect();
    for secret in values.iter().map(String::as_str).chain([
        "postgres://127.0.0.1:5432/postgres",
        "http://127.0.0.1:9/slack",
    ]) {
        assert!(!shown.contains(secret), "{secret} leaked into Debug output");
    }
}

#[test]
fn a_missing_file_is_an_error_about_the_file() {
    let errors = load(Path::new("no/such/tocsin.toml"), &|_| None).expect_err("missing");
    assert_eq!(errors.len(), 1);
    assert!(
        errors
            .to_string()
            .starts_with("no/such/tocsin.toml: error: cannot read the configuration file")
    );
}

#[test]
fn without_a_runbooks_section_a_missing_folder_is_fine() {
    let text = std::fs::read_to_string(example_path()).expect("example");
    let without: String = text
        .replace("[runbooks]\ndir = \"runbooks\"", "")
        .lines()
        .filter(|line| !line.starts_with("runbook = "))
        .collect::<Vec<_>>()
        .join("\n");
    let without = without.replace("runbook = \"sentry-error-rate\"", "");
    let env = example_env();
    let config = load_str(&without, Path::new("elsewhere/tocsin.toml"), &|name| {
        lookup(&env, name)
    })
    .unwrap_or_else(|errors| panic!("{errors}"));
    assert!(config.runbooks.is_empty());
    // Without a runbooks folder, the runbook directives' monitors are simply unused.
    assert_eq!(config.monitors.len(), 9);
}

#[test]
fn no_edit_of_the_example_makes_the_loader_panic() {
    // Removing any one line, or cutting the file after any line, gives either a configuration or
    // a list of errors; each error has a real position.
    let text = std::fs::read_to_string(example_path()).expect("example");
    let lines: Vec<&str> = text.lines().collect();
    let env = example_env();
    for at in 0..lines.len() {
        let mut without = lines.clone();
        without.remove(at);
        let cut = lines[..at].join("\n");
        for variant in [without.join("\n"), cut] {
            if let Err(errors) = load_str(&variant, &example_path(), &|name| lookup(&env, name)) {
                assert!(!errors.is_empty());
                for error in &errors {
                    assert!(error.line >= 1 && error.column >= 1, "{error}");
                    assert!(!error.message.is_empty());
                }
            }
        }
    }
}
