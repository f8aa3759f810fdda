//! Runbooks on incidents: the checklist with its live facts rendered, ticks, the
//! first-five-minutes card, common-issue suggestions, and the change log (deploys, merges).
//! Reads only; the decisions (ticks, phase deadlines) go through the core like every input.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use tocsin_config::{Config, DirectiveKind};
use tocsin_core::checklist::{self, Checklist, RunbookPolicy};
use tocsin_core::decide::Input;
use tocsin_core::inbound::{Change, ChangeKind};
use tocsin_core::incident::Incident;
use tocsin_store::{ChangeQuery, ChangeRecord, Item, ItemOutcome, Lookup};

use crate::work::Work;
use crate::{Engine, EngineError};

/// How far back an incident looks for the changes that may have caused it.
pub const CHANGE_WINDOW: Duration = Duration::from_secs(2 * 3600);

/// The runbook part of the engine's policy: every runbook's checklist, and the route and
/// severity fallbacks.
pub fn policy(config: &Config) -> RunbookPolicy {
    RunbookPolicy {
        checklists: config
            .runbooks
            .iter()
            .map(|runbook| (runbook.id.clone(), checklist::parse(&runbook.body)))
            .collect(),
        by_route: config
            .routes
            .iter()
            .filter_map(|route| Some((route.category.clone(), route.runbook.clone()?)))
            .collect(),
        by_severity: config
            .severities
            .iter()
            .filter_map(|severity| Some((severity.id.clone(), severity.runbook.clone()?)))
            .collect(),
    }
}

/// An incident's checklist as shown: each section (a phase when it has a deadline) and its
/// items with their ticks and live facts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistView {
    pub id: String,
    pub title: String,
    pub likely_cause: Option<String>,
    pub phases: Vec<PhaseView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseView {
    pub title: String,
    /// The incident's start plus the phase's "Within N minutes"; `None` for a plain section.
    pub deadline: Option<Timestamp>,
    /// Past its deadline with items still open, while the incident is open.
    pub overdue: bool,
    pub items: Vec<ItemView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub id: String,
    /// The item's text, directives left out.
    pub text: String,
    pub done: bool,
    /// Who last ticked or unticked it, and when.
    pub by: Option<String>,
    pub at: Option<Timestamp>,
    pub facts: Vec<Fact>,
}

/// A directive's live value.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Fact {
    /// `{{ monitor "id" }}` and `{{ since "id" }}`.
    Monitor {
        monitor: String,
        name: String,
        status: String,
        since: Option<Timestamp>,
        last_error: Option<String>,
    },
    /// `{{ last_change "deploy" | "merge" }}`: the latest at or before now (or nothing).
    LastChange {
        change_kind: String,
        change: Option<ChangeView>,
    },
    /// `{{ action "id" }}`: a button; the UI posts to `url`.
    Action {
        action: String,
        title: String,
        confirm: bool,
        url: String,
    },
    /// `{{ template "id" }}`: the template in the organisation's default locale, as a draft.
    Template {
        template: String,
        locale: String,
        subject: String,
        body: String,
    },
}

/// A change, with how long before the incident began it happened.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeView {
    pub kind: String,
    pub summary: String,
    pub service: Option<String>,
    pub author: Option<String>,
    pub url: Option<String>,
    pub commit: Option<String>,
    pub source: String,
    pub status: Option<String>,
    pub occurred_at: Timestamp,
    /// Whole minutes between the change and the incident's start; `None` when it came after.
    pub minutes_before: Option<i64>,
}

impl ChangeView {
    pub fn new(change: &Change, incident_start: Option<Timestamp>) -> Self {
        let minutes_before = incident_start
            .map(|start| start.duration_since(change.occurred_at))
            .filter(|gap| !gap.is_negative())
            .map(|gap| gap.as_secs() / 60);
        ChangeView {
            kind: change.kind.as_str().to_owned(),
            summary: change.summary.clone(),
            service: change.service.clone(),
            author: change.author.clone(),
            url: change.url.clone(),
            commit: change.commit.clone(),
            source: change.source.clone(),
            status: change.status.clone(),
            occurred_at: change.occurred_at,
            minutes_before,
        }
    }

