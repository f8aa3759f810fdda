//! tocsin-engine: the imperative shell around the pure core. Each input is decided by
//! `tocsin_core::decide::decide` and committed in one transaction; workers probe due monitors,
//! fire due timers and deliver the outbox, each claiming its work with a lease.

pub mod accounts;
pub mod ack;
mod action_client;
mod actions;
pub mod api_tokens;
mod batch;
mod clock;
mod committer;
mod comms;
mod coordination;
mod deliver;
pub mod drill;
mod error;
mod generation;
mod heartbeat;
mod hosts;
mod housekeeping;
mod inbound;
mod incidents;
mod intake;
mod lag;
mod live;
mod maintenance;
pub mod metrics;
mod monitors;
mod oncall;
mod own_thread;
mod ownership;
mod policy;
pub mod postmortem;
pub mod postmortem_git;
mod probes;
mod public_title;
pub mod reload;
pub mod response;
pub mod review_digest;
mod rounds;
pub mod runbooks;
mod runtime;
mod schedule;
mod self_check;
pub mod sign_in_gate;
mod silences;
mod slack_app;
mod slack_hooks;
mod sms_reply;
mod status_page;
mod subscribers;
pub mod tickets;
mod timers;
mod unreachable;
pub mod users;
mod watchdog;
mod work;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use jiff::Timestamp;
use tocsin_config::Config;
use tocsin_core::decide::{Ctx, Declaration, Input};
use tocsin_core::incident::Incident;
use tocsin_core::signal::Signal;
use tocsin_notify::Sender;
use tocsin_store::{Item, ItemOutcome, Lookup, Store};

use crate::work::Work;

pub use ack::{AckClaims, TokenError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use comms::DraftEdit;
pub use error::EngineError;
pub use inbound::{Accepted, Delivery};
pub use intake::INTAKE_LIMIT;
pub use lag::{LAG_BUCKETS_MS, LagSnapshot};
pub use policy::jitter;
pub use rounds::Round;
pub use runtime::Workers;
pub use silences::{NewSilence, SilenceEnd};
pub use slack_hooks::SlackAppRefusal;
pub use sms_reply::SmsReply;
pub use subscribers::SubscriptionLink;

/// How long an acknowledge link stays valid.
pub const ACK_LINK_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// What came of an ingested signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The incident the signal opened, joined or resolved, if any.
    pub incident: Option<Incident>,
}

