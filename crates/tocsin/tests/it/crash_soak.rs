//! The crash-consistency soak: the real `tocsin serve` on one SQLite file under a mixed workload
//! (signals, acknowledgements, escalations, probes, heartbeat pings, sign-ins), killed with
//! SIGKILL at a random moment, restarted on the same file, and checked, round after round.
//!
//! After each kill: the file passes `PRAGMA integrity_check`; after the restart every signal that
//! was answered 2xx has its incident, every acknowledgement answered 200 holds, every session
//! handed out still signs its browser in, the heartbeat shows the last ping answered (or the one
//! in flight), and no due work is lost: the outbox's pending messages arrive, every
//! unacknowledged incident's next escalation step pages its person, the monitor is probed again.
//! No page goes out twice, but for a send in flight at a kill, and then with the same
//! `webhook-id` (the delivery id, the receiver's idempotency key).
//!
//! `TOCSIN_CRASH_SOAK_ROUNDS` says how many kills (default 3, what CI runs inside `cargo test`);
//! `scripts/crash-soak` runs 30. `TOCSIN_CRASH_SOAK_SEED` replays a run's choices (which event
//! triggers the kill, how many of them, the delay after it, the workload's mix); the seed is
//! printed first. The interleaving with the server's own threads is not replayable.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::crash::serve;
use crate::support::{Sink, TOKEN};
use tocsin_testkit::Received;

const ROUTING_KEY: &str = "CRASHSOAK0ROUTING0KEY00000000000";
const AM_TOKEN: &str = "crash-soak-alertmanager-token-01";
const HEARTBEAT_KEY: &str = "crash-soak-heartbeat-key-0001";
const PASSWORD: &str = "correct horse battery staple";
const USERS: [&str; 2] = ["dana@example.com", "omar@example.com"];
/// Signals sent per round at most (the kill usually comes first).
const SIGNALS_PER_ROUND: usize = 24;
/// Incidents per escalation policy: each policy pages its own two people, so nobody gets more
/// than this many SMS in the soak, below the per-contact throttle (5 per 15 minutes) that would
/// otherwise hold pages back and hide whether a timer was lost.
const INCIDENTS_PER_POLICY: usize = 4;
/// The longest any awaited event may take before the round fails.
const LIMIT: Duration = Duration::from_secs(60);

/// Step 1 of policy `policy` pages this phone; step 2 (two seconds later) the other.
fn phone(step: u8, policy: usize) -> String {
    format!("+9665{step}{policy:07}")
}

fn config(db: &Path, pages: &Sink, notices: &Sink, target: &Sink, policies: usize) -> String {
    let mut text = format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://{db}"
admin_token = "{TOKEN}"

[org]
name = "Dealix"

[[severity]]
id = "SEV-2"
respond_within = "1h"
notify = ["notices"]

[[channel]]
id = "notices"
type = "webhook"
url = "{notices}/notice"

[[channel]]
id = "sms"
type = "webhook"
url = "{pages}/sms"

[[integration]]
id = "events"
type = "pagerduty"
key = "{ROUTING_KEY}"
severity = "SEV-2"
category = "events"

[[integration]]
id = "am"
type = "alertmanager"
token = "{AM_TOKEN}"
severity = "SEV-2"

[[monitor]]
id = "target"
type = "http"
url = "{target}/healthz"
interval = "1s"
timeout = "1s"
confirm = 1
severity = "SEV-2"
category = "probes"

[[monitor]]
id = "nightly-job"
type = "heartbeat"
key = "{HEARTBEAT_KEY}"
every = "1h"
severity = "SEV-2"
category = "probes"
"#,
        db = db.display(),
        notices = notices.url,
        pages = pages.url,
        target = target.url,
    );
    // Alertmanager signals name their policy's category; PagerDuty's ("events") and the
    // monitors' ("probes") have no route, so they notify the channel and page nobody.
    for policy in 0..policies {
        text += &format!(
            r#"
[[contact]]
id = "first-{policy}"
name = "First {policy}"
phone = "{first}"
methods = ["sms"]

[[contact]]
id = "second-{policy}"
name = "Second {policy}"
phone = "{second}"
methods = ["sms"]

[[escalation]]
id = "p{policy}"
repeat = 0
steps = [
  {{ targets = ["contact:first-{policy}"], after = "2s" }},
  {{ targets = ["contact:second-{policy}"], after = "1h" }},
]

[[route]]
category = "p{policy}"
escalation = "p{policy}"
"#,
            first = phone(0, policy),
            second = phone(1, policy),
        );
    }
    text
}

