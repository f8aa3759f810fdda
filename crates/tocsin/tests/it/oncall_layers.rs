//! On-call completeness, end to end with the test clock: a two-layer schedule (a weekday day
//! shift over a 24/7 rotation) in Europe/Berlin across the March 2027 DST change names the right
//! person on both sides of every hand-off of the month — in `GET /api/v1/oncall`, in who is
//! paged and in the calendar feed — and a contact whose every method failed is escalated past at
//! once, long before the step's `after`.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::civil::{Date, Time, Weekday, date, time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};
use serde_json::{Value, json};

use crate::support::{Sink, TestApp};

const BERLIN: &str = "Europe/Berlin";
const SECOND: Duration = Duration::from_secs(1);

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

/// Each person's number, which the SMS relay receives as `to`.
const PEOPLE: [(&str, &str); 5] = [
    ("ana", "+4915000000001"),
    ("bo", "+4915000000002"),
    ("cy", "+4915000000003"),
    ("dee", "+4915000000004"),
    ("eli", "+4915000000005"),
];

fn config(sms: &Sink) -> String {
    let contacts: String = PEOPLE
        .iter()
        .map(|(id, phone)| {
            format!("[[contact]]\nid = \"{id}\"\nphone = \"{phone}\"\nmethods = [\"sms\"]\n\n")
        })
        .collect();
    format!(
        r#"[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{token}"

[org]
name = "Dealix"
timezone = "{BERLIN}"

[[severity]]
id = "SEV-1"
respond_within = "15m"

[[channel]]
id = "sms"
type = "webhook"
url = "{sms}/sms"

{contacts}
[[schedule]]
id = "primary"
timezone = "{BERLIN}"
layers = [
  {{ members = ["ana", "bo", "cy"], every = "1w", handoff = "mon 08:00" }},
  {{ members = ["dee", "eli"], every = "1d", handoff = "09:00", days = ["mon", "tue", "wed", "thu", "fri"], until = "17:00" }},
]

[[escalation]]
id = "primary"
steps = [{{ targets = ["schedule:primary"], after = "1h" }}]

[[route]]
category = "*"
escalation = "primary"
"#,
        token = crate::support::TOKEN,
        sms = sms.url,
    )
}

fn zone() -> TimeZone {
    TimeZone::get(BERLIN).unwrap()
}

/// Whole local days from 2024-01-01 (a Monday, where every rotation's count starts) to `day`,
/// one less before `handoff`'s time of day.
fn turn_days(day: Date, clock: Time, handoff: Time) -> i64 {
    let days = date(2024, 1, 1).until((Unit::Day, day)).unwrap().get_days();
    i64::from(days) - i64::from(clock < handoff)
}

/// The model of the schedule, from Berlin's wall clock alone: dee and eli take weekdays 09:00
/// to 17:00 a day each; otherwise ana, bo and cy take weeks from Monday 08:00.
fn model(at: Timestamp) -> &'static str {
    let here = at.to_zoned(zone());
    let (day, clock) = (here.date(), here.time());
    if WEEKDAYS.contains(&day.weekday()) && time(9, 0, 0, 0) <= clock && clock < time(17, 0, 0, 0) {
        ["dee", "eli"][turn_days(day, clock, time(0, 0, 0, 0)).rem_euclid(2) as usize]
    } else {
        let week = turn_days(day, clock, time(8, 0, 0, 0)).div_euclid(7);
        ["ana", "bo", "cy"][week.rem_euclid(3) as usize]
    }
}

fn berlin(day: Date, clock: Time) -> Timestamp {
    day.to_datetime(clock).to_zoned(zone()).unwrap().timestamp()
}

/// The model's hand-offs in March 2027: each Monday 08:00 and each weekday's 09:00 and 17:00.
fn march_handoffs() -> Vec<Timestamp> {
    let mut out = BTreeSet::new();
    let mut day = date(2027, 3, 1);
    while day < date(2027, 4, 1) {
        if day.weekday() == Weekday::Monday {
            out.insert(berlin(day, time(8, 0, 0, 0)));
        }
        if WEEKDAYS.contains(&day.weekday()) {
            out.insert(berlin(day, time(9, 0, 0, 0)));
            out.insert(berlin(day, time(17, 0, 0, 0)));
        }
        day = day.tomorrow().unwrap();
    }
    out.into_iter().collect()
}

