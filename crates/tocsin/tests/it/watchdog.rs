//! `[watchdog]`: the real binary pings an outside check every `every`; after kill -9 the pings
//! stop, which is how the outside check learns tocsin is dead.

use std::time::Duration;

use tocsin_testkit::HttpSink;

use crate::crash::serve;

/// A live tocsin pings once a second here; a dead one never again.
const EVERY: Duration = Duration::from_secs(1);

fn config(watchdog_url: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"

[watchdog]
url = "{watchdog_url}"
every = "1s"
"#
    )
}

#[tokio::test]
async fn pings_arrive_every_period_and_stop_after_kill_9() {
    let check = HttpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    let url = format!("{}/ping/0f6c2e4e-watchdog", check.url);
    std::fs::write(&path, config(&url)).unwrap();

    let (mut tocsin, _) = serve(&path, &[]).await;
    // Pings keep coming: three of them, each a GET of the configured URL.
    check
        .wait_until(Duration::from_secs(30), |received| received.len() >= 3)
        .await;
    for ping in check.received() {
        assert_eq!(ping.method, "GET");
        assert_eq!(ping.path, "/ping/0f6c2e4e-watchdog");
    }

    let before_kill = check.received().len();
    tocsin.start_kill().expect("kill -9");
    tocsin.wait().await.expect("reaped");

    // Dead and reaped, tocsin can send nothing new; at most one ping it had already written to
    // its socket when it died may still be read by the sink. A live tocsin would have sent
    // about five more in this window, so the bound tells the two apart without depending on
    // timing: the wait ends early (and the test fails) the moment a second ping arrives.
    let window = EVERY * 5;
    let more = check
        .wait_for(window, |received| received.len() > before_kill + 1)
        .await;
    assert!(
        !more,
        "pings kept arriving after kill -9: {} before, {} after",
        before_kill,
        check.received().len()
    );
}