/// What the workload was answered in one server's life: only what a 2xx (or a 303 sign-in)
/// promised counts.
#[derive(Debug, Default, Clone)]
struct Life {
    /// The component (one per signal, so one incident each) of every signal answered 2xx.
    signals: Vec<String>,
    /// Incidents whose acknowledgement was answered 200.
    acks: Vec<String>,
    /// Session cookies handed out by a 303 from `/login`.
    sessions: Vec<String>,
    /// Sign-ins answered at all (303, or refused by a limit).
    sign_ins: usize,
    /// Pings answered 200; whether the last one answered was a success, and whether one is in
    /// flight (and is a success).
    pings: usize,
    last_ping: Option<bool>,
    ping_in_flight: Option<bool>,
}

/// The event after which the server is killed (and how many of them).
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Signals(usize),
    Pages(usize),
    Acks(usize),
    Pings(usize),
    SignIns(usize),
}

impl Trigger {
    fn pick(rng: &mut StdRng) -> Trigger {
        match rng.random_range(0..5) {
            0 | 1 => Trigger::Signals(rng.random_range(1..=SIGNALS_PER_ROUND - 4)),
            2 => Trigger::Pages(rng.random_range(1..=8)),
            3 => Trigger::Acks(rng.random_range(1..=3)),
            _ if rng.random_bool(0.5) => Trigger::Pings(rng.random_range(1..=30)),
            _ => Trigger::SignIns(rng.random_range(1..=3)),
        }
    }

    fn describe(self) -> String {
        match self {
            Trigger::Signals(n) => format!("{n} accepted signals"),
            Trigger::Pages(n) => format!("{n} pages received"),
            Trigger::Acks(n) => format!("{n} acknowledgements"),
            Trigger::Pings(n) => format!("{n} heartbeat pings"),
            Trigger::SignIns(n) => format!("{n} sign-ins"),
        }
    }
}

/// The soak's world: the sinks, the files, the HTTP client, and what was seen across kills.
struct Soak {
    pages: Sink,
    notices: Sink,
    target: Sink,
    config: PathBuf,
    db: PathBuf,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    /// Signals sent so far (their sequence numbers name components and policies).
    sent: Arc<AtomicUsize>,
    /// Per delivery id: at how many kills it was in the outbox unsent (pending), each of which
    /// allows one more arrival (a send in flight at the kill is sent again, same id).
    in_flight: BTreeMap<String, usize>,
    /// What the heartbeat may show: the status the last answered ping set, or the one a ping in
    /// flight at a kill set if it was committed.
    heartbeat: BTreeSet<&'static str>,
    /// Every signal (its component) and acknowledgement answered in any life.
    signals: Vec<String>,
    acks: Vec<String>,
    seed: u64,
}

/// A delivery as the killed server left it on disk.
#[derive(Debug, sqlx::FromRow)]
struct OnDisk {
    id: String,
    channel: String,
    status: String,
    incident_state: Option<String>,
}

impl Soak {
    fn fail(&self, round: usize, what: String) -> ! {
        panic!(
            "crash-soak: round {round} FAILED (replay with TOCSIN_CRASH_SOAK_SEED={}): {what}",
            self.seed
        );
    }