fn phone(contact: &str) -> &'static str {
    PEOPLE
        .iter()
        .find(|(id, _)| *id == contact)
        .map(|(_, phone)| *phone)
        .unwrap()
}

fn at(value: &Value) -> Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

/// Declares an incident, returns whose number its page went to, and resolves it.
async fn paged(app: &TestApp, sms: &Sink) -> String {
    let before = sms.accepted().len();
    let (status, incident) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout down", "severity": "SEV-1", "category": "checkout" }),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    app.settle().await;
    let received = sms.accepted();
    assert_eq!(received.len(), before + 1, "one page per incident");
    let id = incident["id"].as_str().unwrap();
    let (status, _) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200);
    app.settle().await;
    received[before].body["to"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn two_layers_name_and_page_the_right_person_on_both_sides_of_every_handoff_of_a_month_across_dst()
 {
    let sms = Sink::start().await;
    let start = berlin(date(2027, 3, 1), time(0, 0, 0, 0));
    let app = TestApp::start_at(&config(&sms), start).await;
    let handoffs = march_handoffs();
    assert_ne!(
        zone().to_offset(handoffs[0]),
        zone().to_offset(handoffs[handoffs.len() - 1]),
        "the month crosses the DST change"
    );

    // The calendar feed of the next eight weeks: one event per stretch, each starting at a
    // hand-off and naming the person the model names.
    let (_, first) = app.get("/api/v1/oncall").await;
    let calendar = first["oncall"][0]["calendar"]
        .as_str()
        .unwrap()
        .replace("http://tocsin.test", &app.app.url());
    let ics = app.http.get(&calendar).send().await.unwrap();
    assert_eq!(ics.status().as_u16(), 200);
    let ics = ics.text().await.unwrap().replace("\r\n ", "");
    let starts: Vec<Timestamp> = ics
        .lines()
        .filter_map(|line| line.strip_prefix("DTSTART:"))
        .map(|text| jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", text).unwrap())
        .map(|parsed| parsed.to_datetime().unwrap().to_zoned(TimeZone::UTC))
        .map(|zoned| zoned.unwrap().timestamp())
        .collect();
    let in_march: Vec<Timestamp> = starts
        .iter()
        .copied()
        .filter(|start| handoffs[0] <= *start && *start <= handoffs[handoffs.len() - 1])
        .collect();
    assert_eq!(
        in_march, handoffs,
        "the feed's events start at the hand-offs"
    );
    let summaries: Vec<&str> = ics
        .lines()
        .filter_map(|line| line.strip_prefix("SUMMARY:On call: "))
        .collect();
    for (start, summary) in starts.iter().zip(&summaries) {
        assert!(
            summary.starts_with(model(*start)),
            "{start}: {summary} (expected {})",
            model(*start)
        );
    }

    for handoff in handoffs {
        let (outgoing, incoming) = (model(handoff - SECOND), model(handoff));
        app.clock.set(handoff - SECOND);
        app.settle().await;
        let (status, body) = app.get("/api/v1/oncall").await;
        assert_eq!(status, 200);
        let now = &body["oncall"][0];
        assert_eq!(now["now"], outgoing, "just before {handoff}: {now}");
        assert_eq!(at(&now["until"]), handoff, "{now}");
        assert_eq!(now["next"], incoming, "{now}");
        assert_eq!(
            paged(&app, &sms).await,
            phone(outgoing),
            "paged before {handoff}"
        );

        app.clock.set(handoff);
        app.settle().await;
        let (_, body) = app.get("/api/v1/oncall").await;
        let now = &body["oncall"][0];
        assert_eq!(now["now"], incoming, "at {handoff}: {now}");
        assert_eq!(at(&now["since"]), handoff, "{now}");
        assert_eq!(
            paged(&app, &sms).await,
            phone(incoming),
            "paged at {handoff}"
        );
    }
}

/// Ann's only method is an SMS relay that is gone (410) or not listening; Bo's works. The
/// response target is longer than the steps, so only a failed step can move the ladder early
/// (`page = true` keeps a 4-hour level paging).
fn failing_config(ann_relay: &str, bo_relay: &str) -> String {
    format!(
        r#"[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{token}"

[org]
name = "Dealix"
timezone = "{BERLIN}"

[[severity]]
id = "SEV-1"
respond_within = "4h"
page = true

[[channel]]
id = "ann-sms"
type = "webhook"
url = "{ann_relay}/sms"

[[channel]]
id = "bo-sms"
type = "webhook"
url = "{bo_relay}/sms"

[[contact]]
id = "ann"
name = "Ann"
phone = "+4915000000001"
methods = ["ann-sms"]

[[contact]]
id = "bo"
name = "Bo"
phone = "+4915000000002"
methods = ["bo-sms"]

[[escalation]]
id = "primary"
steps = [
  {{ targets = ["contact:ann"], after = "2h" }},
  {{ targets = ["contact:bo"], after = "2h" }},
]

[[route]]
category = "*"
escalation = "primary"
"#,
        token = crate::support::TOKEN,
    )
}

async fn declare(app: &TestApp) -> String {
    let (status, incident) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout down", "severity": "SEV-1" }),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    incident["id"].as_str().unwrap().to_owned()
}

async fn timeline_texts(app: &TestApp, id: &str) -> Vec<String> {
    let (_, body) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn a_contact_whose_relay_answers_410_is_escalated_past_at_once() {
    let (gone, bo) = (Sink::start().await, Sink::start().await);
    gone.answer(410);
    let app = TestApp::start(&failing_config(&gone.url, &bo.url)).await;
    let opened = app.now();
    let id = declare(&app).await;
    app.settle().await;
    assert_eq!(
        gone.received().len(),
        1,
        "Ann's page was tried once: 410 is final"
    );
    assert_eq!(bo.accepted().len(), 1, "Bo is paged at once, not after 2h");
    assert_eq!(bo.accepted()[0].body["to"], "+4915000000002");
    assert_eq!(app.now(), opened, "no simulated time passed");
    let texts = timeline_texts(&app, &id).await;
    assert!(
        texts.iter().any(|text| text.contains("Nobody at step 1")
            && text.contains("every page failed for good")
            && text.contains("Ann by ann-sms")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|text| text.contains("paging Bo")),
        "{texts:#?}"
    );
    // Nothing more until step 2's own `after`.
    app.advance(Duration::from_secs(3600), Duration::from_secs(600))
        .await;
    assert_eq!(bo.accepted().len(), 1);
}

#[tokio::test]
async fn a_contact_whose_relay_is_not_listening_is_escalated_past_once_its_retries_run_out() {
    // A port nothing listens on: bind, note it, close.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let bo = Sink::start().await;
    let app = TestApp::start(&failing_config(&closed, &bo.url)).await;
    let opened = app.now();
    let id = declare(&app).await;
    app.settle().await;
    assert!(
        bo.accepted().is_empty(),
        "Ann's page is still being retried"
    );
    let mut waited = Duration::ZERO;
    while bo.accepted().is_empty() && waited < Duration::from_secs(2 * 3600) {
        app.advance(Duration::from_secs(30), Duration::from_secs(30))
            .await;
        waited += Duration::from_secs(30);
    }
    assert_eq!(bo.accepted().len(), 1, "Bo was paged");
    let took = app.now().duration_since(opened);
    assert!(
        took < jiff::SignedDuration::from_hours(1),
        "long before the step's 2h: {took}"
    );
    let texts = timeline_texts(&app, &id).await;
    assert!(
        texts
            .iter()
            .any(|text| text.contains("Nobody at step 1") && text.contains("Ann by ann-sms")),
        "{texts:#?}"
    );
}
