//! `[watchdog]` and `[self_monitoring]`: their defaults, and the errors for bad values.

use std::path::Path;
use std::time::Duration;

use tocsin_config::load_str;

const BASE: &str = "[org]\nname = \"Acme\"\n";

fn load(extra: &str) -> Result<tocsin_config::Config, String> {
    load_str(
        &format!("{BASE}\n{extra}"),
        Path::new("tocsin.toml"),
        &|_| None,
    )
    .map_err(|errors| errors.to_string())
}

#[test]
fn without_the_section_nothing_is_pinged() {
    assert_eq!(load("").expect("valid").watchdog, None);
}

#[test]
fn every_defaults_to_a_minute_and_the_url_is_kept_secret() {
    let config = load("[watchdog]\nurl = \"https://hc-ping.com/abc\"\n").expect("valid");
    let watchdog = config.watchdog.expect("configured");
    assert_eq!(watchdog.every, Duration::from_secs(60));
    assert_eq!(watchdog.url.expose(), "https://hc-ping.com/abc");
    assert!(!format!("{watchdog:?}").contains("hc-ping.com/abc"));
}

#[test]
fn a_url_that_is_not_http_is_refused_where_it_is_written() {
    let errors = load("[watchdog]\nurl = \"hc-ping.com/abc\"\n").expect_err("refused");
    assert!(errors.contains("tocsin.toml:5:7"), "{errors}");
    assert!(
        errors.contains("is not an http:// or https:// URL"),
        "{errors}"
    );
}

#[test]
fn a_period_under_a_second_is_refused_and_a_missing_url_is_named() {
    let errors = load("[watchdog]\nevery = \"500ms\"\n").expect_err("refused");
    assert!(errors.contains("tocsin.toml:5:9"), "{errors}");
    assert!(errors.contains("at most once a second"), "{errors}");
    assert!(errors.contains("missing required key `url`"), "{errors}");
}

#[test]
fn self_monitoring_takes_its_defaults_and_names_an_unknown_severity() {
    let config = load("[[severity]]\nid = \"SEV-2\"\nrespond_within = \"1h\"\n\n[self_monitoring]\nseverity = \"SEV-2\"\n")
        .expect("valid");
    let settings = config.self_monitoring.expect("configured");
    assert_eq!(settings.outbox_age, Duration::from_secs(300));
    assert_eq!(settings.probe_lag, Duration::from_secs(60));
    assert_eq!(settings.disk_free_below_mb, 1024);

    let errors = load("[self_monitoring]\nseverity = \"SEV-9\"\ndisk_free_below_mb = -1\n")
        .expect_err("refused");
    assert!(errors.contains("SEV-9"), "{errors}");
    assert!(errors.contains("cannot be negative"), "{errors}");
}