    /// Every delivery id received by `sink`, with how many times it arrived.
    fn arrivals(sink: &Sink) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for request in sink.received() {
            let id = request.header("webhook-id").unwrap_or_default().to_owned();
            *counts.entry(id).or_default() += 1;
        }
        counts
    }

    /// A copy of the killed server's files (the database and its write-ahead log, as the kill
    /// left them): checked there, so the restarted server still recovers the original itself.
    async fn check_on_disk(&self, round: usize) -> Vec<OnDisk> {
        let copy = self.dir.path().join(format!("after-kill-{round}"));
        std::fs::create_dir_all(&copy).expect("make the copy's folder");
        let name = self.db.file_name().expect("a file name").to_owned();
        let mut wal = name.clone();
        wal.push("-wal");
        for file in [&name, &wal] {
            let from = self.db.with_file_name(file);
            if from.exists() {
                std::fs::copy(&from, copy.join(file)).expect("copy the database");
            }
        }
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(copy.join(&name));
        let mut db = sqlx::SqliteConnection::connect_with(&options)
            .await
            .expect("open the copy");
        let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut db)
            .await
            .expect("integrity_check");
        if integrity != ["ok"] {
            self.fail(round, format!("PRAGMA integrity_check: {integrity:?}"));
        }
        let deliveries: Vec<OnDisk> = sqlx::query_as(
            "SELECT d.id, d.channel, d.status, i.state AS incident_state \
             FROM deliveries d LEFT JOIN incidents i ON i.id = d.incident_id",
        )
        .fetch_all(&mut db)
        .await
        .expect("read the outbox");
        db.close().await.expect("close the copy");
        std::fs::remove_dir_all(&copy).expect("remove the copy");
        deliveries
    }

    async fn get(&self, base: &str, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("GET");
        assert!(response.status().is_success(), "GET {path}: {response:?}");
        response.json().await.expect("JSON")
    }

    /// Every incident, by component.
    async fn incidents(&self, base: &str) -> BTreeMap<String, Value> {
        let mut all = BTreeMap::new();
        let mut cursor = String::new();
        loop {
            let page = self
                .get(base, &format!("/api/v1/incidents?limit=1000{cursor}"))
                .await;
            for incident in page["incidents"].as_array().expect("incidents") {
                let component = incident["component"].as_str().unwrap_or_default();
                all.insert(component.to_owned(), incident.clone());
            }
            match page["next"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return all,
            }
        }
    }
}

