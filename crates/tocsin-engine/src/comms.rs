//! Customer communications: when an incident opens or resolves, `decide` names a notice per
//! customer-facing channel of its severity (an e-mail channel with an `audience`,
//! `tocsin-core/src/customer_comms.rs`); here its `[[template]]` is rendered in every locale
//! before the decision commits. With `comms = "auto"` the mail is queued in the deciding transaction; with
//! `comms = "draft"` a draft waits for a person to approve (or edit) it, and only then is the
//! mail queued. Team channels are told at once either way (they are ordinary `Notify` effects).
//! Customer mail goes through its own leased outbox (`comms_mail`), rendered left-to-right or
//! right-to-left by locale.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use jiff::SignedDuration;
use minijinja::{AutoEscape, Environment};
use tocsin_core::decide::{Decision, Effect, Refusal};
use tocsin_core::incident::{EventKind, Incident, TimelineEvent};
use tocsin_core::notice::{CommsEvent, CustomerText};
use tocsin_core::retry::{MAX_ATTEMPTS, retry_delay};
use tocsin_notify::email::Composed;
use tocsin_store::{ApproveOutcome, AttemptOutcome, CommsMail, CommsRecord};

use crate::subscribers::{Body, valid_email};
use crate::{Engine, EngineError};

const LEASE: Duration = Duration::from_secs(60);
const BATCH: u32 = 100;
const CONCURRENCY: usize = 8;

