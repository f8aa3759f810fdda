//! The monthly drill: tells every channel and pages every contact with a marked test message,
//! checks that monitors, heartbeats and integrations are still alive and that contacts' numbers
//! were confirmed recently, stores the report, sends it to `report_to`, and opens a SEV-3 when
//! something failed.
//!
//! Test messages are sent **directly from here, not through the outbox**: the drill's question
//! is "does this channel answer right now?", so it needs the answer of one attempt (2xx, the
//! SMTP server's acceptance, or the error), recorded against the item. The outbox would retry a
//! 500 with backoff for hours and report the eventual outcome, hiding exactly the failure the
//! drill exists to find, and its rows belong to incidents. Each send happens after the drill
//! row (with every item and its nonce) committed, and its answer is recorded after it.
//!
//! A run is started by the schedule (a durable due time in the store, advanced in the same
//! transaction that inserts the run), by `POST /api/v1/drills`, or by the UI's button.

mod checks;
pub mod link;
pub mod schedule;

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tocsin_config::{ChannelKind, ContactMethod};
use tocsin_core::decide::Declaration;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_notify::{Delivery, Target};
use tocsin_store::{DrillItem, DrillItemStatus, DrillRecord, DrillStatus};

use crate::ack::TokenError;
use crate::probes::add;
use crate::{Engine, EngineError};

pub use link::DrillClaims;

/// How long a re-verify link stays valid: people may confirm their numbers days later.
pub const VERIFY_LINK_LIFETIME: Duration = Duration::from_secs(7 * 86_400);
/// The category of the SEV-3 a failed drill opens. Whether it pages follows its severity (a
/// SEV-3 answering within hours pages nobody; its `notify` channels are told).
pub const INCIDENT_CATEGORY: &str = "drill";
/// Longer than closing one drill may take.
const LEASE: Duration = Duration::from_secs(60);

/// What a drill link leads to, for its page.
#[derive(Debug, Clone)]
pub struct DrillLink {
    pub drill_id: String,
    pub item: DrillItem,
    /// `confirm` (a test page) or `verify` (a contact's numbers).
    pub purpose: &'static str,
    /// For a re-verify link: the contact's phone and e-mail as configured, to check.
    pub numbers: Vec<String>,
}

impl Engine {
    fn org_zone(&self) -> TimeZone {
        TimeZone::get(&self.config().org.timezone).unwrap_or(TimeZone::UTC)
    }

    /// Registers the schedule of `[drill]` (or removes it), first due at its next cron time.
    pub(crate) async fn sync_drill_schedule(&self) -> Result<(), EngineError> {
        let now = self.now();
        match &self.config().drill {
            Some(drill) => {
                let first = schedule::next_after(&drill.schedule, &self.org_zone(), now)
                    .unwrap_or(Timestamp::MAX);
                self.store
                    .sync_drill_schedule(Some(&drill.schedule.expr), first)
                    .await?;
            }
            None => self.store.sync_drill_schedule(None, now).await?,
        }
        Ok(())
    }

    /// A scheduled drill when one is due, and drills whose confirm window ended: the test
    /// harness's and the timer worker's step. Returns how many drills it moved.
    pub(crate) async fn drill_round(&self) -> Result<usize, EngineError> {
        let mut moved = 0;
        let now = self.now();
        if let Some(drill) = &self.config().drill
            && let Some(due) = self.store.drill_due_at().await?
            && due <= now
        {
            // The next run after now, not after the missed one: a server down for two months
            // runs one drill on start, not two.
            let next = schedule::next_after(&drill.schedule, &self.org_zone(), now)
                .unwrap_or(Timestamp::MAX);
            if self
                .start_and_run("schedule", Some((due, next)))
                .await?
                .is_some()
            {
                moved += 1;
            }
        }
        let lease_until = add(now, LEASE);
        for drill in self.store.claim_drills_to_close(now, lease_until).await? {
            let window = self
                .config()
                .drill
                .as_ref()
                .map_or(Duration::from_secs(86_400), |d| d.confirm_within);
            self.store
                .expire_drill_items(
                    &drill.id,
                    &format!("not confirmed within {}", checks::human(window)),
                )
                .await?;
            self.settle_drill(&drill.id, true).await?;
            moved += 1;
        }
        Ok(moved)
    }

