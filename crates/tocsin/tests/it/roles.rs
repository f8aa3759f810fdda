//! Running an incident together, end to end: roles assigned through the API, the UI (a form and
//! one-click "Take over") and the CLI, on the timeline; merging one incident into another (both
//! timelines kept, its alerts' later signals join the target, its pages stop); snoozing an
//! acknowledged incident until a time, with the clock fast-forwarded past it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tocsin_store::Role;

use crate::support::{Sink, TOKEN, TestApp};
use crate::ui::{Browser, add_user, csrf};

const ROUTING_KEY: &str = "pd-routing-key-0123456789";
const MINUTE: Duration = Duration::from_secs(60);

fn config(slack: &Sink, sms: &Sink) -> String {
    format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-alerts"]

[[contact]]
id = "ann"
name = "Ann"
phone = "+966500000001"
methods = ["sms"]

[[contact]]
id = "bo"
name = "Bo"
phone = "+966500000002"
methods = ["sms"]

[[escalation]]
id = "backend"
steps = [
  {{ targets = ["contact:ann"], after = "5m" }},
  {{ targets = ["contact:bo"], after = "5m" }},
]

[[route]]
category = "backend"
escalation = "backend"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{slack}/slack"

[[channel]]
id = "sms"
type = "webhook"
url = "{sms}/sms"

[[integration]]
id = "events"
type = "pagerduty"
key = "{ROUTING_KEY}"
category = "backend"
severity_map = {{ critical = "SEV-1" }}
"#,
        slack = slack.url,
        sms = sms.url,
    )
}

struct World {
    app: TestApp,
    sms: Sink,
    _slack: Sink,
}

async fn world() -> World {
    let (slack, sms) = (Sink::start().await, Sink::start().await);
    let app = TestApp::start(&config(&slack, &sms)).await;
    World {
        app,
        sms,
        _slack: slack,
    }
}

impl World {
    /// A PagerDuty event for `key`; the incident it opened, joined or resolved.
    async fn event(&self, action: &str, key: &str) -> Option<String> {
        let response = self
            .app
            .http
            .post(self.app.url("/v2/enqueue"))
            .json(&json!({
                "routing_key": ROUTING_KEY,
                "event_action": action,
                "dedup_key": key,
                // Its own component: alerts of one component group into one incident.
                "payload": { "summary": format!("{key} is failing"), "source": "k8s", "severity": "critical", "component": key },
            }))
            .send()
            .await
            .expect("POST the event");
        assert_eq!(response.status(), 202);
        self.app.settle().await;
        self.app
            .incidents("all")
            .await
            .iter()
            .find(|incident| incident["title"] == format!("{key} is failing"))
            .and_then(|incident| incident["id"].as_str().map(str::to_owned))
    }