/// The workload of one life, until aborted: signals, acknowledgements of paged incidents,
/// heartbeat pings and sign-ins, each task with its own seeded generator.
fn workload(soak: &Soak, base: &str, rng: &mut StdRng, log: &watch::Sender<Life>) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    // Signals: PagerDuty events and Alertmanager alerts, each with its own dedup key.
    {
        let (http, base, log, sent) = (
            soak.http.clone(),
            base.to_owned(),
            log.clone(),
            soak.sent.clone(),
        );
        let mut rng = StdRng::seed_from_u64(rng.random());
        tasks.spawn(async move {
            // Half of each kind, alternating from a random start: every round has enough
            // Alertmanager alerts (and so pages, and acknowledgements of them) for its trigger.
            let phase: usize = rng.random_range(0..2);
            for n in 0..SIGNALS_PER_ROUND {
                let seq = sent.fetch_add(1, Ordering::SeqCst);
                let component = format!("sig-{seq:05}");
                let request = if (n + phase).is_multiple_of(2) {
                    http.post(format!("{base}/v2/enqueue")).json(&json!({
                        "routing_key": ROUTING_KEY,
                        "event_action": "trigger",
                        "dedup_key": format!("soak-{seq}"),
                        "payload": {
                            "summary": format!("Disk full on host {seq}"),
                            "source": format!("host-{seq}"),
                            "component": component,
                            "severity": "error",
                        },
                    }))
                } else {
                    let alert = json!({
                        "status": "firing",
                        "labels": {
                            "alertname": format!("Soak{seq}"),
                            "category": format!("p{}", seq / INCIDENTS_PER_POLICY),
                            "component": component,
                        },
                        "annotations": {"summary": format!("Queue {seq} stuck")},
                        "startsAt": "2026-12-07T00:00:00Z",
                        "fingerprint": format!("fp{seq:06}"),
                    });
                    http.post(format!("{base}/hooks/am"))
                        .bearer_auth(AM_TOKEN)
                        .json(&json!({
                            "version": "4", "status": "firing", "receiver": "tocsin",
                            "groupKey": "{}:{}", "groupLabels": {}, "commonLabels": {},
                            "commonAnnotations": {}, "externalURL": "http://am.local",
                            "alerts": [alert],
                        }))
                };
                if request
                    .send()
                    .await
                    .is_ok_and(|answer| answer.status().is_success())
                {
                    log.send_modify(|life| life.signals.push(component));
                }
                // Pacing, so pages and timers come due while signals still arrive.
                pause(&mut rng, 0..=120).await;
            }
        });
    }
    // Acknowledgements: a responder acknowledges every other first-step page (from a random
    // start), by the incident it names, as soon as it arrives.
    {
        let (http, base, log, pages) = (
            soak.http.clone(),
            base.to_owned(),
            log.clone(),
            soak.pages.clone(),
        );
        let mut rng = StdRng::seed_from_u64(rng.random());
        let mut seen = pages.received().len();
        let mut turn: usize = rng.random_range(0..2);
        tasks.spawn(async move {
            loop {
                pages
                    .wait_for(Duration::from_secs(3600), |received| received.len() > seen)
                    .await;
                let received = pages.received();
                for page in &received[seen..] {
                    let first_step = page.body["to"]
                        .as_str()
                        .is_some_and(|to| to.starts_with("+96650"));
                    if !first_step {
                        continue;
                    }
                    turn += 1;
                    if turn.is_multiple_of(2) {
                        continue;
                    }
                    let id = page.body["incident"]["id"].as_str().unwrap_or_default();
                    let answer = http
                        .post(format!("{base}/api/v1/incidents/{id}/acknowledge"))
                        .bearer_auth(TOKEN)
                        .json(&json!({}))
                        .send()
                        .await;
                    if answer.is_ok_and(|answer| answer.status() == StatusCode::OK) {
                        log.send_modify(|life| life.acks.push(id.to_owned()));
                    }
                }
                seen = received.len();
            }
        });
    }
    // Heartbeat pings, one at a time: mostly successes, now and then a failure.
    {
        let (http, base, log) = (soak.http.clone(), base.to_owned(), log.clone());
        let mut rng = StdRng::seed_from_u64(rng.random());
        tasks.spawn(async move {
            loop {
                let success = !rng.random_bool(0.15);
                let path = if success {
                    format!("{base}/ping/{HEARTBEAT_KEY}")
                } else {
                    format!("{base}/ping/{HEARTBEAT_KEY}/fail")
                };
                log.send_modify(|life| life.ping_in_flight = Some(success));
                let answer = http.post(path).send().await;
                if answer.is_ok_and(|answer| answer.status() == StatusCode::OK) {
                    log.send_modify(|life| {
                        life.pings += 1;
                        life.last_ping = Some(success);
                        life.ping_in_flight = None;
                    });
                }
                pause(&mut rng, 20..=150).await;
            }
        });
    }
    // Sign-ins with the right password, as the users `tocsin user add` made.
    {
        let (http, base, log) = (soak.http.clone(), base.to_owned(), log.clone());
        let mut rng = StdRng::seed_from_u64(rng.random());
        tasks.spawn(async move {
            loop {
                pause(&mut rng, 100..=500).await;
                let email = USERS[rng.random_range(0..USERS.len())];
                let answer = http
                    .post(format!("{base}/login"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(crate::ui::form_encode(&[
                        ("email", email),
                        ("password", PASSWORD),
                        ("next", ""),
                    ]))
                    .send()
                    .await;
                let Ok(answer) = answer else { continue };
                let cookie = (answer.status() == StatusCode::SEE_OTHER)
                    .then(|| session_cookie(&answer))
                    .flatten();
                log.send_modify(|life| {
                    life.sign_ins += 1;
                    life.sessions.extend(cookie);
                });
            }
        });
    }
    tasks
}

/// A random pause of `millis` milliseconds: the workload's pacing and the kill's fault
/// injection, never a wait for something to have happened.
async fn pause(rng: &mut StdRng, millis: std::ops::RangeInclusive<u64>) {
    tokio::time::sleep(Duration::from_millis(rng.random_range(millis))).await;
}

fn session_cookie(answer: &reqwest::Response) -> Option<String> {
    answer
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix("tocsin_session="))
        .and_then(|rest| rest.split(';').next())
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

/// `tocsin user add EMAIL --role responder`, the password on standard input.
async fn add_user(config: &Path, email: &str) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["user", "add", email, "--role", "responder", "--config"])
        .arg(config)
        .env_remove("TOCSIN_CONFIG")
        .env_remove("TOCSIN_DATABASE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tocsin user add");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .expect("write the password");
    drop(stdin);
    let output = child
        .wait_with_output()
        .await
        .expect("tocsin user add ends");
    assert!(
        output.status.success(),
        "tocsin user add {email}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The pages `received` for the incident `id` to `to`.
fn pages_of<'a>(received: &'a [Received], id: &str, to: &str) -> Vec<&'a Received> {
    received
        .iter()
        .filter(|page| page.body["incident"]["id"] == id && page.body["to"] == to)
        .collect()
}