    /// "deployed 4 minutes before", for people.
    pub fn flag(&self) -> Option<String> {
        let minutes = self.minutes_before?;
        let verb = match self.kind.as_str() {
            "deploy" => "deployed",
            "merge" => "merged",
            _ => "changed",
        };
        Some(match minutes {
            0 => format!("{verb} less than a minute before"),
            1 => format!("{verb} 1 minute before"),
            n => format!("{verb} {n} minutes before"),
        })
    }
}

/// What a card needs to know of its incident.
#[derive(Debug, Clone, Copy)]
struct CardSubject<'a> {
    /// `monitor:<id>` when a monitor opened it.
    source: &'a str,
    opened_at: Timestamp,
    category: Option<&'a str>,
}

impl<'a> CardSubject<'a> {
    fn of(incident: &'a Incident) -> Self {
        CardSubject {
            source: &incident.source,
            opened_at: incident.opened_at,
            category: incident.category.as_deref(),
        }
    }

    /// An opening notice carries the same facts as its incident.
    fn of_notice(notice: &'a tocsin_core::notice::Notice, source: &'a str) -> Self {
        CardSubject {
            source,
            opened_at: notice.opened_at,
            category: notice.category.as_deref(),
        }
    }
}

/// The first-five-minutes card: what the runbook's diagnosis questions ask, answered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    /// The monitor that opened the incident, if a monitor did.
    pub monitor: Option<MonitorFacts>,
    /// Deploys and merges in the two hours before the incident began, newest first.
    pub changes: Vec<ChangeView>,
    /// The other monitors (database, third parties…) and their state now.
    pub dependencies: Vec<MonitorFacts>,
    /// Who is on call now, per schedule (contact names).
    pub on_call: Vec<OnCallFact>,
    /// The outside parties the incident's route says to call.
    pub call: Vec<CallFact>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonitorFacts {
    pub id: String,
    pub name: String,
    pub status: String,
    pub since: Option<Timestamp>,
    pub last_error: Option<String>,
    /// The last passing check before the incident began.
    pub last_success: Option<Timestamp>,
    /// The first failed check of the outage.
    pub first_failure: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnCallFact {
    pub schedule: String,
    pub contact: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallFact {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
}

/// A suggested common issue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    pub likely_cause: Option<String>,
    pub score: u32,
    pub reasons: Vec<String>,
}

impl Engine {
    /// Ticks (or unticks) a checklist item of an incident; recorded on the timeline with who
    /// and when. Ticking a ticked item changes nothing.
    pub async fn tick(
        &self,
        incident_id: &str,
        item: &str,
        done: bool,
        actor: &str,
    ) -> Result<Incident, EngineError> {
        let input = Input::Tick {
            actor: actor.to_owned(),
            item: item.to_owned(),
            done,
        };
        self.act(incident_id, input).await
    }

    /// Records a deploy or merge reported by hand (`tocsin change record`, `POST /api/v1/changes`).
    pub async fn record_change(&self, change: Change) -> Result<(), EngineError> {
        let mut work = Work::new(
            Item {
                lookup: Lookup::Nothing,
                delivery: None,
            },
            None,
        );
        work.changes.push(change);
        match self.decide_one(work).await? {
            ItemOutcome::Refused(refusal) => Err(refusal.into()),
            _ => Ok(()),
        }
    }

    /// Changes of one service (or all) and kind (or all) from `since` to now, newest first.
    pub async fn changes(
        &self,
        service: Option<String>,
        kind: Option<ChangeKind>,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<ChangeRecord>, EngineError> {
        Ok(self
            .store
            .changes_in(&ChangeQuery {
                service,
                kind,
                since,
                until: self.now(),
                limit,
            })
            .await?)
    }

    /// The incident's checklist with ticks and live facts; `None` without a (known) runbook.
    pub async fn checklist(
        &self,
        incident: &Incident,
    ) -> Result<Option<ChecklistView>, EngineError> {
        let config = self.config();
        let Some(runbook) = incident
            .runbook
            .as_deref()
            .and_then(|id| config.runbook(id))
        else {
            return Ok(None);
        };
        let parsed: Checklist = checklist::parse(&runbook.body);
        let events = self.store.timeline(&incident.id).await?;
        let ticks = checklist::ticks(&events);
        // Each directive belongs to the item on its line of the body.
        let mut facts_by_line: BTreeMap<usize, Vec<Fact>> = BTreeMap::new();
        for directive in &runbook.directives {
            let line = runbook
                .body
                .get(..directive.range.start)
                .map_or(0, |head| head.matches('\n').count());
            let fact = self.fact(&directive.kind, incident).await?;
            facts_by_line.entry(line).or_default().push(fact);
        }
        let now = self.now();
        let phases = parsed
            .sections
            .iter()
            .map(|section| {
                let deadline = section
                    .within
                    .map(|within| checklist::deadline(incident.opened_at, within));
                let items: Vec<ItemView> = section
                    .items
                    .iter()
                    .map(|item| {
                        let tick = ticks.get(&item.id);
                        ItemView {
                            id: item.id.clone(),
                            text: checklist::plain_text(&item.text),
                            done: tick.is_some_and(|tick| tick.done),
                            by: tick.map(|tick| tick.by.clone()),
                            at: tick.map(|tick| tick.at),
                            facts: facts_by_line.get(&item.line).cloned().unwrap_or_default(),
                        }
                    })
                    .collect();
                let overdue = incident.state.is_open()
                    && deadline.is_some_and(|deadline| now >= deadline)
                    && items.iter().any(|item| !item.done);
                PhaseView {
                    title: section.title.clone(),
                    deadline,
                    overdue,
                    items,
                }
            })
            .collect();
        Ok(Some(ChecklistView {
            id: runbook.id.clone(),
            title: runbook.title.clone(),
            likely_cause: runbook.likely_cause.clone(),
            phases,
        }))
    }

    async fn fact(&self, kind: &DirectiveKind, incident: &Incident) -> Result<Fact, EngineError> {
        let config = self.config();
        Ok(match kind {
            DirectiveKind::Monitor(id) | DirectiveKind::Since(id) => {
                let record = self.store.monitor(id).await?;
                let name = config
                    .monitors
                    .iter()
                    .find(|monitor| &monitor.id == id)
                    .map_or_else(|| id.clone(), |monitor| monitor.name.clone());
                Fact::Monitor {
                    monitor: id.clone(),
                    name,
                    status: record
                        .as_ref()
                        .map_or("pending", |record| record.state.status.as_str())
                        .to_owned(),
                    since: record.as_ref().and_then(|record| record.state.since),
                    last_error: record.and_then(|record| record.state.last_error),
                }
            }
            DirectiveKind::LastChange(kind) => {
                let kind = match kind {
                    tocsin_config::ChangeKind::Deploy => ChangeKind::Deploy,
                    tocsin_config::ChangeKind::Merge => ChangeKind::Merge,
                };
                let latest = self
                    .store
                    .changes_in(&ChangeQuery {
                        service: None,
                        kind: Some(kind),
                        since: Timestamp::UNIX_EPOCH,
                        until: self.now(),
                        limit: 1,
                    })
                    .await?;
                Fact::LastChange {
                    change_kind: kind.as_str().to_owned(),
                    change: latest
                        .first()
                        .map(|record| ChangeView::new(&record.change, Some(incident.opened_at))),
                }
            }
            DirectiveKind::Action(id) => {
                let title = config
                    .actions
                    .iter()
                    .find(|action| &action.id == id)
                    .map(|action| (action.title.clone(), action.confirm));
                Fact::Action {
                    action: id.clone(),
                    title: title
                        .as_ref()
                        .map_or_else(|| id.clone(), |(t, _)| t.clone()),
                    confirm: title.is_none_or(|(_, confirm)| confirm),
                    url: format!("/incidents/{}/actions/{id}", incident.id),
                }
            }
            DirectiveKind::Template(id) => {
                let locale = config.org.default_locale().to_owned();
                let template = config
                    .templates
                    .iter()
                    .filter(|template| &template.id == id)
                    .find(|template| template.locale == locale)
                    .or_else(|| config.templates.iter().find(|t| &t.id == id));
                let fill = |text: &str| {
                    text.replace("{{ org.name }}", &config.org.name)
                        .replace("{{ incident.title }}", &incident.title)
                };
                Fact::Template {
                    template: id.clone(),
                    locale: template.map_or(locale, |t| t.locale.clone()),
                    subject: template.map(|t| fill(&t.subject)).unwrap_or_default(),
                    body: template.map(|t| fill(&t.body)).unwrap_or_default(),
                }
            }
        })
    }

    /// The first-five-minutes card of an incident.
    pub async fn card(&self, incident: &Incident) -> Result<Card, EngineError> {
        self.card_of(CardSubject::of(incident)).await
    }

    /// The card of the incident `subject` describes. Its reads depend only on the subject, so
    /// they are issued together: the card goes out with an incident's first message, so it is
    /// on the path from signal to page (the SQLite store answers them on this thread).
    async fn card_of(&self, subject: CardSubject<'_>) -> Result<Card, EngineError> {
        let live = self.live();
        let config = &live.config;
        // Only a configured monitor gets the failing monitor's facts (and their reads).
        let failing = subject
            .source
            .strip_prefix("monitor:")
            .filter(|id| config.monitor(id).is_some());
        let now = self.now();
        let (records, failing_checks, changes, roster) = tokio::try_join!(
            // Every monitor's state in one read, not one read per configured monitor.
            async { Ok::<_, EngineError>(self.store.monitors().await?) },
            self.failing_checks(failing, subject.opened_at),
            async {
                Ok(self
                    .store
                    .changes_in(&ChangeQuery {
                        service: None,
                        kind: None,
                        since: crate::probes::before(subject.opened_at, CHANGE_WINDOW),
                        until: subject.opened_at,
                        limit: 20,
                    })
                    .await?)
            },
            self.roster(&live, now),
        )?;
        let mut records: BTreeMap<String, _> = records
            .into_iter()
            .map(|record| (record.id.clone(), record))
            .collect();
        let mut monitor = None;
        let mut dependencies = Vec::new();
        for configured in &config.monitors {
            let record = records.remove(&configured.id);
            let mut facts = MonitorFacts {
                id: configured.id.clone(),
                name: configured.name.clone(),
                status: record
                    .as_ref()
                    .map_or("pending", |record| record.state.status.as_str())
                    .to_owned(),
                since: record.as_ref().and_then(|record| record.state.since),
                last_error: record.and_then(|record| record.state.last_error),
                last_success: None,
                first_failure: None,
            };
            if failing == Some(configured.id.as_str()) {
                (facts.last_success, facts.first_failure) = failing_checks;
                monitor = Some(facts);
            } else {
                dependencies.push(facts);
            }
        }
        let changes = changes
            .iter()
            .filter(|record| matches!(record.change.kind, ChangeKind::Deploy | ChangeKind::Merge))
            .map(|record| ChangeView::new(&record.change, Some(subject.opened_at)))
            .collect();
        let on_call = roster
            .into_iter()
            .map(|(schedule, contact)| OnCallFact {
                name: config
                    .contact(&contact)
                    .map_or_else(|| contact.clone(), |c| c.name.clone()),
                schedule,
                contact,
            })
            .collect();
        let call = subject
            .category
            .and_then(|category| config.routes.iter().find(|r| r.category == category))
            .map(|route| {
                route
                    .call
                    .iter()
                    .filter_map(|id| config.contact(id))
                    .map(|contact| CallFact {
                        id: contact.id.clone(),
                        name: contact.name.clone(),
                        phone: contact.phone.clone(),
                        email: contact.email.clone(),
                        url: contact.url.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Card {
            monitor,
            changes,
            dependencies,
            on_call,
            call,
        })
    }

    /// The failing monitor's last passing check before `opened_at` and the first failed check
    /// after it (the outage's start); nothing when no monitor opened the incident.
    async fn failing_checks(
        &self,
        monitor: Option<&str>,
        opened_at: Timestamp,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>), EngineError> {
        let Some(monitor) = monitor else {
            return Ok((None, None));
        };
        let (last_success, recent) = tokio::try_join!(
            self.store.last_check(monitor, true, opened_at),
            self.store.recent_checks(monitor, 100),
        )?;
        let last_success = last_success.map(|check| check.at);
        let first_failure = recent
            .into_iter()
            .filter(|check| !check.outcome.ok && check.at <= opened_at)
            .filter(|check| last_success.is_none_or(|ok| check.at > ok))
            .map(|check| check.at)
            .min();
        Ok((last_success, first_failure))
    }

    /// Common issues the incident's title, summary and alert text suggest (its own runbook
    /// left out), best first.
    pub fn suggestions(&self, incident: &Incident, alert_text: &[String]) -> Vec<Suggestion> {
        let mut text = format!(
            "{}\n{}",
            incident.title,
            incident.summary.as_deref().unwrap_or("")
        );
        for line in alert_text {
            text.push('\n');
            text.push_str(line);
        }
        tocsin_config::knowledge::suggest(&self.config().runbooks, &text, 4)
            .into_iter()
            .filter(|hit| incident.runbook.as_deref() != Some(hit.runbook.id.as_str()))
            .take(3)
            .map(|hit| Suggestion {
                id: hit.runbook.id.clone(),
                title: hit.runbook.title.clone(),
                likely_cause: hit.runbook.likely_cause.clone(),
                score: hit.score,
                reasons: hit.reasons,
            })
            .collect()
    }

    /// An opening notice with the first-five-minutes facts added under its summary: the failing
    /// monitor's last success, the changes before it, the other monitors, who is on call and
    /// whom to call. `None` for other notices, or when the card cannot be read (the message
    /// then goes out without it rather than not at all).
    pub(crate) async fn with_first_five_minutes(
        &self,
        notice: &tocsin_core::notice::Notice,
    ) -> Option<tocsin_core::notice::Notice> {
        if notice.event != tocsin_core::notice::NoticeEvent::Opened {
            return None;
        }
        let card = match &notice.source {
            Some(source) => self.card_of(CardSubject::of_notice(notice, source)).await,
            // A delivery queued before notices carried their source: read the incident.
            None => {
                let incident = self.store.incident(&notice.incident_id).await.ok()??;
                self.card(&incident).await
            }
        }
        .ok()?;
        let lines = card_lines(&card);
        if lines.is_empty() {
            return None;
        }
        let mut notice = notice.clone();
        let mut summary = notice.summary.take().unwrap_or_default();
        if !summary.is_empty() {
            summary.push_str("\n\n");
        }
        summary.push_str("First five minutes:\n");
        summary.push_str(&lines.join("\n"));
        notice.summary = Some(summary);
        Some(notice)
    }
}

fn clock(at: Timestamp) -> String {
    at.strftime("%H:%M:%S UTC").to_string()
}

/// The card as short lines for a chat message or an e-mail.
pub fn card_lines(card: &Card) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(monitor) = &card.monitor {
        let mut line = format!("• {} is {}", monitor.name, monitor.status);
        if let Some(first) = monitor.first_failure {
            line.push_str(&format!("; first failed {}", clock(first)));
        }
        match monitor.last_success {
            Some(ok) => line.push_str(&format!("; last succeeded {}", clock(ok))),
            None => line.push_str("; no success recorded"),
        }
        lines.push(line);
    }
    if card.changes.is_empty() {
        lines.push("• No deploy or merge in the 2 h before".to_owned());
    }
    for change in card.changes.iter().take(3) {
        let mut line = format!(
            "• {}: {}",
            change.flag().unwrap_or_else(|| change.kind.clone()),
            change.summary
        );
        if let Some(author) = &change.author {
            line.push_str(&format!(" by {author}"));
        }
        if let Some(url) = &change.url {
            line.push_str(&format!(" ({url})"));
        }
        lines.push(line);
    }
    if !card.dependencies.is_empty() {
        let states: Vec<String> = card
            .dependencies
            .iter()
            .map(|dep| format!("{} {}", dep.name, dep.status))
            .collect();
        lines.push(format!("• Other monitors: {}", states.join(", ")));
    }
    if !card.on_call.is_empty() {
        let who: Vec<String> = card
            .on_call
            .iter()
            .map(|who| format!("{} ({})", who.name, who.schedule))
            .collect();
        lines.push(format!("• On call: {}", who.join(", ")));
    }
    for party in &card.call {
        let mut line = format!("• Call {}", party.name);
        if let Some(phone) = &party.phone {
            line.push_str(&format!(" {phone}"));
        }
        lines.push(line);
    }
    lines
}