/// A person's edit of a draft before approving it: the text of one locale.
#[derive(Debug, Clone, Default)]
pub struct DraftEdit {
    /// The locale edited; the draft's default locale when `None`.
    pub locale: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

fn is_rtl(locale: &str) -> bool {
    ["ar", "he", "fa", "ur"]
        .iter()
        .any(|rtl| locale == *rtl || locale.starts_with(&format!("{rtl}-")))
}

impl Engine {
    /// Renders the texts of the customer notices `decide` put in the decision, before it is
    /// committed: the core chose the channels, events, templates and drafts; the template
    /// engine is the shell's. A template that renders in no locale (a runtime error in it)
    /// sends nothing: its notice (and its `comms_drafted` line) give way to a `comms_skipped`
    /// event saying so.
    pub(crate) fn render_customer_comms(&self, decision: &mut Decision) {
        // Every decision passes here (each ingested alert): most carry no notice at all.
        let has_notice = decision
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::CustomerComms(_)));
        let Some(incident) = decision.incident.as_ref().filter(|_| has_notice) else {
            return;
        };
        let mut unrenderable = Vec::new();
        decision.effects.retain_mut(|effect| {
            let Effect::CustomerComms(notice) = effect else {
                return true;
            };
            notice.texts = self.render_customer_texts(&notice.template, incident, notice.event);
            if notice.texts.is_empty() {
                tracing::warn!(channel = %notice.channel, template = %notice.template, "no customer text could be rendered; nothing is sent to customers");
                unrenderable.push(notice.clone());
                return false;
            }
            true
        });
        let at = decision
            .events
            .first()
            .map_or_else(|| self.now(), |event| event.at);
        for notice in unrenderable {
            decision.events.retain(|event| {
                !(event.kind == EventKind::CommsDrafted
                    && event.data["draft"] == notice.id.as_str())
            });
            decision
                .events
                .push(tocsin_core::customer_comms::unrenderable(&notice, at));
        }
    }

    /// The template `id` rendered in every locale it has. Customer templates never see the
    /// incident's own title (often an alert's words): `incident.public_title` — and
    /// `incident.title`, for templates written before it existed — is the public title in the
    /// template's locale, and `incident.component` is the status page's name for it.
    fn render_customer_texts(
        &self,
        id: &str,
        incident: &Incident,
        event: CommsEvent,
    ) -> BTreeMap<String, CustomerText> {
        let mut env = Environment::new();
        // Plain text: the HTML part is escaped when the mail is composed.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // A name the load-time check could not see is an error, never an empty string.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let component = incident.component.as_deref().and_then(|id| {
            self.config()
                .status_page
                .as_ref()
                .and_then(|page| page.components.iter().find(|c| c.id == id))
                .map(|c| c.name.clone())
        });
        let mut texts = BTreeMap::new();
        for template in self.config().templates.iter().filter(|t| t.id == id) {
            let public_title = self.public_title(incident, &template.locale);
            let context = minijinja::context! {
                org => minijinja::context! { name => &self.config().org.name },
                incident => minijinja::context! {
                    id => &incident.id,
                    public_title => &public_title,
                    title => &public_title,
                    severity => &incident.severity,
                    component => &component,
                    state => incident.state.as_str(),
                    url => self.incident_url(&incident.id),
                },
                event => event.as_str(),
                status_url => format!("{}/status", self.config().server.public_url),
            };
            let subject = env.render_str(&template.subject, &context);
            let body = env.render_str(&template.body, &context);
            match (subject, body) {
                (Ok(subject), Ok(body)) => {
                    texts.insert(
                        template.locale.clone(),
                        CustomerText {
                            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
                            body: body.trim().to_owned(),
                        },
                    );
                }
                (Err(error), _) | (_, Err(error)) => {
                    tracing::warn!(template = %template.id, locale = %template.locale, %error, "a customer template does not render");
                }
            }
        }
        texts
    }

    /// An incident's customer notices, drafts and approved ones.
    pub async fn comms(&self, incident_id: &str) -> Result<Vec<CommsRecord>, EngineError> {
        self.incident_exists(incident_id).await?;
        Ok(self.store.comms(incident_id).await?)
    }

    async fn incident_exists(&self, incident_id: &str) -> Result<Incident, EngineError> {
        self.store
            .incident(incident_id)
            .await?
            .ok_or_else(|| EngineError::NoIncident(incident_id.to_owned()))
    }

    /// Approves a draft, with one locale's text edited if asked, and queues its mail.
    pub async fn approve_comms(
        &self,
        incident_id: &str,
        draft_id: &str,
        actor: &str,
        edit: DraftEdit,
    ) -> Result<CommsRecord, EngineError> {
        self.incident_exists(incident_id).await?;
        let drafts = self.store.comms(incident_id).await?;
        let draft = drafts
            .iter()
            .find(|draft| draft.id == draft_id)
            .ok_or_else(|| Refusal::Invalid(format!("this incident has no draft `{draft_id}`")))?;
        let edited = if edit.subject.is_some() || edit.body.is_some() {
            let locale = edit.locale.unwrap_or_else(|| draft.default_locale.clone());
            let mut texts = draft.texts.clone();
            let text = texts.get_mut(&locale).ok_or_else(|| {
                Refusal::Invalid(format!(
                    "the draft has no `{locale}` text; it has {}",
                    draft.texts.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            if let Some(subject) = edit.subject {
                let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
                if subject.is_empty() {
                    return Err(Refusal::Invalid("the subject cannot be empty".into()).into());
                }
                text.subject = subject;
            }
            if let Some(body) = edit.body {
                if body.trim().is_empty() {
                    return Err(Refusal::Invalid("the body cannot be empty".into()).into());
                }
                text.body = body.trim().to_owned();
            }
            Some(texts)
        } else {
            None
        };
        let event = TimelineEvent {
            incident_id: incident_id.to_owned(),
            at: self.now(),
            kind: EventKind::CommsApproved,
            actor: actor.to_owned(),
            text: format!(
                "Customer notice for {} approved{} and sent",
                draft.channel,
                if edited.is_some() { " (edited)" } else { "" }
            ),
            data: serde_json::json!({ "draft": draft.id, "channel": draft.channel }),
        };
        match self
            .store
            .approve_comms(incident_id, draft_id, actor, edited.as_ref(), &event)
            .await?
        {
            ApproveOutcome::Approved => {}
            ApproveOutcome::NoSuchDraft => {
                return Err(
                    Refusal::Invalid(format!("this incident has no draft `{draft_id}`")).into(),
                );
            }
            ApproveOutcome::AlreadyApproved => {
                return Err(Refusal::State {
                    state: "approved",
                    action: "approving again",
                }
                .into());
            }
        }
        self.bump_generation();
        self.store
            .comms(incident_id)
            .await?
            .into_iter()
            .find(|record| record.id == draft_id)
            .ok_or_else(|| EngineError::Unavailable("the approved draft vanished".into()))
    }

    /// Names customers on an incident (`audience = "affected"`); notices already approved go
    /// to the new ones too. Returns the addresses that were new.
    pub async fn add_affected(
        &self,
        incident_id: &str,
        emails: &[String],
        actor: &str,
    ) -> Result<Vec<String>, EngineError> {
        self.incident_exists(incident_id).await?;
        if emails.is_empty() {
            return Err(Refusal::Invalid("name at least one e-mail address".into()).into());
        }
        let mut valid = Vec::new();
        for email in emails {
            let checked = valid_email(email).ok_or_else(|| {
                Refusal::Invalid(format!(
                    "`{email}` is not an e-mail address; nothing was added"
                ))
            })?;
            valid.push(checked.to_ascii_lowercase());
        }
        let event = TimelineEvent {
            incident_id: incident_id.to_owned(),
            at: self.now(),
            kind: EventKind::AffectedAdded,
            actor: actor.to_owned(),
            text: format!("Affected customers named: {}", valid.join(", ")),
            data: serde_json::json!({ "emails": valid }),
        };
        let added = self.store.add_affected(incident_id, &valid, &event).await?;
        self.bump_generation();
        Ok(added)
    }

    /// Sends the customer mail that is due. Returns how many were attempted.
    pub(crate) async fn comms_round(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let lease = now
            .saturating_add(SignedDuration::try_from(LEASE).unwrap_or_default())
            .unwrap_or(now);
        let claimed = self.store.claim_comms_mail(now, lease, BATCH).await?;
        let count = claimed.len();
        let mut sends = stream::iter(claimed)
            .map(|mail| self.send_comms_mail(mail))
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = sends.next().await {
            result?;
        }
        Ok(count)
    }

    async fn send_comms_mail(&self, mail: CommsMail) -> Result<(), EngineError> {
        let now = self.now();
        if !self
            .still_holds(tocsin_store::Queue::CustomerMail, &mail.id, now)
            .await
        {
            return Ok(());
        }
        let outcome = match self.live().sender.mailer() {
            None => AttemptOutcome::Failed {
                error: "e-mail is not configured ([smtp])".into(),
            },
            Some(mailer) => {
                let mut body = Body::new();
                for paragraph in mail.text.body.split("\n\n") {
                    body.paragraph(paragraph.trim());
                }
                // A subscriber can stop these from the mail itself, like every status-page
                // mail. A customer named on the incident was not subscribed to anything: the
                // notice is about their own account's trouble, so it carries no such link.
                let unsubscribe = match mail.subscriber_id {
                    Some(subscriber) => {
                        let (label, url) =
                            self.unsubscribe_link(subscriber, &mail.locale, now).await?;
                        body.link(label, &url);
                        Some(url)
                    }
                    None => None,
                };
                let (text, html) = body.finish(&mail.locale, is_rtl(&mail.locale));
                let sent = mailer
                    .send_composed(&Composed {
                        id: &mail.id,
                        to: &mail.recipient,
                        subject: &mail.text.subject,
                        text: &text,
                        html: &html,
                        now,
                        unsubscribe_url: unsubscribe.as_deref(),
                    })
                    .await;
                let attempt = mail.attempts.saturating_add(1);
                match sent {
                    Ok(()) => AttemptOutcome::Sent,
                    Err(error) if error.retryable && attempt < MAX_ATTEMPTS => {
                        let wait = retry_delay(attempt, error.retry_after, rand::random::<f64>());
                        AttemptOutcome::Retry {
                            error: error.detail,
                            next_attempt_at: now
                                .saturating_add(SignedDuration::try_from(wait).unwrap_or_default())
                                .unwrap_or(now),
                        }
                    }
                    Err(error) => AttemptOutcome::Failed {
                        error: error.detail,
                    },
                }
            }
        };
        if let AttemptOutcome::Retry { error, .. } | AttemptOutcome::Failed { error } = &outcome {
            tracing::warn!(mail = %mail.id, incident = %mail.incident_id, %error, "customer mail not sent");
        }
        self.store
            .record_comms_mail(&mail.id, self.now(), &outcome)
            .await?;
        Ok(())
    }
}

impl Engine {
    /// The customers named on an incident.
    pub async fn affected(&self, incident_id: &str) -> Result<Vec<String>, EngineError> {
        Ok(self.store.affected(incident_id).await?)
    }

    /// An incident's action runs, oldest first.
    pub async fn action_runs(
        &self,
        incident_id: &str,
    ) -> Result<Vec<tocsin_store::ActionRun>, EngineError> {
        self.incident_exists(incident_id).await?;
        Ok(self.store.action_runs(incident_id).await?)
    }
}
