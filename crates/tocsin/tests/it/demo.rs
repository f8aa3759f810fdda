//! `tocsin demo` as a newcomer runs it: break the sample app, see the SEV-1 and its page in the
//! inbox, acknowledge through the link, heal, see it resolve.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Polls `check` until it yields a value; the demo runs on the real clock and offers no event
/// to wait on, so this is a bounded poll, failing after `limit`.
async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let wait = async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .expect("the demo did not get there in time")
}

#[tokio::test]
async fn the_demo_pages_on_a_broken_app_and_resolves_when_healed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines
        .next_line()
        .await
        .expect("read")
        .expect("the demo prints where to look");
    let url = first
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .map(|word| word.trim_end_matches("/demo").to_owned())
        .expect("a URL");
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(format!("{url}/demo")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);

    // Break the app the way the README says.
    let broke = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["demo", "break", "--url", &url])
        .output()
        .unwrap();
    assert!(
        broke.status.success(),
        "{}",
        String::from_utf8_lossy(&broke.stderr)
    );

    let inbox = || async {
        let inbox: Value = http
            .get(format!("{url}/demo/inbox"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let messages = inbox["messages"].as_array()?.clone();
        (!messages.is_empty()).then_some(messages)
    };
    let messages = eventually(Duration::from_secs(60), inbox).await;
    assert!(
        messages[0]["text"].as_str().unwrap().contains("SEV-1"),
        "{messages:?}"
    );
    let ack = messages[0]["ack_url"]
        .as_str()
        .expect("the page carries an acknowledge link")
        .to_owned();
    let acked = http.post(&ack).send().await.unwrap();
    assert_eq!(acked.status().as_u16(), 200);

    let healed = http.post(format!("{url}/demo/heal")).send().await.unwrap();
    assert!(healed.status().is_redirection());
    let state = || async {
        let state: Value = http
            .get(format!("{url}/demo/state"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (state["open_incidents"] == 0).then_some(state)
    };
    eventually(Duration::from_secs(60), state).await;
    let html = http
        .get(format!("{url}/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("resolved"),
        "the demo page shows the resolved incident"
    );
    child.start_kill().unwrap();
}