    /// Runs a drill now, by hand (`who` is recorded as its trigger), and returns its report.
    pub async fn run_drill(&self, who: &str) -> Result<DrillRecord, EngineError> {
        if self.config().drill.is_none() {
            return Err(EngineError::Unavailable(
                "no [drill] section is configured; add one with `schedule` and `report_to`".into(),
            ));
        }
        self.start_and_run(who, None)
            .await?
            .ok_or_else(|| EngineError::Unavailable("the drill did not start".into()))
    }

    pub async fn drills(&self, limit: u32) -> Result<Vec<DrillRecord>, EngineError> {
        Ok(self.store.drills(limit).await?)
    }

    pub async fn drill(&self, id: &str) -> Result<Option<DrillRecord>, EngineError> {
        Ok(self.store.drill(id).await?)
    }

    /// The contacts' confirmation dates recorded through drill links.
    pub async fn contact_verifications(
        &self,
    ) -> Result<Vec<tocsin_store::ContactVerification>, EngineError> {
        Ok(self.store.contact_verifications().await?)
    }

    fn drill_url(&self, drill_id: &str) -> String {
        format!("{}/drills/{drill_id}", self.config().server.public_url)
    }

    fn drill_link(&self, drill_id: &str, nonce: &str, expires: Timestamp) -> String {
        let token = link::sign(
            &self.signers.drill,
            &DrillClaims {
                drill_id: drill_id.to_owned(),
                nonce: nonce.to_owned(),
                expires: expires.as_second(),
            },
        );
        format!("{}/drill/confirm/{token}", self.config().server.public_url)
    }

    /// Plans the items, commits the run, sends its test messages and records their answers,
    /// then settles it. `None` when the scheduled run was already started elsewhere.
    async fn start_and_run(
        &self,
        trigger: &str,
        schedule: Option<(Timestamp, Timestamp)>,
    ) -> Result<Option<DrillRecord>, EngineError> {
        let config = self.config();
        let Some(drill) = &config.drill else {
            return Ok(None);
        };
        let now = self.now();
        let tz = self.org_zone();
        let id = uuid::Uuid::now_v7().to_string();
        let mut items: Vec<DrillItem> = Vec::new();
        let mut push = |kind: &str,
                        subject: String,
                        (status, reason): checks::Verdict,
                        nonce: Option<String>| {
            let seq = i64::try_from(items.len()).unwrap_or(i64::MAX);
            items.push(DrillItem {
                seq,
                kind: kind.to_owned(),
                subject,
                status,
                reason,
                nonce,
                confirmed_at: None,
            });
        };
        let sending = || {
            (
                DrillItemStatus::Waiting,
                "sending a test message".to_owned(),
            )
        };
        for channel in &config.channels {
            push("channel", channel.id.clone(), sending(), None);
        }
        let confirmed = self.store.contact_verifications().await?;
        let internal: Vec<_> = config.contacts.iter().filter(|c| !c.external).collect();
        for contact in &internal {
            for method in &contact.methods {
                let method = method_id(method);
                push(
                    "page",
                    format!("{} via {method}", contact.id),
                    sending(),
                    Some(uuid::Uuid::now_v7().to_string()),
                );
            }
        }
        for monitor in config
            .monitors
            .iter()
            .filter(|m| crate::probes::is_probed(m))
        {
            let record = self.store.monitor(&monitor.id).await?;
            let kind = match monitor.kind {
                tocsin_config::MonitorKind::Heartbeat { .. } => "heartbeat",
                _ => "monitor",
            };
            push(
                kind,
                monitor.id.clone(),
                checks::monitor(monitor, record.as_ref(), now),
                None,
            );
        }
        for integration in &config.integrations {
            let last = self
                .store
                .last_signal_at(&format!("integration:{}", integration.id))
                .await?;
            push(
                "integration",
                integration.id.clone(),
                checks::integration(integration, last, now),
                None,
            );
        }
        for contact in &internal {
            let from_link = confirmed
                .iter()
                .find(|v| v.contact == contact.id)
                .map(|v| v.verified_on);
            let verified = checks::verified_on(contact.verified_on, from_link);
            let verdict = checks::contact(verified, drill.contacts_verified_within, &tz, now);
            let nonce =
                (verdict.0 == DrillItemStatus::Fail).then(|| uuid::Uuid::now_v7().to_string());
            push("contact", contact.id.clone(), verdict, nonce);
        }
        let record = DrillRecord {
            id: id.clone(),
            trigger: trigger.to_owned(),
            started_at: now,
            confirm_by: add(now, drill.confirm_within),
            status: DrillStatus::Running,
            finished_at: None,
            incident_id: None,
            report_sent: None,
            items,
        };
        if !self.store.start_drill(&record, schedule).await? {
            return Ok(None);
        }
        tracing::info!(drill = %id, %trigger, "drill started");
        self.send_drill_messages(&record).await?;
        self.settle_drill(&id, false).await?;
        Ok(self.store.drill(&id).await?)
    }

