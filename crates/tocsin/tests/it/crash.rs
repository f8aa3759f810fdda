//! The real binary, killed and restarted: nothing committed is lost, nothing is sent twice.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::{Sink, Target, basic_config};

/// Starts `tocsin serve` and waits until it says it is serving; returns the child and its URL.
pub async fn serve(config: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["--log-format", "json", "serve", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "info")
        .envs(crate::support::example_env())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start tocsin serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            let log = serde_json::from_str::<serde_json::Value>(&line).unwrap_or_default();
            if log["fields"]["message"] == "tocsin is serving" {
                return log["fields"]["url"].as_str().expect("url").to_owned();
            }
        }
        panic!("tocsin exited before serving");
    })
    .await
    .expect("tocsin serves within a minute");
    // Keep draining its logs so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// Sends the named signal (`TERM`, `STOP`, `CONT`…) to a running server.
pub async fn signal(server: &Child, name: &str) {
    let pid = server.id().expect("pid");
    let sent = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .await
        .expect("run kill");
    assert!(sent.success(), "kill -{name} {pid}");
}

/// Stops a server with SIGTERM and checks that it stopped cleanly.
pub async fn stop_with_sigterm(mut server: Child) {
    signal(&server, "TERM").await;
    let status = server.wait().await.unwrap();
    assert!(status.success(), "SIGTERM stops tocsin cleanly: {status}");
}

/// A `GET` of a running server's API as the admin, its JSON answer.
pub async fn get_json(base: &str, path: &str) -> serde_json::Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn kill_9_with_a_page_pending_then_restart_delivers_it_exactly_once() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    sink.answer(503);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tocsin.toml");
    std::fs::write(&config, basic_config(&target, &sink, "1s", 1)).unwrap();

    let (mut first, _) = serve(&config, &[]).await;
    // The page was attempted and refused: it is pending in the outbox.
    sink.wait_until(Duration::from_secs(30), |received| !received.is_empty())
        .await;
    first.start_kill().expect("kill -9");
    first.wait().await.unwrap();

    sink.answer(200);
    let (second, _) = serve(&config, &[]).await;
    sink.wait_until(Duration::from_secs(60), |received| {
        received.iter().any(|r| r.answered == 200)
    })
    .await;

    // SIGTERM: a graceful stop, which waits for the sends in flight to be recorded.
    stop_with_sigterm(second).await;

    // Ask the server itself, restarted on the same database: one delivery, sent. (Asked of the
    // second server, the answer could come before its record of the 200 is committed: reads
    // never wait for the writer.)
    let (third, url) = serve(&config, &[]).await;
    let deliveries = get_json(&url, "/api/v1/deliveries").await;
    let deliveries = deliveries["deliveries"].as_array().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
    assert_eq!(deliveries[0]["status"], "sent");
    stop_with_sigterm(third).await;

    assert_eq!(
        sink.accepted().len(),
        1,
        "delivered exactly once across the crash"
    );
}

/// The release binary's whole RSS is checked by `scripts/check-rss` (CI runs it); here, in a
/// debug build whose relocated code pages alone take ~27 MB, the memory tocsin itself
/// allocates (anonymous: heap and stacks) must stay far below that budget.
#[tokio::test]
async fn idle_with_the_example_configuration_its_own_memory_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/tocsin.example.toml");
    let database = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    let (mut child, url) = serve(&example, &["--database", &database]).await;
    let health = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let pid = child.id().expect("pid");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let rss_kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("RssAnon:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("RssAnon");
    child.start_kill().unwrap();
    assert!(
        rss_kb < 15 * 1024,
        "anonymous RSS {rss_kb} kB is over 15 MB"
    );
}

/// A running server commits pings on its committer thread: a burst of concurrent pings over
/// three monitors is answered 200 and brings each up, a failure ping takes a fourth down and
/// opens its incident, and all of it is on disk after a clean stop and a restart.
#[tokio::test]
async fn a_burst_of_pings_on_a_running_server_is_on_disk_and_a_failure_ping_opens_its_incident() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tocsin.toml");
    let mut text = basic_config(&target, &sink, "1h", 1);
    for monitor in 0..4 {
        text += &format!(
            r#"
[[monitor]]
id = "job-{monitor}"
type = "heartbeat"
key = "burst-heartbeat-key-{monitor}"
every = "1h"
severity = "SEV-2"
"#
        );
    }
    std::fs::write(&config, text).unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let (server, url) = serve(&config, &[]).await;
    let senders: Vec<_> = (0..32)
        .map(|sender| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                for ping in 0..10 {
                    let key = (sender + ping) % 3;
                    let answer = http
                        .post(format!("{url}/ping/burst-heartbeat-key-{key}"))
                        .send()
                        .await
                        .expect("ping");
                    assert_eq!(answer.status().as_u16(), 200);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.expect("a sender panicked");
    }
    let failed = http
        .post(format!("{url}/ping/burst-heartbeat-key-3/fail"))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status().as_u16(), 200);
    stop_with_sigterm(server).await;

    let (server, url) = serve(&config, &[]).await;
    let monitors = get_json(&url, "/api/v1/monitors").await;
    let status = |id: &str| {
        monitors["monitors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|monitor| monitor["id"] == id)
            .map(|monitor| monitor["status"].clone())
    };
    for id in ["job-0", "job-1", "job-2"] {
        assert_eq!(status(id), Some("up".into()), "{id}: {monitors:#}");
    }
    assert_eq!(status("job-3"), Some("down".into()), "{monitors:#}");
    let incidents = get_json(&url, "/api/v1/incidents").await;
    let incidents = incidents["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(incidents[0]["state"], "triggered");
    stop_with_sigterm(server).await;
}