/// The engine: the context every round shares, and one component per kind of work, each holding
/// only what that work needs (its round is in `rounds.rs`).
pub struct Engine {
    // The shared context.
    /// The configuration and what is derived from it, swapped whole by a reload (`live.rs`).
    live: live::LiveSlot,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// The link signers, one key per purpose (see `ack.rs`).
    signers: ack::Signers,
    /// Moves on every committed decision (see `generation.rs`).
    generation: std::sync::atomic::AtomicU64,
    /// What `/metrics` counts (see `metrics.rs`).
    counters: metrics::Counters,
    // The components.
    intake: intake::Intake,
    /// What holds pages back, kept between batches on a single node (see `silences.rs`).
    quiet_cache: silences::QuietCache,
    committer: committer::Committer,
    prober: probes::Prober,
    timers: timers::Timers,
    deliveries: deliver::Deliveries,
    housekeeping: housekeeping::Housekeeping,
    self_monitoring: self_check::SelfMonitoring,
    /// Post-mortem commits and pushes: one at a time, and the last failed push.
    postmortem_git: postmortem_git::GitState,
    actions: action_client::Actions,
    /// The cap on sign-in password checks at once (see `sign_in_gate.rs`).
    sign_in_gate: sign_in_gate::SignInGate,
    /// How the configuration is read again, and the last reload's outcome (`reload.rs`).
    reloads: reload::Reloads,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// Each probed monitor of `config` and when it is first due, should it be new: a heartbeat when
/// its first ping would be late, a probe at its stable offset inside the interval.
pub(crate) fn first_checks(config: &Config, now: Timestamp) -> Vec<(String, Timestamp)> {
    config
        .monitors
        .iter()
        .filter(|monitor| probes::is_probed(monitor))
        .map(|monitor| {
            let offset = match &monitor.kind {
                tocsin_config::MonitorKind::Heartbeat { every, grace, .. } => *every + *grace,
                _ => policy::jitter(&monitor.id, monitor.interval),
            };
            (monitor.id.clone(), probes::add(now, offset))
        })
        .collect()
}

/// The HTTP client notifications, actions and the watchdog share: through the operator's proxy
/// when the environment names one (`Config::outbound_proxy`), never for probes.
pub(crate) fn outbound_client(config: &Config) -> Result<reqwest::Client, EngineError> {
    let proxy = &config.outbound_proxy;
    let expose =
        |secret: &Option<tocsin_core::Secret>| secret.as_ref().map(|s| s.expose().to_owned());
    let (http, https) = (expose(&proxy.http), expose(&proxy.https));
    tocsin_notify::try_http_client_via(http.as_deref(), https.as_deref(), proxy.no_proxy.as_deref())
        .map_err(|error| {
            EngineError::Unavailable(config.redactor.scrub(&format!(
                "cannot use the proxy in HTTPS_PROXY/HTTP_PROXY (a URL like http://proxy:3128): {error}"
            )))
        })
}

/// The senders; with `[smtp]`, e-mail through it.
pub(crate) fn sender(config: &Config, client: reqwest::Client) -> Result<Sender, EngineError> {
    let sender = Sender::new(client);
    let Some(smtp) = &config.smtp else {
        return Ok(sender);
    };
    let settings = tocsin_notify::SmtpSettings {
        host: smtp.host.clone(),
        port: smtp.port,
        username: smtp.username.clone(),
        password: smtp.password.clone(),
        from: smtp.from.clone(),
        tls: match smtp.tls {
            tocsin_config::SmtpTls::None => tocsin_notify::Tls::None,
            tocsin_config::SmtpTls::Starttls => tocsin_notify::Tls::Starttls,
            tocsin_config::SmtpTls::Tls => tocsin_notify::Tls::Tls,
        },
    };
    let mailer = tocsin_notify::Mailer::new(&settings).map_err(EngineError::Unavailable)?;
    // Status-page mail has a lane of its own, never the pages' connections.
    let bulk = tocsin_notify::Mailer::with_connections(&settings, subscribers::LANE_CONNECTIONS)
        .map_err(EngineError::Unavailable)?;
    Ok(sender.with_mailer(mailer).with_bulk_mailer(bulk))
}

impl Engine {
    /// Prepares the engine: loads (or creates) the link-signing key and registers the monitors.
    pub async fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EngineError> {
        let fresh_key =
            base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        let key = store
            .setting_or_insert("ack_signing_key", fresh_key)
            .await?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|e| EngineError::Store(tocsin_store::StoreError::Corrupt(e.to_string())))?;
        let outbound = outbound_client(&config)?;
        let engine = Engine {
            live: live::LiveSlot::new(live::Live::build(
                config.clone(),
                sender(&config, outbound.clone())?,
            )),
            signers: ack::Signers::new(&key),
            generation: std::sync::atomic::AtomicU64::new(0),
            counters: metrics::Counters::default(),
            intake: intake::Intake::default(),
            quiet_cache: silences::QuietCache::default(),
            committer: committer::Committer::default(),
            prober: probes::Prober::new(&config),
            timers: timers::Timers::default(),
            deliveries: deliver::Deliveries::default(),
            housekeeping: housekeeping::Housekeeping::default(),
            self_monitoring: self_check::SelfMonitoring::new(outbound.clone()),
            postmortem_git: postmortem_git::GitState::default(),
            actions: action_client::Actions::new(outbound),
            sign_in_gate: sign_in_gate::SignInGate::new(
                config
                    .server
                    .sign_in_checks
                    .and_then(|checks| usize::try_from(checks).ok())
                    .unwrap_or_else(sign_in_gate::default_checks),
            ),
            reloads: reload::Reloads::new(&config, clock.now()),
            store,
            clock,
        };
        engine.sync_monitors().await?;
        engine.sync_drill_schedule().await?;
        engine.sync_review_schedule().await?;
        Ok(engine)
    }

    /// The configuration in force now. A caller doing several things with it keeps this one
    /// copy, so a reload in between cannot give it half of each file.
    pub fn config(&self) -> Arc<Config> {
        self.live.load().config.clone()
    }