    async fn incident(&self, id: &str) -> Value {
        let (status, body) = self.app.get(&format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn timeline(&self, id: &str) -> Vec<Value> {
        let (status, body) = self
            .app
            .get(&format!("/api/v1/incidents/{id}/timeline"))
            .await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().cloned().unwrap_or_default()
    }

    /// How long each incident's timeline is, with its state.
    async fn lengths(&self, ids: &[&String]) -> Vec<(usize, Value)> {
        let mut lengths = Vec::new();
        for id in ids {
            let state = self.incident(id).await["state"].clone();
            lengths.push((self.timeline(id).await.len(), state));
        }
        lengths
    }

    /// How many SMS pages have gone out so far.
    fn texts(&self) -> usize {
        self.sms.accepted().len()
    }
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|event| event["kind"] == kind)
        .collect()
}

#[tokio::test]
async fn roles_are_assigned_through_the_api_on_the_timeline_and_a_bad_one_changes_nothing() {
    let w = world().await;
    add_user(&w.app, "dana@example.com", Role::Responder).await;
    let id = w.event("trigger", "checkout-500s").await.expect("opened");

    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/incidents/{id}/roles"),
            json!({ "role": "commander", "user": "ann" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["roles"]["commander"],
        json!({ "id": "ann", "name": "Ann", "kind": "contact" })
    );
    assert_eq!(body["roles"]["scribe"], Value::Null);

    // A tocsin user by e-mail, in any case: the contact Ann hands over to Dana.
    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/incidents/{id}/roles"),
            json!({ "role": "commander", "user": "Dana@Example.com" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roles"]["commander"]["id"], "dana@example.com");
    assert_eq!(body["roles"]["commander"]["kind"], "user");
    let events = w.timeline(&id).await;
    let assigned = of_kind(&events, "role_assigned");
    assert_eq!(assigned.len(), 2, "{events:?}");
    assert_eq!(assigned[0]["data"]["role"], "commander");
    assert_eq!(assigned[0]["data"]["user"], "ann");
    assert_eq!(assigned[0]["data"]["from"], Value::Null);
    assert_eq!(assigned[1]["data"]["user"], "dana@example.com");
    assert_eq!(assigned[1]["data"]["from"], "ann");
    assert!(
        assigned[1]["text"]
            .as_str()
            .is_some_and(|text| text.contains("handed over from Ann")),
        "{}",
        assigned[1]
    );

    // Bad requests say what was wrong and change nothing.
    for (body, says) in [
        (
            json!({ "role": "boss", "user": "ann" }),
            "unknown role `boss`",
        ),
        (
            json!({ "role": "scribe", "user": "nobody@example.com" }),
            "nobody is `nobody@example.com`",
        ),
        (
            json!({ "role": "commander", "user": "dana@example.com" }),
            "already the incident commander",
        ),
    ] {
        let (status, answer) = w
            .app
            .post(&format!("/api/v1/incidents/{id}/roles"), body)
            .await;
        assert_eq!(status, 400, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message}");
    }
    let (status, _) = w
        .app
        .post(
            "/api/v1/incidents/no-such-incident/roles",
            json!({ "role": "scribe", "user": "ann" }),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(w.timeline(&id).await.len(), events.len(), "nothing changed");
    let shown = w.incident(&id).await;
    assert_eq!(shown["roles"]["commander"]["id"], "dana@example.com");
    assert_eq!(shown["roles"]["scribe"], Value::Null);
}

#[tokio::test]
async fn a_responder_takes_over_with_one_click_assigns_with_the_form_and_snoozes_from_the_page() {
    let w = world().await;
    add_user(&w.app, "dana@example.com", Role::Responder).await;
    let id = w.event("trigger", "checkout-500s").await.expect("opened");
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/incidents/{id}/roles"),
            json!({ "role": "commander", "user": "ann" }),
        )
        .await;
    assert_eq!(status, 200);

    let mut browser = Browser::signed_in(&w.app, "dana@example.com").await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"id="role-commander""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"id="take-over-commander""#));
    assert!(page.body.contains(r#"id="role-form""#));
    assert!(page.body.contains(r#"id="merge-form""#));
    let token = csrf(&page.body);

    let taken = browser
        .post(
            &format!("/incidents/{id}/roles"),
            &[
                ("csrf", token.as_str()),
                ("role", "commander"),
                ("take_over", "true"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    assert_eq!(
        taken.location.as_deref(),
        Some(format!("/incidents/{id}?done=role").as_str())
    );
    let shown = w.incident(&id).await;
    assert_eq!(shown["roles"]["commander"]["id"], "dana@example.com");
    let events = w.timeline(&id).await;
    let handed = of_kind(&events, "role_assigned");
    let last = handed.last().expect("a role_assigned event");
    assert_eq!(last["actor"], "dana@example.com");
    assert_eq!(last["data"]["from"], "ann");
    assert_eq!(
        last["text"],
        "dana@example.com took over as incident commander from Ann"
    );
    let page = browser.get(&format!("/incidents/{id}?done=role")).await;
    assert!(
        !page.body.contains(r#"id="take-over-commander""#),
        "no take-over of one's own role"
    );
    assert!(page.body.contains("took over as incident commander"));

    let assigned = browser
        .post(
            &format!("/incidents/{id}/roles"),
            &[("csrf", token.as_str()), ("role", "scribe"), ("user", "bo")],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    assert_eq!(w.incident(&id).await["roles"]["scribe"]["name"], "Bo");
    let refused = browser
        .post(
            &format!("/incidents/{id}/roles"),
            &[
                ("csrf", token.as_str()),
                ("role", "communications"),
                ("user", "nobody"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains(r#"id="problem""#), "{}", refused.body);
    assert_eq!(
        w.incident(&id).await["roles"]["communications"],
        Value::Null
    );

    // Snoozing from the page: only once acknowledged.
    let early = browser
        .post(
            &format!("/incidents/{id}/snooze"),
            &[("csrf", token.as_str()), ("for", "2h")],
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    let acked = browser
        .post(
            &format!("/incidents/{id}/acknowledge"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert!(page.body.contains(r#"id="snooze""#), "{}", page.body);
    let snoozed = browser
        .post(
            &format!("/incidents/{id}/snooze"),
            &[("csrf", token.as_str()), ("for", "2h")],
        )
        .await;
    assert_eq!(snoozed.status, StatusCode::SEE_OTHER, "{}", snoozed.body);
    let shown = w.incident(&id).await;
    let until: jiff::Timestamp = shown["snoozed_until"]
        .as_str()
        .expect("snoozed")
        .parse()
        .expect("a time");
    assert_eq!(until, w.app.now() + jiff::SignedDuration::from_hours(2));
    let page = browser.get(&format!("/incidents/{id}?done=snoozed")).await;
    assert!(page.body.contains(r#"id="snoozed""#), "{}", page.body);
}

#[tokio::test]
async fn merging_keeps_both_timelines_moves_the_alerts_and_stops_the_merged_ones_pages() {
    let w = world().await;
    let target = w.event("trigger", "checkout-500s").await.expect("opened");
    let merged = w
        .event("trigger", "payments-timeouts")
        .await
        .expect("opened");
    assert_ne!(target, merged);
    assert_eq!(w.texts(), 2, "each pages Ann");
    // The target is being handled; the other is still paging up its ladder.
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/incidents/{target}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/incidents/{merged}/merge"),
            json!({ "into": target }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], merged.as_str());
    assert_eq!(body["merged_into"], target.as_str());
    assert_eq!(body["state"], "resolved");
    assert_eq!(body["paging"], false);

    // Its own timeline: its events and "merged into"; the target's: both.
    let own = w.timeline(&merged).await;
    assert!(own.iter().all(|event| event["incident"] == merged.as_str()));
    let merged_event = of_kind(&own, "merged");
    assert_eq!(merged_event.len(), 1);
    assert_eq!(
        merged_event[0]["text"],
        format!("Merged into {target} by admin")
    );
    let both = w.timeline(&target).await;
    assert!(
        both.iter()
            .any(|event| event["incident"] == merged.as_str() && event["kind"] == "opened")
    );
    assert!(of_kind(&both, "merged").iter().any(|event| {
        event["incident"] == target.as_str()
            && event["text"]
                .as_str()
                .is_some_and(|text| text.starts_with(&format!("{merged} merged in")))
    }));
    let shown = w.incident(&target).await;
    assert_eq!(shown["merged"], json!([merged]));
    assert_eq!(shown["alert_count"], 2);
    let keys: Vec<&str> = shown["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|alert| alert["dedup_key"].as_str())
        .collect();
    assert!(keys.contains(&"events:payments-timeouts"), "{keys:?}");

    // The merged incident's ladder stopped: nobody is paged for it again.
    w.app.advance(15 * MINUTE, MINUTE).await;
    assert_eq!(w.texts(), 2, "{:?}", w.sms.accepted());

    // A later signal with its key joins the target; clearing both keys resolves the target.
    assert_eq!(
        w.event("trigger", "payments-timeouts").await.as_deref(),
        Some(merged.as_str()),
        "its title still names the merged incident"
    );
    assert_eq!(w.app.incidents("open").await.len(), 1, "no new incident");
    w.event("resolve", "payments-timeouts").await;
    assert_eq!(w.incident(&target).await["state"], "acknowledged");
    w.event("resolve", "checkout-500s").await;
    assert_eq!(w.incident(&target).await["state"], "resolved");
    assert_eq!(w.incident(&merged).await["merged_into"], target.as_str());
}

#[tokio::test]
async fn a_merge_that_cannot_be_is_refused_with_why_and_changes_nothing() {
    let w = world().await;
    let a = w.event("trigger", "checkout-500s").await.expect("opened");
    let b = w
        .event("trigger", "payments-timeouts")
        .await
        .expect("opened");
    let c = w.event("trigger", "search-slow").await.expect("opened");
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/incidents/{b}/merge"),
            json!({ "into": a }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = w
        .app
        .post(&format!("/api/v1/incidents/{c}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200);
    let before = w.lengths(&[&a, &b, &c]).await;

    for (from, into, code, says) in [
        (&a, &a, 400, "into itself"),
        (
            &a,
            &"no-such".to_owned(),
            400,
            "no incident with id `no-such`",
        ),
        (&a, &b, 409, "merged"),
        (&b, &a, 409, "merged"),
        (&a, &c, 409, "resolved"),
        (&c, &a, 409, "resolved"),
    ] {
        let (status, body) = w
            .app
            .post(
                &format!("/api/v1/incidents/{from}/merge"),
                json!({ "into": into }),
            )
            .await;
        assert_eq!(status, code, "{from} into {into}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{from} into {into}: {message}");
    }
    let after = w.lengths(&[&a, &b, &c]).await;
    assert_eq!(before, after, "no timeline changed");
    assert_eq!(w.incident(&a).await["state"], "triggered");
}

#[tokio::test]
async fn a_snoozed_incident_is_paged_again_from_the_first_step_when_the_snooze_ends() {
    let w = world().await;
    let id = w.event("trigger", "checkout-500s").await.expect("opened");
    let snooze = |until: jiff::Timestamp| {
        let app = &w.app;
        let id = id.clone();
        async move {
            app.post(
                &format!("/api/v1/incidents/{id}/snooze"),
                json!({ "until": until }),
            )
            .await
        }
    };
    let hour = jiff::SignedDuration::from_hours(1);
    let (status, body) = snooze(w.app.now() + hour).await;
    assert_eq!(status, 409, "not acknowledged yet: {body}");
    let (status, _) = w
        .app
        .post(&format!("/api/v1/incidents/{id}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 200);
    for until in [
        w.app.now() - hour,
        w.app.now() + jiff::SignedDuration::from_hours(8 * 24),
    ] {
        let (status, body) = snooze(until).await;
        assert_eq!(status, 400, "{body}");
    }
    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/incidents/{id}/snooze"),
            json!({ "until": w.app.now() + hour, "for": "1h" }),
        )
        .await;
    assert_eq!(status, 400, "both: {body}");
    assert_eq!(w.incident(&id).await["snoozed_until"], Value::Null);

    let (status, body) = snooze(w.app.now() + hour).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "acknowledged");
    let paged = w.texts();
    assert_eq!(paged, 1);

    // Just before the end nothing happens; at the end it is un-acknowledged and paged again.
    w.app.advance(59 * MINUTE, MINUTE).await;
    assert_eq!(w.texts(), paged);
    assert_eq!(w.incident(&id).await["state"], "acknowledged");
    w.app.advance(MINUTE, MINUTE).await;
    let shown = w.incident(&id).await;
    assert_eq!(shown["state"], "triggered");
    assert_eq!(shown["acknowledged_by"], Value::Null);
    assert_eq!(shown["snoozed_until"], Value::Null);
    assert_eq!(shown["escalation_step"], 1, "from the first step");
    let texts = w.sms.accepted();
    assert_eq!(texts.len(), paged + 1);
    assert_eq!(texts[paged].body["to"], "+966500000001", "Ann, step 1");
    let events = w.timeline(&id).await;
    assert_eq!(of_kind(&events, "snooze_ended").len(), 1);
    // And the ladder moves on as before.
    w.app.advance(5 * MINUTE, MINUTE).await;
    assert_eq!(w.texts(), paged + 2);

    // Resolving ends a snooze: nothing wakes up later.
    let other = w
        .event("trigger", "payments-timeouts")
        .await
        .expect("opened");
    let (status, _) = w
        .app
        .post(&format!("/api/v1/incidents/{other}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/incidents/{other}/snooze"),
            json!({ "for": "30m" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = w
        .app
        .post(&format!("/api/v1/incidents/{other}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200);
    w.app.advance(40 * MINUTE, 5 * MINUTE).await;
    assert!(of_kind(&w.timeline(&other).await, "snooze_ended").is_empty());
    assert_eq!(w.incident(&other).await["snoozed_until"], Value::Null);
}

#[tokio::test]
async fn the_command_line_assigns_roles_merges_and_snoozes() {
    let w = world().await;
    let a = w.event("trigger", "checkout-500s").await.expect("opened");
    let b = w
        .event("trigger", "payments-timeouts")
        .await
        .expect("opened");
    let url = w.app.app.url();
    let run = |args: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
                .arg("incident")
                .args(["--url", &url, "--token", TOKEN])
                .args(args)
                .env_remove("TOCSIN_URL")
                .env_remove("TOCSIN_TOKEN")
                .output()
                .expect("run tocsin")
        })
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    let role = run(vec![
        "role".into(),
        a.clone(),
        "commander".into(),
        "ann".into(),
    ])
    .await
    .expect("ran");
    assert!(role.status.success(), "{}", text(&role.stderr));
    assert!(
        text(&role.stdout).contains("commander:    Ann (ann)"),
        "{}",
        text(&role.stdout)
    );
    let unknown = run(vec!["role".into(), a.clone(), "boss".into(), "ann".into()])
        .await
        .expect("ran");
    assert_eq!(unknown.status.code(), Some(1), "a refused action exits 1");
    assert!(text(&unknown.stderr).contains("unknown role `boss`"));

    let early = run(vec![
        "snooze".into(),
        a.clone(),
        "--for".into(),
        "2h".into(),
    ])
    .await
    .expect("ran");
    assert_eq!(early.status.code(), Some(1), "not acknowledged yet");
    let usage = run(vec!["snooze".into(), a.clone()]).await.expect("ran");
    assert_eq!(usage.status.code(), Some(2), "--until or --for is required");
    let (status, _) = w
        .app
        .post(&format!("/api/v1/incidents/{a}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 200);
    let snoozed = run(vec![
        "snooze".into(),
        a.clone(),
        "--for".into(),
        "2h".into(),
    ])
    .await
    .expect("ran");
    assert!(snoozed.status.success(), "{}", text(&snoozed.stderr));
    assert!(text(&snoozed.stdout).contains("snoozed until:"));
    let until = (w.app.now() + jiff::SignedDuration::from_hours(3)).to_string();
    let moved = run(vec![
        "snooze".into(),
        a.clone(),
        "--until".into(),
        until.clone(),
    ])
    .await
    .expect("ran");
    assert!(moved.status.success(), "{}", text(&moved.stderr));
    assert_eq!(w.incident(&a).await["snoozed_until"], until.as_str());

    let merged = run(vec!["merge".into(), b.clone(), "--into".into(), a.clone()])
        .await
        .expect("ran");
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert!(
        text(&merged.stdout).contains(&format!("merged into:  {a}")),
        "{}",
        text(&merged.stdout)
    );
    let shown = run(vec!["show".into(), a.clone()]).await.expect("ran");
    assert!(
        text(&shown.stdout).contains(&format!("{b} merged in")),
        "{}",
        text(&shown.stdout)
    );
}
