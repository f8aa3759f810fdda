//! The command line and the process as people expect them: shell completions and a man page
//! generated from the CLI definition, flags from `TOCSIN_*` variables, a plain-text log when it
//! is not a terminal, an access log without secrets, `tocsin_build_info` and process metrics,
//! and outbound notifications through the environment's proxy (probes never).

use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::support::{Sink, Target, TestApp, basic_config};

/// Runs `tocsin ARGS` to completion, without any `TOCSIN_*` or proxy variable of the caller's.
fn tocsin(args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("TOCSIN_") || name.to_ascii_lowercase().ends_with("_proxy") {
            command.env_remove(name);
        }
    }
    command.output().expect("run tocsin")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn bash_completion_parses_and_registers_tocsin() {
    let output = tocsin(&["completions", "bash"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let dir = tempfile::tempdir().unwrap();
    let script = write(&dir, "tocsin.bash", &output.stdout);
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("run bash -n");
    assert!(syntax.status.success(), "{}", text(&syntax.stderr));
    let registered = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p tocsin", script.display()))
        .output()
        .expect("run bash");
    assert!(registered.status.success(), "{}", text(&registered.stderr));
    assert!(
        text(&registered.stdout).contains("tocsin"),
        "{}",
        text(&registered.stdout)
    );
    // The subcommands and a subcommand's flags are in it.
    let script = text(&output.stdout);
    assert!(script.contains("serve"), "{script}");
    assert!(script.contains("--listen"), "{script}");
}

#[test]
fn zsh_fish_elvish_and_powershell_completions_generate() {
    for (shell, marker) in [
        ("zsh", "#compdef tocsin"),
        ("fish", "complete -c tocsin"),
        ("elvish", "tocsin"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = tocsin(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("serve"), "{shell}: {script}");
    }
    let unknown = tocsin(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_man_page_renders_with_man_and_groff_without_warnings() {
    let output = tocsin(&["man"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_ascii(), "roff source stays ASCII");
    let dir = tempfile::tempdir().unwrap();
    let page = write(&dir, "tocsin.1", &output.stdout);
    let groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&page)
        .output()
        .expect("run groff (Debian: groff-base)");
    assert!(groff.status.success(), "{}", text(&groff.stderr));
    assert_eq!(text(&groff.stderr), "", "groff warns");
    let man = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .expect("run man (Debian: man-db)");
    assert!(man.status.success(), "{}", text(&man.stderr));
    assert_eq!(text(&man.stderr), "", "man warns");
    // Bold and underline arrive as overstrikes (`x\bx`, `_\bx`), as a pager would show them.
    let mut shown = String::new();
    for c in text(&man.stdout).chars() {
        if c == '\u{8}' {
            shown.pop();
        } else {
            shown.push(c);
        }
    }
    for expected in [
        "tocsin serve",
        "tocsin user add",
        "--listen",
        "TOCSIN_LISTEN",
        "TOCSIN_DATABASE",
        "COMMANDS",
        "NO_COLOR",
    ] {
        assert!(shown.contains(expected), "`{expected}` missing:\n{shown}");
    }
}

#[test]
fn help_names_the_environment_variable_of_each_setting() {
    let serve = text(&tocsin(&["serve", "--help"]).stdout);
    for variable in [
        "TOCSIN_CONFIG",
        "TOCSIN_LISTEN",
        "TOCSIN_DATABASE",
        "TOCSIN_REPLICA",
        "TOCSIN_LOG_FORMAT",
    ] {
        assert!(
            serve.contains(&format!("[env: {variable}=")),
            "{variable}:\n{serve}"
        );
    }
    let export = text(&tocsin(&["export", "--help"]).stdout);
    assert!(export.contains("[env: TOCSIN_STATIC="), "{export}");
    let incidents = text(&tocsin(&["incident", "list", "--help"]).stdout);
    assert!(incidents.contains("[env: TOCSIN_URL="), "{incidents}");
    assert!(incidents.contains("[env: TOCSIN_TOKEN"), "{incidents}");
}

/// `tocsin serve` with these variables (and none of the caller's `TOCSIN_*`), its standard
/// error read line by line.
fn serve_with(env: &[(&str, String)]) -> (Child, mpsc::UnboundedReceiver<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tocsin"));
    command.arg("serve");
    for (name, _) in std::env::vars() {
        if name.starts_with("TOCSIN_")
            || name.to_ascii_lowercase().ends_with("_proxy")
            || name == "NO_COLOR"
            || name == "RUST_LOG"
        {
            command.env_remove(name);
        }
    }
    let mut child = command
        .envs(crate::support::example_env())
        .envs(env.iter().map(|(name, value)| (*name, value)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start tocsin serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let (send, receive) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (child, receive)
}

/// Reads log lines until one holds `wanted`; every line read is kept in `seen`.
async fn line_with(
    lines: &mut mpsc::UnboundedReceiver<String>,
    seen: &mut Vec<String>,
    wanted: &str,
) -> String {
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.recv().await {
            seen.push(line.clone());
            if line.contains(wanted) {
                return line;
            }
        }
        panic!(
            "tocsin exited before logging `{wanted}`:\n{}",
            seen.join("\n")
        );
    })
    .await
    .unwrap_or_else(|_| panic!("no `{wanted}` within a minute:\n{}", seen.join("\n")))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test]
async fn flags_come_from_tocsin_variables_and_the_piped_log_is_plain_with_an_access_line() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "tocsin.toml",
        basic_config(&target, &sink, "1h", 1).as_bytes(),
    );
    let port = free_port();
    // No flag at all: the configuration and the address come from the environment; the log is
    // the default (pretty) one, written into a pipe.
    let (child, mut lines) = serve_with(&[
        ("TOCSIN_CONFIG", config.display().to_string()),
        ("TOCSIN_LISTEN", format!("127.0.0.1:{port}")),
    ]);
    let mut seen = Vec::new();
    let serving = line_with(&mut lines, &mut seen, "tocsin is serving").await;
    assert!(serving.contains(&format!("127.0.0.1:{port}")), "{serving}");

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let health = http
        .get(format!("{base}/healthz?token=query-secret-0123"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ack = http
        .get(format!("{base}/ack/path-secret-4567"))
        .send()
        .await
        .unwrap();
    let ack_status = ack.status().as_u16();
    let healthz_line = line_with(&mut lines, &mut seen, "path=/healthz").await;
    let ack_line = line_with(&mut lines, &mut seen, "path=/ack/").await;
    drop(child);

    assert!(healthz_line.contains("tocsin::access"), "{healthz_line}");
    assert!(healthz_line.contains("method=GET"), "{healthz_line}");
    assert!(healthz_line.contains("status=200"), "{healthz_line}");
    assert!(healthz_line.contains("client=127.0.0.1"), "{healthz_line}");
    assert!(healthz_line.contains("duration_ms="), "{healthz_line}");
    assert!(healthz_line.contains("bytes="), "{healthz_line}");
    assert!(
        ack_line.contains("path=/ack/{token}")
            && ack_line.contains(&format!("status={ack_status}")),
        "{ack_line}"
    );
    let log = seen.join("\n");
    assert!(!log.contains("query-secret"), "{log}");
    assert!(!log.contains("path-secret"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log:\n{log:?}"
    );
}

#[tokio::test]
async fn the_log_format_comes_from_tocsin_log_format() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "tocsin.toml",
        basic_config(&target, &sink, "1h", 1).as_bytes(),
    );
    let (child, mut lines) = serve_with(&[
        ("TOCSIN_CONFIG", config.display().to_string()),
        ("TOCSIN_LOG_FORMAT", "json".to_owned()),
    ]);
    let mut seen = Vec::new();
    let serving = line_with(&mut lines, &mut seen, "tocsin is serving").await;
    drop(child);
    let log: serde_json::Value = serde_json::from_str(&serving).expect("a JSON log line");
    assert_eq!(log["fields"]["message"], "tocsin is serving");
}

#[tokio::test]
async fn notifications_go_through_the_environment_proxy_and_probes_do_not() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let proxy = tocsin_testkit::RecordingProxy::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "tocsin.toml",
        basic_config(&target, &sink, "1s", 1).as_bytes(),
    );
    let (child, mut lines) = serve_with(&[
        ("TOCSIN_CONFIG", config.display().to_string()),
        ("HTTP_PROXY", proxy.url.clone()),
        ("HTTPS_PROXY", proxy.url.clone()),
    ]);
    let mut seen = Vec::new();
    line_with(&mut lines, &mut seen, "tocsin is serving").await;
    // The monitor fails, a SEV-1 opens, and the Slack page goes out — through the proxy.
    let slack = format!("{}/slack", sink.url);
    proxy
        .wait_until(Duration::from_secs(60), |seen| {
            seen.iter().any(|request| request.target == slack)
        })
        .await;
    sink.wait_until(Duration::from_secs(30), |received| {
        received.iter().any(|r| r.path == "/slack")
    })
    .await;
    drop(child);
    let through = proxy.seen();
    let page = through
        .iter()
        .find(|request| request.target == slack)
        .expect("the page");
    assert_eq!(page.method, "POST");
    // The probe measured the target itself, not the proxy's path to it.
    assert!(
        through
            .iter()
            .all(|request| !request.target.starts_with(&target.url)),
        "{through:#?}"
    );
}

#[tokio::test]
async fn metrics_show_the_build_and_the_process() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1h", 1)).await;
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let metrics = response.text().await.unwrap();
    let build = format!(
        "tocsin_build_info{{version=\"{}\",os=\"linux\",arch=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    );
    assert!(metrics.contains(&build), "{metrics}");
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {name}:\n{metrics}"))
    };
    assert!(value("process_resident_memory_bytes") > 1_000_000.0);
    assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
    assert!(value("process_cpu_seconds_total") > 0.0);
    assert!(value("process_open_fds") >= 3.0);
    assert!(value("process_max_fds") >= value("process_open_fds"));
    // Started after the tests' build, before now.
    assert!(value("process_start_time_seconds") > 1_700_000_000.0);
    assert!(metrics.contains("# TYPE process_cpu_seconds_total counter"));
}