    /// The configuration and what the engine derives from it, as one snapshot (`live.rs`).
    pub(crate) fn live(&self) -> Arc<live::Live> {
        self.live.load()
    }

    /// The cap on sign-in password checks at once: the sign-in page takes a turn before it
    /// calls [`Engine::sign_in`].
    pub fn sign_in_gate(&self) -> &sign_in_gate::SignInGate {
        &self.sign_in_gate
    }

    /// The store itself, for the binary's commands and tests. The web crate does not use it: it
    /// reads through the engine's named methods (`incidents`, `monitor_records`, …).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The counters `/metrics` reports.
    pub fn counters(&self) -> &metrics::Counters {
        &self.counters
    }

    /// Makes the store's active monitors this configuration's (new ones first due at their
    /// stable offset; removed ones kept, inactive, with their history) and loads the schedule.
    async fn sync_monitors(&self) -> Result<(), EngineError> {
        let now = self.now();
        let live = self.live();
        self.store
            .sync_monitors(&first_checks(&live.config, now))
            .await?;
        self.load_schedule(&live, now).await
    }

    /// Loads the probed monitors this process probes into the in-memory schedule: every one on
    /// a single node, this replica's share among several (`ownership.rs`).
    async fn load_schedule(&self, live: &live::Live, now: Timestamp) -> Result<(), EngineError> {
        if self.store.shared() {
            self.hold_share().await?;
            return Ok(());
        }
        let records = self
            .store
            .monitors()
            .await?
            .into_iter()
            .filter_map(|record| self.resumed(live, record, now, false))
            .collect();
        self.prober.schedule.load(records);
        Ok(())
    }

    /// A stored monitor as the schedule takes it, if it is probed. A check missed while tocsin
    /// was stopped is not made up in one burst: the monitor resumes at its next slot, keeping its
    /// offset (heartbeat deadlines stay as they are: a missed one is overdue). With `catch_up`
    /// (a replica taking over the monitors of one that died), a check missed by less than one
    /// interval runs at once instead, so the takeover costs no check.
    pub(crate) fn resumed(
        &self,
        live: &live::Live,
        mut record: tocsin_store::MonitorRecord,
        now: Timestamp,
        catch_up: bool,
    ) -> Option<tocsin_store::MonitorRecord> {
        let monitor = live.monitor(&record.id)?;
        if !probes::is_probed(monitor) {
            return None;
        }
        if !matches!(monitor.kind, tocsin_config::MonitorKind::Heartbeat { .. })
            && record.next_check_at < now
        {
            let missed_by = now.duration_since(record.next_check_at);
            let within_an_interval = jiff::SignedDuration::try_from(monitor.interval)
                .is_ok_and(|interval| missed_by < interval);
            record.next_check_at = if catch_up && within_an_interval {
                now
            } else {
                tocsin_core::schedule::next_check(
                    record.next_check_at,
                    now,
                    monitor.interval,
                    monitor.interval,
                    &tocsin_core::monitor::MonitorState::pending(),
                )
            };
        }
        Some(record)
    }

    /// How late checks started after their due instant, since start-up.
    pub fn schedule_lag(&self) -> LagSnapshot {
        self.prober.lag.snapshot()
    }

    /// When a monitor's next check is due, as scheduled in memory.
    pub fn next_check_at(&self, monitor_id: &str) -> Option<Timestamp> {
        self.prober
            .schedule
            .record(monitor_id)
            .map(|record| record.next_check_at)
    }

    fn ctx(
        &self,
        now: Timestamp,
        on_call: &std::collections::BTreeMap<String, String>,
        quiet: &std::sync::Arc<tocsin_core::noise::Quiet>,
    ) -> Ctx {
        Ctx {
            now,
            new_incident_id: uuid::Uuid::now_v7().to_string(),
            new_alert_id: uuid::Uuid::now_v7().to_string(),
            new_comms_id: uuid::Uuid::now_v7().to_string(),
            on_call: on_call.clone(),
            quiet: quiet.clone(),
        }
    }