    /// A test message to every channel, a test page to every contact by every method.
    async fn send_drill_messages(&self, record: &DrillRecord) -> Result<(), EngineError> {
        let config = self.config();
        let now = self.now();
        let tz = self.org_zone();
        for item in &record.items {
            match item.kind.as_str() {
                "channel" => {
                    let notice = self.drill_notice(
                        record,
                        "Test message from tocsin's monthly drill: no action needed".to_owned(),
                        "tocsin is checking that this channel still delivers. Nothing is wrong."
                            .to_owned(),
                    );
                    let links = NoticeLinks {
                        incident_url: self.drill_url(&record.id),
                        ack_url: None,
                    };
                    let (status, reason) = match self.channel_test_target(&item.subject) {
                        Err(reason) => (DrillItemStatus::Fail, reason),
                        Ok(target) => {
                            let email = matches!(target, Target::Email { .. });
                            match self
                                .send_test(&target, None, &notice, &links, &record.id, item.seq)
                                .await
                            {
                                Ok(()) if email => (
                                    DrillItemStatus::Pass,
                                    "the SMTP server accepted the test message".to_owned(),
                                ),
                                Ok(()) => (
                                    DrillItemStatus::Pass,
                                    "answered 2xx to the test message".to_owned(),
                                ),
                                Err(error) => (
                                    DrillItemStatus::Fail,
                                    format!("the test message failed: {error}"),
                                ),
                            }
                        }
                    };
                    self.store
                        .set_drill_item(&record.id, item.seq, status, &reason)
                        .await?;
                }
                "page" => {
                    let Some((contact, method)) = item.subject.split_once(" via ") else {
                        continue;
                    };
                    let nonce = item.nonce.clone().unwrap_or_default();
                    let confirm_url = self.drill_link(&record.id, &nonce, record.confirm_by);
                    let name = config.contact(contact).map_or(contact, |c| c.name.as_str());
                    let mut summary = format!(
                        "This is tocsin's monthly drill: a test page by {method}. Confirm you \
                         received it within {}: {confirm_url}",
                        checks::human(
                            Duration::try_from(record.confirm_by.duration_since(record.started_at))
                                .unwrap_or_default()
                        )
                    );
                    // A stale contact's re-verify link rides along on each test page.
                    if let Some(stale) = record
                        .items
                        .iter()
                        .find(|i| i.kind == "contact" && i.subject == contact && i.nonce.is_some())
                    {
                        let verify_url = self.drill_link(
                            &record.id,
                            stale.nonce.as_deref().unwrap_or_default(),
                            add(now, VERIFY_LINK_LIFETIME),
                        );
                        summary.push_str(&format!(
                            " Your contact numbers need confirming ({}): check them and confirm at {verify_url}",
                            stale.reason
                        ));
                    }
                    let notice = self.drill_notice(
                        record,
                        format!("Test page for {name}: please confirm you got it"),
                        summary,
                    );
                    let links = NoticeLinks {
                        incident_url: self.drill_url(&record.id),
                        ack_url: Some(confirm_url),
                    };
                    let failed = match Self::page_target(&self.live(), contact, method) {
                        Err(reason) => Some(reason),
                        Ok((target, to)) => self
                            .send_test(
                                &target,
                                to.as_deref(),
                                &notice,
                                &links,
                                &record.id,
                                item.seq,
                            )
                            .await
                            .err()
                            .map(|error| format!("the test page failed: {error}")),
                    };
                    let (status, reason) = match failed {
                        Some(reason) => (DrillItemStatus::Fail, reason),
                        None => (
                            DrillItemStatus::Waiting,
                            format!(
                                "waiting for confirmation until {}",
                                record
                                    .confirm_by
                                    .to_zoned(tz.clone())
                                    .strftime("%Y-%m-%d %H:%M %Z")
                            ),
                        ),
                    };
                    self.store
                        .set_drill_item(&record.id, item.seq, status, &reason)
                        .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A channel's target for the test message. An e-mail channel's audience is customers, so
    /// its test goes to the `[smtp]` sender's own address: the question is whether the SMTP
    /// server accepts mail from tocsin.
    fn channel_test_target(&self, channel_id: &str) -> Result<Target, String> {
        let config = self.config();
        if let Some(target) = self.live().targets.get(channel_id) {
            return Ok(target.clone());
        }
        match config.channel(channel_id).map(|c| &c.kind) {
            Some(ChannelKind::Email { .. }) => {
                let smtp = config
                    .smtp
                    .as_ref()
                    .ok_or_else(|| "e-mail is not configured: add an [smtp] section".to_owned())?;
                let address = smtp
                    .from
                    .rsplit_once('<')
                    .map_or(smtp.from.as_str(), |(_, rest)| rest.trim_end_matches('>'))
                    .trim()
                    .to_owned();
                Ok(Target::Email {
                    to: address,
                    locale_rtl: false,
                })
            }
            _ => Err(format!("channel `{channel_id}` is not configured")),
        }
    }

    fn drill_notice(&self, record: &DrillRecord, title: String, summary: String) -> Notice {
        Notice {
            event: NoticeEvent::Opened,
            incident_id: record.id.clone(),
            title: format!("[drill] {title}"),
            severity: "drill".to_owned(),
            category: Some(INCIDENT_CATEGORY.to_owned()),
            component: None,
            summary: Some(summary),
            opened_at: record.started_at,
            runbook: None,
            actor: None,
            source: None,
        }
    }

    async fn send_test(
        &self,
        target: &Target,
        to: Option<&str>,
        notice: &Notice,
        links: &NoticeLinks,
        drill_id: &str,
        seq: i64,
    ) -> Result<(), String> {
        let delivery_id = format!("drill-{drill_id}-{seq}");
        self.live()
            .sender
            .send(
                target,
                &Delivery {
                    id: &delivery_id,
                    notice,
                    links,
                    now: self.now(),
                    to,
                    reply_code: None,
                },
            )
            .await
            .map_err(|error| match error.status {
                Some(status) if !error.detail.contains(&status.to_string()) => {
                    format!("HTTP {status}: {}", error.detail)
                }
                _ => error.detail,
            })
    }

    /// Brings a drill's summary up to date with its items: its status; when nothing is left
    /// waiting (or `closing`, at the window's end), it is final. A failure opens the SEV-3 (once);
    /// the report goes to `report_to` after the run and again when a waiting drill becomes final.
    async fn settle_drill(&self, drill_id: &str, closing: bool) -> Result<(), EngineError> {
        let Some(record) = self.store.drill(drill_id).await? else {
            return Ok(());
        };
        if record.finished_at.is_some() {
            return Ok(());
        }
        let now = self.now();
        let status = DrillStatus::of(&record.items);
        let waiting = record
            .items
            .iter()
            .any(|i| i.status == DrillItemStatus::Waiting);
        let final_now = closing || !waiting;
        let first_report = record.report_sent.is_none();
        let mut incident_id = None;
        if status == DrillStatus::Failed && record.incident_id.is_none() {
            incident_id = Some(self.open_drill_incident(&record).await?);
        }
        let mut report_sent = None;
        if first_report || final_now {
            let mut shown = record.clone();
            shown.status = status;
            shown.incident_id = incident_id.clone().or(record.incident_id.clone());
            report_sent = Some(self.send_drill_report(&shown, final_now).await);
        }
        self.store
            .set_drill_outcome(
                drill_id,
                status,
                final_now.then_some(now),
                incident_id.as_deref(),
                report_sent.as_deref(),
            )
            .await?;
        tracing::info!(drill = %drill_id, status = status.as_str(), final_now, "drill settled");
        Ok(())
    }

    /// Opens the SEV-3 of a failed drill through the ordinary declare path, with the category
    /// `drill`: it pages only if that severity pages (docs/drill.md).
    async fn open_drill_incident(&self, record: &DrillRecord) -> Result<String, EngineError> {
        let config = self.config();
        let failed: Vec<String> = record
            .items
            .iter()
            .filter(|i| i.status == DrillItemStatus::Fail)
            .map(|i| format!("{} ({})", i.subject, i.kind))
            .collect();
        let severity = config
            .severities
            .iter()
            .find(|s| s.id == "SEV-3")
            .or_else(|| config.severities.last())
            .map(|s| s.id.clone())
            .unwrap_or_else(|| "SEV-3".to_owned());
        let summary = record
            .items
            .iter()
            .filter(|i| i.status == DrillItemStatus::Fail)
            .map(|i| format!("- {} {}: {}", i.kind, i.subject, i.reason))
            .collect::<Vec<_>>()
            .join("\n");
        let incident = self
            .declare(Declaration {
                title: format!("Drill failed: {}", failed.join(", ")),
                severity,
                category: Some(INCIDENT_CATEGORY.to_owned()),
                component: None,
                summary: Some(format!("{summary}\nReport: {}", self.drill_url(&record.id))),
                actor: "drill".to_owned(),
            })
            .await?;
        Ok(incident.id)
    }

    /// Sends the report to `report_to` directly (see the module comment) and says what came of it.
    async fn send_drill_report(&self, record: &DrillRecord, final_report: bool) -> String {
        let Some(drill) = &self.config().drill else {
            return "no [drill] section".to_owned();
        };
        let target = match self.channel_test_target(&drill.report_to) {
            Ok(target) => target,
            Err(error) => return error,
        };
        let counts =
            |status: DrillItemStatus| record.items.iter().filter(|i| i.status == status).count();
        let mut lines: Vec<String> = vec![format!(
            "{} passed, {} failed, {} waiting for confirmation, {} not checked.",
            counts(DrillItemStatus::Pass),
            counts(DrillItemStatus::Fail),
            counts(DrillItemStatus::Waiting),
            counts(DrillItemStatus::Skipped)
        )];
        for item in &record.items {
            lines.push(format!(
                "{} {} {}: {}",
                item.status.as_str().to_uppercase(),
                item.kind,
                item.subject,
                item.reason
            ));
        }
        let title = format!(
            "Drill {}{}",
            record.status.as_str(),
            if final_report {
                ""
            } else {
                " (first report; pages await confirmation)"
            }
        );
        let notice = self.drill_notice(record, title, lines.join("\n"));
        let links = NoticeLinks {
            incident_url: self.drill_url(&record.id),
            ack_url: None,
        };
        match self
            .send_test(
                &target,
                None,
                &notice,
                &links,
                &record.id,
                if final_report { -2 } else { -1 },
            )
            .await
        {
            Ok(()) => "sent".to_owned(),
            Err(error) => format!("the report could not be sent: {error}"),
        }
    }

    /// Checks a drill link without using it (for its page).
    pub async fn check_drill_link(&self, token: &str) -> Result<DrillLink, EngineError> {
        let claims = link::verify(&self.signers.drill, token, self.now())?;
        let (drill_id, item) = self
            .store
            .drill_item_by_nonce(&claims.nonce)
            .await?
            .filter(|(drill_id, _)| *drill_id == claims.drill_id)
            .ok_or(TokenError::Forged)?;
        if item.confirmed_at.is_some() {
            return Err(TokenError::Used.into());
        }
        let purpose = if item.kind == "contact" {
            "verify"
        } else {
            "confirm"
        };
        let numbers = if purpose == "verify" {
            self.config()
                .contact(&item.subject)
                .map(|c| c.phone.iter().chain(c.email.iter()).cloned().collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(DrillLink {
            drill_id,
            item,
            purpose,
            numbers,
        })
    }

    /// Uses a drill link: a test page passes; a contact's numbers are recorded as confirmed
    /// today (in the organisation's zone). Once only; then the drill is settled.
    pub async fn confirm_drill_link(&self, token: &str) -> Result<DrillLink, EngineError> {
        let mut found = self.check_drill_link(token).await?;
        let now = self.now();
        let today = now.to_zoned(self.org_zone()).date();
        let (reason, verified) = if found.purpose == "verify" {
            (
                format!("{}; numbers confirmed on {today}", found.item.reason),
                Some((found.item.subject.as_str(), today)),
            )
        } else {
            (format!("confirmed at {now}"), None)
        };
        if !self
            .store
            .confirm_drill_item(
                &found.item.nonce.clone().unwrap_or_default(),
                now,
                &reason,
                verified,
            )
            .await?
        {
            return Err(TokenError::Used.into());
        }
        if found.purpose == "confirm" {
            self.settle_drill(&found.drill_id, false).await?;
        }
        found.item.reason = reason;
        found.item.confirmed_at = Some(now);
        Ok(found)
    }
}

fn method_id(method: &ContactMethod) -> String {
    match method {
        ContactMethod::Email => "email".to_owned(),
        ContactMethod::Channel(id) => id.clone(),
    }
}