/// A round's figures, for its line and the total.
#[derive(Debug, Default)]
struct Figures {
    signals: usize,
    acks: usize,
    sign_ins: usize,
    pings: usize,
    pending_at_kill: usize,
    /// Deliveries that arrived a second time (in flight at the kill, sent again, same id).
    resent: usize,
    escalated_after_restart: usize,
    /// Which receivers hung until the kill.
    held: &'static str,
}

#[tokio::test]
#[expect(
    clippy::print_stdout,
    reason = "the soak's report: the seed first, then each round's figures and the total"
)]
async fn killed_with_sigkill_at_random_moments_it_loses_nothing_and_pages_once() {
    let rounds: usize = std::env::var("TOCSIN_CRASH_SOAK_ROUNDS")
        .ok()
        .map(|rounds| {
            rounds
                .parse()
                .expect("TOCSIN_CRASH_SOAK_ROUNDS is a number")
        })
        .unwrap_or(3);
    let seed: u64 = std::env::var("TOCSIN_CRASH_SOAK_SEED")
        .ok()
        .map(|seed| seed.parse().expect("TOCSIN_CRASH_SOAK_SEED is a number"))
        .unwrap_or_else(rand::random);
    println!("crash-soak: seed {seed}, {rounds} rounds");
    let mut rng = StdRng::seed_from_u64(seed);

    let (pages, notices, target) = (
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("tocsin.db");
    let config = dir.path().join("tocsin.toml");
    let policies = (rounds * SIGNALS_PER_ROUND).div_ceil(INCIDENTS_PER_POLICY);
    std::fs::write(
        &config,
        self::config(&db, &pages, &notices, &target, policies),
    )
    .expect("write the configuration");
    for email in USERS {
        add_user(&config, email).await;
    }
    let mut soak = Soak {
        pages,
        notices,
        target,
        config,
        db,
        dir,
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        sent: Arc::default(),
        in_flight: BTreeMap::new(),
        heartbeat: BTreeSet::new(),
        signals: Vec::new(),
        acks: Vec::new(),
        seed,
    };

    let mut server: (Child, String) = serve(&soak.config, &[]).await;
    let mut total = Figures::default();
    for round in 1..=rounds {
        let (figures, trigger, delay, next) = one_round(&mut soak, &mut rng, round, server).await;
        server = next;
        println!(
            "crash-soak: round {round}/{rounds} passed: killed after {} +{delay} ms ({}); \
             {} signals, {} acks, {} sign-ins, {} pings answered; integrity ok; \
             {} deliveries pending at the kill sent after restart, {} arrived twice (in flight at the kill, same id); \
             {} unacknowledged incidents paged their next step after restart",
            trigger.describe(),
            figures.held,
            figures.signals,
            figures.acks,
            figures.sign_ins,
            figures.pings,
            figures.pending_at_kill,
            figures.resent - total.resent,
            figures.escalated_after_restart,
        );
        total.signals += figures.signals;
        total.acks += figures.acks;
        total.sign_ins += figures.sign_ins;
        total.pings += figures.pings;
        total.pending_at_kill += figures.pending_at_kill;
        total.resent = figures.resent;
        total.escalated_after_restart += figures.escalated_after_restart;
    }
    crate::crash::stop_with_sigterm(server.0).await;
    let resent: usize = [&soak.pages, &soak.notices]
        .iter()
        .flat_map(|sink| Soak::arrivals(sink).into_values())
        .filter(|count| *count > 1)
        .count();
    println!(
        "crash-soak: {rounds} of {rounds} rounds passed (seed {seed}): {rounds} kills, \
         {} signals, {} acks, {} sign-ins, {} pings answered; {} deliveries pending at a kill \
         sent after restart, {resent} of them sent twice (in flight at the kill, same id); \
         {} pages, {} notices received",
        total.signals,
        total.acks,
        total.sign_ins,
        total.pings,
        total.pending_at_kill,
        soak.pages.received().len(),
        soak.notices.received().len(),
    );
}

/// One round: run the workload until the trigger, kill, check the file, restart, check the
/// restarted server. Returns the figures and the running server for the next round.
async fn one_round(
    soak: &mut Soak,
    rng: &mut StdRng,
    round: usize,
    (mut child, base): (Child, String),
) -> (Figures, Trigger, u64, (Child, String)) {
    let trigger = Trigger::pick(rng);
    let delay = rng.random_range(0..=250);
    // The monitor's target is up or down this round; the monitor opens or resolves on it.
    soak.target
        .answer(if rng.random_bool(0.5) { 200 } else { 500 });
    // Now and then a receiver hangs (recording each request, answering none) until the kill:
    // its sends are in flight when the server dies, and are sent again after the restart.
    let held = (rng.random_bool(0.3), rng.random_bool(0.3));
    soak.pages.hold(held.0);
    soak.notices.hold(held.1);
    let pages_before = soak.pages.received().len();

    let (log, mut watcher) = watch::channel(Life::default());
    let mut tasks = workload(soak, &base, rng, &log);
    // A hang shorter than tocsin's send timeout (15 s): a send that timed out would be retried
    // with the same id in the same life, which is the receiver's doing, not the crash's.
    {
        let (pages, notices) = (soak.pages.clone(), soak.notices.clone());
        tasks.spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            pages.hold(false);
            notices.hold(false);
        });
    }
    let reached = async {
        match trigger {
            Trigger::Pages(n) => {
                // The timeout around this decides; this wait only has to outlast it.
                soak.pages
                    .wait_for(2 * LIMIT, |received| received.len() >= pages_before + n)
                    .await;
            }
            _ => {
                watcher
                    .wait_for(|life| match trigger {
                        Trigger::Signals(n) => life.signals.len() >= n,
                        Trigger::Acks(n) => life.acks.len() >= n,
                        Trigger::Pings(n) => life.pings >= n,
                        Trigger::SignIns(n) => life.sign_ins >= n,
                        Trigger::Pages(_) => unreachable!("waited on the sink"),
                    })
                    .await
                    .expect("the log lives");
            }
        }
    };
    if tokio::time::timeout(LIMIT, reached).await.is_err() {
        soak.fail(
            round,
            format!("{trigger:?} never came: {:?}", *log.borrow()),
        );
    }
    // Fault injection: a random moment shortly after the event, not a wait for anything.
    tokio::time::sleep(Duration::from_millis(delay)).await;
    child.start_kill().expect("kill -9");
    child.wait().await.expect("reaped");
    soak.pages.hold(false);
    soak.notices.hold(false);
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let life = log.borrow().clone();

    // The file as the kill left it.
    let on_disk = soak.check_on_disk(round).await;
    let mut must_arrive = Vec::new();
    for delivery in &on_disk {
        if delivery.status != "pending" {
            continue;
        }
        *soak.in_flight.entry(delivery.id.clone()).or_default() += 1;
        // An acknowledged incident's held page may be withdrawn; everything else is sent.
        let withdrawable =
            delivery.channel == "sms" && delivery.incident_state.as_deref() != Some("triggered");
        if !withdrawable {
            must_arrive.push((delivery.id.clone(), delivery.channel.clone()));
        }
    }
    // A delivery recorded as sent was received (the record follows the receiver's answer).
    let arrived: BTreeSet<String> = [&soak.pages, &soak.notices]
        .iter()
        .flat_map(|sink| Soak::arrivals(sink).into_keys())
        .collect();
    for delivery in &on_disk {
        if delivery.status == "sent" && !arrived.contains(&delivery.id) {
            soak.fail(
                round,
                format!(
                    "delivery {} is recorded as sent but never arrived",
                    delivery.id
                ),
            );
        }
    }

    // Restarted on the same file.
    let probes_before = soak.target.received().len();
    let (next_child, next_base) = serve(&soak.config, &[]).await;
    let base = next_base.clone();
    let incidents = soak.incidents(&base).await;
    // Everything answered in any life so far: a later crash must not lose what an earlier
    // restart still had.
    soak.signals.extend(life.signals.iter().cloned());
    soak.acks.extend(life.acks.iter().cloned());
    for component in &soak.signals {
        if !incidents.contains_key(component) {
            soak.fail(
                round,
                format!("the signal for {component} was answered 2xx but has no incident"),
            );
        }
    }
    let by_id: BTreeMap<&str, &Value> = incidents
        .values()
        .map(|incident| (incident["id"].as_str().unwrap_or_default(), incident))
        .collect();
    for id in &soak.acks {
        let state = by_id.get(id.as_str()).map(|incident| &incident["state"]);
        if state != Some(&json!("acknowledged")) && state != Some(&json!("resolved")) {
            soak.fail(
                round,
                format!("{id}'s acknowledgement was answered 200 but it is {state:?}"),
            );
        }
    }
    for cookie in &life.sessions {
        let answer = soak
            .http
            .get(format!("{base}/incidents"))
            .header(reqwest::header::COOKIE, format!("tocsin_session={cookie}"))
            .send()
            .await
            .expect("GET /incidents");
        if answer.status() != StatusCode::OK {
            soak.fail(
                round,
                format!(
                    "a session handed out before the kill answers {}",
                    answer.status()
                ),
            );
        }
    }
    let monitors = soak.get(&base, "/api/v1/monitors").await;
    let heartbeat = monitors["monitors"]
        .as_array()
        .expect("monitors")
        .iter()
        .find(|monitor| monitor["id"] == "nightly-job")
        .map(|monitor| monitor["status"].clone())
        .unwrap_or_default();
    let status = |success: bool| if success { "up" } else { "down" };
    if let Some(last) = life.last_ping {
        soak.heartbeat = BTreeSet::from([status(last)]);
    }
    soak.heartbeat.extend(life.ping_in_flight.map(status));
    if !soak.heartbeat.is_empty() && !soak.heartbeat.iter().any(|allowed| heartbeat == *allowed) {
        soak.fail(
            round,
            format!(
                "the heartbeat is {heartbeat} after pings that leave it {:?} (last answered {:?}, in flight {:?})",
                soak.heartbeat, life.last_ping, life.ping_in_flight
            ),
        );
    }
    if let Some(seen) = heartbeat
        .as_str()
        .and_then(|seen| ["up", "down"].into_iter().find(|s| *s == seen))
    {
        soak.heartbeat = BTreeSet::from([seen]);
    }

    // No due work lost: every unacknowledged incident with a policy has its escalation pending
    // (or its last step done), and the restarted server pages it; the outbox empties; the
    // monitor is probed again.
    let mut waiting = Vec::new();
    for incident in incidents.values() {
        if incident["state"] != "triggered" || incident["escalation"].is_null() {
            continue;
        }
        if incident["paging"] != true && incident["escalation_step"] != 2 {
            soak.fail(
                round,
                format!("an unacknowledged incident pages nobody any more: {incident:#}"),
            );
        }
        let policy: usize = incident["escalation"]
            .as_str()
            .and_then(|id| id.strip_prefix('p'))
            .and_then(|n| n.parse().ok())
            .expect("a soak policy");
        let id = incident["id"].as_str().expect("id").to_owned();
        if pages_of(&soak.pages.received(), &id, &phone(1, policy)).is_empty() {
            waiting.push((id, policy));
        }
    }
    let escalated_after_restart = waiting.len();
    let escalated = soak
        .pages
        .wait_for(LIMIT, |received| {
            waiting.iter().all(|(id, policy)| {
                !pages_of(received, id, &phone(0, *policy)).is_empty()
                    && !pages_of(received, id, &phone(1, *policy)).is_empty()
            })
        })
        .await;
    if !escalated {
        soak.fail(
            round,
            format!("unacknowledged incidents were not paged after the restart: {waiting:?}"),
        );
    }
    for (sink, channel) in [(&soak.pages, "sms"), (&soak.notices, "notices")] {
        let expected: Vec<&str> = must_arrive
            .iter()
            .filter(|(_, on)| on == channel)
            .map(|(id, _)| id.as_str())
            .collect();
        let delivered = sink
            .wait_for(LIMIT, |received| {
                let ids: BTreeSet<&str> = received
                    .iter()
                    .filter_map(|request| request.header("webhook-id"))
                    .collect();
                expected.iter().all(|id| ids.contains(id))
            })
            .await;
        if !delivered {
            soak.fail(
                round,
                format!("{channel} deliveries pending at the kill never arrived: {expected:?}"),
            );
        }
    }
    // Two probes: a request the killed server had already written may arrive after the kill.
    let probed = soak
        .target
        .wait_for(LIMIT, |received| received.len() >= probes_before + 2)
        .await;
    if !probed {
        soak.fail(
            round,
            "the monitor was not probed after the restart".to_owned(),
        );
    }

    // Nothing twice but for a send in flight at a kill, which comes again with the same id; and
    // never two different pages to one person for one incident.
    for sink in [&soak.pages, &soak.notices] {
        for (id, count) in Soak::arrivals(sink) {
            let allowed = 1 + soak.in_flight.get(&id).copied().unwrap_or(0);
            if id.is_empty() || count > allowed {
                soak.fail(
                    round,
                    format!("delivery {id:?} arrived {count} times (at most {allowed} allowed)"),
                );
            }
        }
    }
    let mut ids_per_page: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for page in soak.pages.received() {
        let key = (
            page.body["incident"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            page.body["to"].as_str().unwrap_or_default().to_owned(),
        );
        ids_per_page
            .entry(key)
            .or_default()
            .insert(page.header("webhook-id").unwrap_or_default().to_owned());
    }
    for ((incident, to), ids) in ids_per_page {
        if ids.len() > 1 {
            soak.fail(
                round,
                format!("{to} was paged {} times for {incident}: {ids:?}", ids.len()),
            );
        }
    }

    let figures = Figures {
        signals: life.signals.len(),
        acks: life.acks.len(),
        sign_ins: life.sign_ins,
        pings: life.pings,
        pending_at_kill: must_arrive.len(),
        resent: [&soak.pages, &soak.notices]
            .iter()
            .flat_map(|sink| Soak::arrivals(sink).into_values())
            .filter(|count| *count > 1)
            .count(),
        escalated_after_restart,
        held: match held {
            (true, true) => "pages and notices receivers hung",
            (true, false) => "pages receiver hung",
            (false, true) => "notices receiver hung",
            (false, false) => "receivers answering",
        },
    };
    (figures, trigger, delay, (next_child, next_base))
}