    /// Decides a signal and commits it (with the signal itself) in one transaction. Returns only
    /// after the commit: a caller may then answer 2xx.
    pub async fn ingest(&self, signal: Signal) -> Result<Ingested, EngineError> {
        match self.decide_one(Work::for_signal(signal)).await? {
            ItemOutcome::Done(incident) => Ok(Ingested {
                incident: incident.map(|boxed| *boxed),
            }),
            ItemOutcome::Refused(refusal) => Err(refusal.into()),
            ItemOutcome::Duplicate => Ok(Ingested { incident: None }),
        }
    }

    /// Declares an incident by hand.
    pub async fn declare(&self, declaration: Declaration) -> Result<Incident, EngineError> {
        let work = Work::new(
            Item {
                lookup: Lookup::Nothing,
                delivery: None,
            },
            Some(Input::Declare(declaration)),
        );
        match self.decide_one(work).await? {
            ItemOutcome::Done(Some(incident)) => Ok(*incident),
            ItemOutcome::Refused(refusal) => Err(refusal.into()),
            _ => Err(EngineError::Unavailable(
                "the declaration opened no incident".into(),
            )),
        }
    }

    /// A person's input on an incident (acknowledge, resolve, note, severity).
    pub async fn act(&self, incident_id: &str, input: Input) -> Result<Incident, EngineError> {
        self.act_with(incident_id, input, None).await
    }

    pub(crate) async fn act_with(
        &self,
        incident_id: &str,
        input: Input,
        token: Option<String>,
    ) -> Result<Incident, EngineError> {
        let mut work = Work::new(
            Item {
                lookup: Lookup::Incident(incident_id.to_owned()),
                delivery: None,
            },
            Some(input),
        );
        work.consume_token = token;
        incident_acted_on(self.decide_one(work).await?, incident_id)
    }

    /// Checks an acknowledge link without using it (for the confirmation page).
    pub async fn check_ack_token(&self, token: &str) -> Result<AckClaims, EngineError> {
        let claims = self.signers.ack.verify(token, self.now())?;
        if self.store.token_used(&claims.nonce).await? {
            return Err(TokenError::Used.into());
        }
        Ok(claims)
    }

    /// Acknowledges through a link: valid, unexpired, and never used before — or nothing changes.
    pub async fn acknowledge_with_token(&self, token: &str) -> Result<Incident, EngineError> {
        let claims = self.signers.ack.verify(token, self.now())?;
        // A used link is refused as such, before the incident's state could answer instead.
        if self.store.token_used(&claims.nonce).await? {
            return Err(TokenError::Used.into());
        }
        let input = Input::Acknowledge {
            actor: claims.person.clone(),
        };
        self.act_with(&claims.incident_id, input, Some(claims.nonce))
            .await
    }

    /// Mints the acknowledge link for one delivery.
    pub(crate) fn ack_url(
        &self,
        incident_id: &str,
        person: &str,
        nonce: &str,
        now: Timestamp,
    ) -> String {
        let claims = AckClaims {
            incident_id: incident_id.to_owned(),
            person: person.to_owned(),
            expires: now
                .as_second()
                .saturating_add(i64::try_from(ACK_LINK_LIFETIME.as_secs()).unwrap_or(i64::MAX)),
            nonce: nonce.to_owned(),
        };
        format!(
            "{}/ack/{}",
            self.config().server.public_url,
            self.signers.ack.sign(&claims)
        )
    }

    pub(crate) fn incident_url(&self, incident_id: &str) -> String {
        format!(
            "{}/incidents/{incident_id}",
            self.config().server.public_url
        )
    }
}

/// The incident a person's input on `incident_id` left, or why there is none.
pub(crate) fn incident_acted_on(
    outcome: ItemOutcome,
    incident_id: &str,
) -> Result<Incident, EngineError> {
    match outcome {
        ItemOutcome::Done(Some(incident)) => Ok(*incident),
        ItemOutcome::Done(None)
        | ItemOutcome::Refused(tocsin_core::decide::Refusal::NoIncident) => {
            Err(EngineError::NoIncident(incident_id.to_owned()))
        }
        ItemOutcome::Refused(refusal) => Err(refusal.into()),
        ItemOutcome::Duplicate => Err(EngineError::Unavailable("unexpected duplicate".into())),
    }
}
