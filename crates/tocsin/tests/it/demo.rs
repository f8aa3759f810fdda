//! `tocsin demo` as a newcomer runs it: break the sample app with the command it prints, see the
//! SEV-1 with the seed's runbook and its live facts, the pages by SMS and e-mail, the Arabic
//! customer notice and the status page; acknowledge through the SMS link, roll back from the
//! checklist's action, and see it resolve with its post-mortem draft due in 48 hours.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
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

/// What the demo printed at start.
struct Printed {
    url: String,
    break_command: String,
    heal_command: String,
    token: String,
}

fn parse(lines: &[String]) -> Printed {
    let after = |marker: &str| {
        let at = lines
            .iter()
            .position(|line| line.contains(marker))
            .unwrap_or_else(|| panic!("no line with {marker:?} in {lines:#?}"));
        lines[at + 1].trim().to_owned()
    };
    Printed {
        url: lines[0]
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .map(|word| word.trim_end_matches("/demo").to_owned())
            .expect("the first line has the URL"),
        break_command: after("from another terminal"),
        heal_command: after("heal it"),
        token: lines
            .iter()
            .find_map(|line| line.strip_prefix("API token for this run: "))
            .expect("the token line")
            .to_owned(),
    }
}

/// Runs a printed command as a person would paste it into a shell.
async fn run_as_printed(command: &str) -> std::process::Output {
    Command::new("sh")
        .args(["-c", command])
        .env_remove("TOCSIN_URL")
        .output()
        .await
        .expect("run the printed command")
}

#[tokio::test]
async fn the_demo_tells_the_whole_story_from_a_bad_deploy_to_the_postmortem() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the demo");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut lines = Vec::new();
    while let Some(line) = reader.next_line().await.expect("read") {
        let last = line.starts_with("Press Ctrl-C");
        lines.push(line);
        if last {
            break;
        }
    }
    let printed = parse(&lines);
    let url = printed.url.clone();
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let api = |path: &str| {
        http.get(format!("{url}{path}"))
            .bearer_auth(&printed.token)
            .send()
    };
    let page = http.get(format!("{url}/demo")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);

    // Break the app with the command exactly as printed: `tocsin` need not be on the PATH.
    let broke = run_as_printed(&printed.break_command).await;
    assert!(
        broke.status.success(),
        "{}: {}",
        printed.break_command,
        String::from_utf8_lossy(&broke.stderr)
    );

    // The on-call person is paged by SMS and e-mail; the customer gets the Arabic notice.
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
        let find = |medium: &str, to: &str, words: &str| {
            messages
                .iter()
                .find(|m| {
                    m["medium"] == medium
                        && m["to"] == to
                        && m["text"].as_str().is_some_and(|text| text.contains(words))
                })
                .cloned()
        };
        Some((
            find("sms", "+966500000000", "SEV-1 opened")?,
            find("email", "sami@dealix.example", "Incident opened")?,
            find(
                "email",
                "customer@dealix-customer.example",
                "نواجه مشكلة فنية مؤقتة في النظام. الفريق يعمل على حلها.",
            )?,
        ))
    };
    let (sms, email, notice) = eventually(Duration::from_secs(60), inbox).await;
    assert!(sms["ack_url"].is_string(), "{sms}");
    assert!(email["ack_url"].is_string(), "{email}");
    assert!(
        email["subject"]
            .as_str()
            .is_some_and(|s| s.contains("SEV-1")),
        "{email}"
    );
    assert_eq!(notice["lang"], "ar", "{notice}");
    assert_eq!(notice["rtl"], true, "the Arabic notice is right-to-left");

    // The SEV-1 carries the seed's runbook with its live facts.
    let open: Value = api("/api/v1/incidents?state=open")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = open["incidents"][0]["id"]
        .as_str()
        .expect("an open incident")
        .to_owned();
    let incident: Value = api(&format!("/api/v1/incidents/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(incident["severity"], "SEV-1");
    assert_eq!(incident["runbook"], "sev1-full-outage");
    let phases = incident["checklist"]["phases"].as_array().expect("phases");
    assert_eq!(phases[0]["title"], "Within 5 minutes");
    let facts: Vec<&Value> = phases
        .iter()
        .flat_map(|phase| phase["items"].as_array().into_iter().flatten())
        .flat_map(|item| item["facts"].as_array().into_iter().flatten())
        .collect();
    assert!(
        facts.iter().any(|f| f["kind"] == "monitor"
            && f["monitor"] == "api-health"
            && f["status"] == "down"),
        "the monitor is down since: {facts:?}"
    );
    let deploy = facts
        .iter()
        .find(|f| f["kind"] == "last_change" && f["change_kind"] == "deploy")
        .expect("the last deploy fact");
    assert!(
        deploy["change"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("Cache the pricing table")),
        "the bad deploy the break sent out: {deploy}"
    );
    assert_eq!(deploy["change"]["minutes_before"], 0, "{deploy}");
    assert_eq!(
        incident["first_five_minutes"]["flags"][0],
        "deployed less than a minute before"
    );
    let timeline: Value = api(&format!("/api/v1/incidents/{id}/timeline"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("paging Sami (sms, email)")),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("Nobody is paged")),
        "{texts:?}"
    );

    // The public status page shows it.
    let status = http
        .get(format!("{url}/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        status.contains(&format!("id=\"incident-{id}\"")),
        "{status}"
    );

    // Acknowledge from the SMS, then roll back from the checklist's action: the previous deploy
    // goes back, the app heals, the incident resolves.
    let acked = http
        .post(sms["ack_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(acked.status().as_u16(), 200);
    let run: Value = http
        .post(format!("{url}/api/v1/incidents/{id}/actions/rollback"))
        .bearer_auth(&printed.token)
        .json(&json!({ "confirm": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["status"], "succeeded", "{run}");
    assert!(
        run["output"]
            .as_str()
            .is_some_and(|out| out.contains("sample-app-v42")),
        "the rollback asks for the deploy before the bad one: {run}"
    );
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
    let state = eventually(Duration::from_secs(60), state).await;
    assert_eq!(state["healthy"], true);

    // Resolving wrote the post-mortem draft, due 48 hours after the resolution.
    let postmortem = || async {
        let postmortem: Value = api(&format!("/api/v1/postmortems/{id}"))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        postmortem["text"].is_string().then_some(postmortem)
    };
    let postmortem = eventually(Duration::from_secs(30), postmortem).await;
    let incident: Value = api(&format!("/api/v1/incidents/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resolved: jiff::Timestamp = incident["resolved_at"].as_str().unwrap().parse().unwrap();
    let due: jiff::Timestamp = postmortem["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due.duration_since(resolved).as_secs(), 48 * 3600);
    assert!(
        postmortem["text"]
            .as_str()
            .is_some_and(|text| text.contains("## Root cause")),
        "{postmortem}"
    );
    let html = http
        .get(format!("{url}/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/postmortems/{id}\"")),
        "the demo page links the draft"
    );

    // The heal command works as printed too.
    let healed = run_as_printed(&printed.heal_command).await;
    assert!(
        healed.status.success() && String::from_utf8_lossy(&healed.stdout).contains("200"),
        "{}: {}",
        printed.heal_command,
        String::from_utf8_lossy(&healed.stderr)
    );
    child.start_kill().unwrap();
}
