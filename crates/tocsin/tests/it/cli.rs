//! The command line as a user runs it: `tocsin check`, `tocsin incident …`, exit statuses.

use std::path::Path;
use std::process::Output;

use crate::support::{Sink, TOKEN, Target, TestApp, basic_config, example_env};

fn tocsin(args: &[&str]) -> Output {
    tocsin_with(args, &example_env())
}

/// Runs tocsin with exactly these variables of the example's set (the rest removed).
fn tocsin_with(args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"));
    command
        .args(args)
        .env_remove("TOCSIN_URL")
        .env_remove("TOCSIN_TOKEN");
    for (name, _) in example_env() {
        command.env_remove(name);
    }
    command.envs(env.iter().map(|(name, value)| (name, value)));
    command.output().expect("run tocsin")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_the_example_configuration_with_a_summary() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/tocsin.example.toml");
    let output = tocsin(&["check", "--config", example.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let summary = text(&output.stdout);
    assert!(summary.contains("9 monitors"), "{summary}");
    // Its SEV-4 records only, on purpose (`notify = []`); every other level reaches the team.
    assert!(
        !text(&output.stderr).contains("warning"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn check_refuses_the_example_with_a_secret_unset_naming_the_variable() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/tocsin.example.toml");
    let env: Vec<_> = example_env()
        .into_iter()
        .filter(|(name, _)| name != "GITHUB_WEBHOOK_SECRET")
        .collect();
    let output = tocsin_with(&["check", "--config", example.to_str().unwrap()], &env);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(
        errors.contains("environment variable `GITHUB_WEBHOOK_SECRET` is not set"),
        "{errors}"
    );
    assert_eq!(errors.matches(": error:").count(), 1, "{errors}");
}

#[test]
fn check_refuses_a_guessable_secret_without_printing_it() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/tocsin.example.toml");
    let mut env = example_env();
    for (name, value) in &mut env {
        if name == "SENTRY_CLIENT_SECRET" {
            *value = "dev".to_owned();
        }
    }
    let output = tocsin_with(&["check", "--config", example.to_str().unwrap()], &env);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(errors.contains("(from `SENTRY_CLIENT_SECRET`)"), "{errors}");
    assert!(errors.contains("is 3 characters long"), "{errors}");
    assert!(
        !errors.contains("`dev`"),
        "the value itself stays out of logs: {errors}"
    );
}

#[test]
fn check_warns_about_a_severity_that_reaches_nobody_and_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        &path,
        r#"[server]
public_url = "http://127.0.0.1:8080"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"

[[severity]]
id = "SEV-3"
definition = "Minor bug"
respond_within = "4h"

[[severity]]
id = "SEV-4"
definition = "Cosmetic"
respond_within = "24h"
notify = []
"#,
    )
    .unwrap();
    let output = tocsin(&["check", "--config", path.to_str().unwrap()]);
    let errors = text(&output.stderr);
    assert!(output.status.success(), "{errors}");
    assert!(
        errors.contains("warning: severity `SEV-3` reaches nobody on the team"),
        "{errors}"
    );
    assert!(
        !errors.contains("SEV-4"),
        "an explicit `notify = []` records only: {errors}"
    );
}

#[test]
fn check_prints_the_post_mortem_folder_at_the_root_of_the_repository_holding_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let ops = repo.join("deploy");
    std::fs::create_dir_all(&ops).unwrap();
    let init = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .arg(&repo)
        .output()
        .expect("git init");
    assert!(init.status.success(), "{init:?}");
    let path = ops.join("tocsin.toml");
    std::fs::write(
        &path,
        "[org]\nname = \"Acme\"\n\n[[severity]]\nid = \"SEV-1\"\nrespond_within = \"15m\"\n\n\
         [postmortem]\nrequired_for = [\"SEV-1\"]\ndir = \"docs/ops/postmortems\"\ngit = true\npush = true\n",
    )
    .unwrap();
    let output = tocsin(&["check", "--config", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let expected = format!(
        "post-mortems: {}, committed with git, pushed to origin (the checked-out branch)",
        repo.join("docs/ops/postmortems").display()
    );
    assert!(
        stdout.lines().any(|line| line == expected),
        "{stdout}\nexpected: {expected}"
    );
}

#[test]
fn check_lists_every_error_with_its_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        r#"[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
database = "sqlite://x.db"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["ar"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15 minutes"
notify = []
status_page = "none"

[[monitor]]
id = "api"
name = "API"
type = "http"
url = "http://127.0.0.1:3000/healthz"
intervall = "30s"
severity = "SEV-9"
"#,
    )
    .unwrap();
    let output = tocsin(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(
        errors.contains("bad.toml:14:"),
        "the bad duration, on line 14: {errors}"
    );
    assert!(
        errors.contains("bad.toml:23:"),
        "the unknown key, on line 23: {errors}"
    );
    assert!(
        errors.contains("bad.toml:24:"),
        "the dangling severity, on line 24: {errors}"
    );
    assert!(errors.contains("interval"), "did you mean: {errors}");
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(tocsin(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(tocsin(&["check"]).status.code(), Some(2));
}

#[tokio::test]
async fn incident_commands_talk_to_a_running_server() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1m", 1)).await;
    let url = app.app.url();
    let run = |args: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut full = vec![
                "incident".to_owned(),
                "--url".to_owned(),
                url.clone(),
                "--token".to_owned(),
                TOKEN.to_owned(),
            ];
            full.extend(args);
            let refs: Vec<&str> = full.iter().map(String::as_str).collect();
            tocsin(&refs)
        })
    };
    let declared = run(vec![
        "declare".into(),
        "--title".into(),
        "Checkout broken".into(),
        "--severity".into(),
        "SEV-2".into(),
    ])
    .await
    .unwrap();
    assert!(declared.status.success(), "{}", text(&declared.stderr));
    let id = app.incidents("open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = run(vec!["list".into()]).await.unwrap();
    assert!(text(&listed.stdout).contains("Checkout broken"));
    let acked = run(vec!["ack".into(), id.clone()]).await.unwrap();
    assert!(acked.status.success(), "{}", text(&acked.stderr));
    assert!(text(&acked.stdout).contains("acknowledged"));
    let again = run(vec!["ack".into(), id.clone()]).await.unwrap();
    assert_eq!(again.status.code(), Some(1), "a refused action exits 1");
    assert!(
        text(&again.stderr).contains("acknowledged"),
        "{}",
        text(&again.stderr)
    );
    let noted = run(vec!["note".into(), id.clone(), "rolled back".into()])
        .await
        .unwrap();
    assert!(noted.status.success());
    let shown = run(vec!["show".into(), id.clone()]).await.unwrap();
    assert!(
        text(&shown.stdout).contains("rolled back"),
        "{}",
        text(&shown.stdout)
    );
    let resolved = run(vec!["resolve".into(), id]).await.unwrap();
    assert!(resolved.status.success());
    assert!(app.incidents("open").await.is_empty());
}
