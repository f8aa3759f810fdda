//! What the Slack app's buttons and `/tocsin` command do, once the web has the raw request:
//! the `v0` signature checked with each `slack_app` channel's signing secret (5-minute window),
//! the press or command read (`tocsin_core::inbound::slack_app`), and the answer Slack shows
//! the person (`None`: nothing to show, the message itself is redrawn by its delivery).
//!
//! Who acts: the contact whose `slack` id is the presser's, else "Slack user <name> (<id>)".
//! Rights are the existing Slack Acknowledge button's: whoever the app's workspace lets press.
//! An action with `confirm = true` never runs on its button's press: the answer is a
//! confirmation carrying a signed, single-use token (incident, action, the same person, 5
//! minutes), and only that confirming press runs it, once.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;
use tocsin_core::decide::{Declaration, Input};
use tocsin_core::inbound::slack::{SlackVerifyError, verify};
use tocsin_core::inbound::slack_app::{
    Command, Person as SlackPerson, SlackUser, help, parse_command, parse_press,
    parse_slash_command,
};
use tocsin_core::incident_filter::{IncidentFilter, StateFilter};
use tocsin_notify::slack_app::{
    ACKNOWLEDGE, CONFIRM_ACTION, RESOLVE, RUN_ACTION, confirmation, ephemeral,
};

use crate::ack::{AckClaims, TokenError};
use crate::{Engine, EngineError};

/// How long an action's confirmation button works.
const CONFIRMATION_LIFETIME_SECONDS: i64 = 300;

/// Why a Slack app request is turned away before it is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackAppRefusal {
    /// No `slack_app` channel is configured.
    #[error("the Slack app is off: no channel has `type = \"slack_app\"`")]
    Off,
    /// Not signed with any app's signing secret, or too old.
    #[error("{0}")]
    Unsigned(SlackVerifyError),
}

impl Engine {
    /// Checks a request's `X-Slack-Request-Timestamp` and `X-Slack-Signature` against every
    /// `slack_app` channel's signing secret, at the engine's clock.
    pub fn verify_slack_app(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), SlackAppRefusal> {
        let now = self.now();
        let mut last = None;
        for channel in &self.config().channels {
            let tocsin_config::ChannelKind::SlackApp(app) = &channel.kind else {
                continue;
            };
            match verify(
                app.signing_secret.expose().as_bytes(),
                timestamp,
                signature,
                body,
                now,
            ) {
                Ok(()) => return Ok(()),
                Err(error) => last = Some(error),
            }
        }
        match last {
            Some(error) => Err(SlackAppRefusal::Unsigned(error)),
            None => Err(SlackAppRefusal::Off),
        }
    }

    /// Who a Slack user is on the timeline.
    fn slack_actor(&self, user: &SlackUser) -> String {
        self.config()
            .contact_by_slack_id(&user.id)
            .map(|contact| contact.name.clone())
            .unwrap_or_else(|| format!("Slack user {} ({})", user.name, user.id))
    }

    /// A verified button press; the answer to show the presser, if any.
    pub async fn slack_app_press(
        self: &Arc<Self>,
        body: &[u8],
    ) -> Result<Option<Value>, EngineError> {
        let press = parse_press(body)
            .map_err(|error| tocsin_core::decide::Refusal::Invalid(error.to_string()))?;
        let Some(press) = press else {
            return Ok(None);
        };
        let actor = self.slack_actor(&press.user);
        let answer = match press.action_id.as_str() {
            ACKNOWLEDGE => {
                self.slack_act(&press.value, Input::Acknowledge { actor })
                    .await?
            }
            RESOLVE => {
                self.slack_act(&press.value, Input::Resolve { actor })
                    .await?
            }
            CONFIRM_ACTION => Some(
                self.confirmed_action(&press.value, &press.user, &actor)
                    .await?,
            ),
            id => match id.strip_prefix(RUN_ACTION) {
                Some(action) => Some(
                    self.action_pressed(&press.value, action, &press.user, &actor)
                        .await?,
                ),
                // Link buttons (Open incident) post too; there is nothing to do.
                None => None,
            },
        };
        Ok(answer)
    }

    /// Acknowledges or resolves; a refusal (already acknowledged…) is told to the presser.
    async fn slack_act(
        &self,
        incident_id: &str,
        input: Input,
    ) -> Result<Option<Value>, EngineError> {
        match self.act(incident_id, input).await {
            Ok(_) => Ok(None),
            Err(EngineError::Refused(refusal)) => Ok(Some(ephemeral(&refusal.to_string()))),
            Err(EngineError::NoIncident(id)) => {
                Ok(Some(ephemeral(&format!("There is no incident `{id}`."))))
            }
            Err(error) => Err(error),
        }
    }

    /// An action's button: runs it when it needs no confirmation, else asks for one.
    async fn action_pressed(
        self: &Arc<Self>,
        incident_id: &str,
        action_id: &str,
        user: &SlackUser,
        actor: &str,
    ) -> Result<Value, EngineError> {
        let config = self.config();
        let Some(action) = config.action(action_id) else {
            return Ok(ephemeral(&format!(
                "No action `{action_id}` is configured."
            )));
        };
        if !action.confirm {
            return self.slack_run(incident_id, action_id, actor, None).await;
        }
        let Some(incident) = self.incident(incident_id).await? else {
            return Ok(ephemeral(&format!("There is no incident `{incident_id}`.")));
        };
        let claims = AckClaims {
            incident_id: incident.id.clone(),
            person: format!("{action_id}\n{}", user.id),
            expires: self
                .now()
                .as_second()
                .saturating_add(CONFIRMATION_LIFETIME_SECONDS),
            nonce: uuid::Uuid::now_v7().to_string(),
        };
        let token = self.signers.slack_confirm.sign(&claims);
        Ok(confirmation(&action.title, &incident.title, &token))
    }

    /// The confirming press: the token must be valid, unexpired, unused and the presser's own.
    async fn confirmed_action(
        self: &Arc<Self>,
        token: &str,
        user: &SlackUser,
        actor: &str,
    ) -> Result<Value, EngineError> {
        let claims = match self.signers.slack_confirm.verify(token, self.now()) {
            Ok(claims) => claims,
            Err(TokenError::Expired) => {
                return Ok(ephemeral(
                    "This confirmation has expired; press the action's button again.",
                ));
            }
            Err(_) => return Ok(ephemeral("This confirmation is not valid; nothing ran.")),
        };
        let Some((action_id, confirmer)) = claims.person.split_once('\n') else {
            return Ok(ephemeral("This confirmation is not valid; nothing ran."));
        };
        if confirmer != user.id {
            return Ok(ephemeral(
                "This confirmation was asked of someone else; press the action's button yourself.",
            ));
        }
        if self.store.token_used(&claims.nonce).await? {
            return Ok(ephemeral(
                "This confirmation was already used; the action ran once.",
            ));
        }
        self.slack_run(&claims.incident_id, action_id, actor, Some(claims.nonce))
            .await
    }

    /// Runs the action and says how it went.
    async fn slack_run(
        self: &Arc<Self>,
        incident_id: &str,
        action_id: &str,
        actor: &str,
        nonce: Option<String>,
    ) -> Result<Value, EngineError> {
        match self
            .run_action_once(incident_id, action_id, actor, true, nonce)
            .await
        {
            Ok(run) => Ok(ephemeral(&format!(
                "`{}` {}{}",
                run.action_id,
                run.status.as_str(),
                run.output
                    .as_deref()
                    .filter(|output| !output.trim().is_empty())
                    .map(|output| format!(": {}", output.trim()))
                    .unwrap_or_default()
            ))),
            Err(EngineError::Token(TokenError::Used)) => Ok(ephemeral(
                "This confirmation was already used; the action ran once.",
            )),
            Err(EngineError::Refused(refusal)) => Ok(ephemeral(&refusal.to_string())),
            Err(EngineError::NoIncident(id)) => {
                Ok(ephemeral(&format!("There is no incident `{id}`.")))
            }
            Err(error) => Err(error),
        }
    }

    /// A verified `/tocsin` command; the answer to show.
    pub async fn slack_app_command(&self, body: &[u8]) -> Result<Value, EngineError> {
        let command = parse_slash_command(body)
            .map_err(|error| tocsin_core::decide::Refusal::Invalid(error.to_string()))?;
        let severities: Vec<String> = self
            .config()
            .severities
            .iter()
            .map(|s| s.id.clone())
            .collect();
        let parsed = match parse_command(&command.text, &severities) {
            Ok(parsed) => parsed,
            Err(message) => return Ok(ephemeral(&message)),
        };
        let actor = self.slack_actor(&command.user);
        let answer = match parsed {
            Command::Help => ephemeral(&help(&command.command)),
            Command::Declare { title, severity } => {
                let severity = severity.unwrap_or_else(|| self.declared_severity());
                let incident = self
                    .declare(Declaration {
                        title,
                        severity,
                        category: None,
                        component: None,
                        summary: None,
                        actor,
                    })
                    .await?;
                serde_json::json!({
                    "response_type": "in_channel",
                    "text": format!("Declared {}: {} (`{}`)", incident.severity, incident.title, incident.id),
                })
            }
            Command::Ack { incident } => {
                self.command_act(
                    &incident,
                    |actor| Input::Acknowledge { actor },
                    actor,
                    "Acknowledged",
                )
                .await?
            }
            Command::Resolve { incident } => {
                self.command_act(
                    &incident,
                    |actor| Input::Resolve { actor },
                    actor,
                    "Resolved",
                )
                .await?
            }
            Command::Role {
                incident,
                role,
                person,
            } => {
                self.command_role(&incident, &role, person, &command.user, &actor)
                    .await?
            }
            Command::OnCall => ephemeral(&self.on_call_text(self.now()).await?),
        };
        Ok(answer)
    }

    /// `/tocsin role`: the person as tocsin knows them (a mention or `me` through the contacts'
    /// `slack` ids), then the same assignment as the API's.
    async fn command_role(
        &self,
        reference: &str,
        role: &str,
        person: Option<SlackPerson>,
        user: &SlackUser,
        actor: &str,
    ) -> Result<Value, EngineError> {
        let config = self.config();
        let by_slack_id = |id: &str| {
            config
                .contact_by_slack_id(id)
                .map(|contact| contact.id.clone())
        };
        let person = match person {
            Some(SlackPerson::Named(named)) => named,
            Some(SlackPerson::Slack(id)) => match by_slack_id(&id) {
                Some(contact) => contact,
                None => {
                    return Ok(ephemeral(&format!(
                        "<@{id}> is not a tocsin contact: give their `[[contact]]` `slack = \"{id}\"`, or name them by contact id or e-mail."
                    )));
                }
            },
            None => match by_slack_id(&user.id) {
                Some(contact) => contact,
                None => {
                    return Ok(ephemeral(&format!(
                        "Your Slack user ({}) is not a tocsin contact: add `slack = \"{}\"` to your `[[contact]]`, or name the person.",
                        user.id, user.id
                    )));
                }
            },
        };
        let incident = match self.find_open_incident(reference).await? {
            Ok(incident) => incident,
            Err(message) => return Ok(ephemeral(&message)),
        };
        Ok(
            match self.assign_role(&incident.id, role, &person, actor).await {
                Ok(_) => ephemeral(&format!(
                    "{person} is now the {role} of {} (`{}`)",
                    incident.title, incident.id
                )),
                Err(EngineError::Refused(refusal)) => ephemeral(&refusal.to_string()),
                Err(error) => return Err(error),
            },
        )
    }

    /// `declare` without a severity: the least severe level that tells a Slack app's channel,
    /// so the declarer sees it there; else the least severe level.
    fn declared_severity(&self) -> String {
        let config = self.config();
        let apps: Vec<&str> = config
            .channels
            .iter()
            .filter(|channel| matches!(channel.kind, tocsin_config::ChannelKind::SlackApp(_)))
            .map(|channel| channel.id.as_str())
            .collect();
        let severities = &config.severities;
        severities
            .iter()
            .rev()
            .find(|severity| severity.notify.iter().any(|id| apps.contains(&id.as_str())))
            .or(severities.last())
            .map(|severity| severity.id.clone())
            .unwrap_or_default()
    }

    async fn command_act(
        &self,
        reference: &str,
        input: impl FnOnce(String) -> Input,
        actor: String,
        done: &str,
    ) -> Result<Value, EngineError> {
        let incident = match self.find_open_incident(reference).await? {
            Ok(incident) => incident,
            Err(message) => return Ok(ephemeral(&message)),
        };
        Ok(match self.slack_act(&incident.id, input(actor)).await? {
            Some(refused) => refused,
            None => ephemeral(&format!("{done}: {} (`{}`)", incident.title, incident.id)),
        })
    }

    /// The open incident a command names: its id, or the start or end of its id when only one
    /// open incident has it.
    async fn find_open_incident(
        &self,
        reference: &str,
    ) -> Result<Result<tocsin_core::incident::Incident, String>, EngineError> {
        let open = self
            .incidents(&IncidentFilter {
                state: Some(StateFilter::Open),
                severity: None,
                limit: 500,
                before: None,
            })
            .await?;
        let reference = reference
            .trim()
            .trim_start_matches('`')
            .trim_end_matches('`');
        if let Some(exact) = open.iter().find(|incident| incident.id == reference) {
            return Ok(Ok(exact.clone()));
        }
        let matching: Vec<_> = open
            .iter()
            .filter(|incident| {
                reference.len() >= 4
                    && (incident.id.starts_with(reference) || incident.id.ends_with(reference))
            })
            .collect();
        Ok(match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!("No open incident is `{reference}`.")),
            _ => Err(format!(
                "`{reference}` names {} open incidents; give more of the id.",
                matching.len()
            )),
        })
    }

    /// "Who is on call": one line per schedule.
    async fn on_call_text(&self, at: Timestamp) -> Result<String, EngineError> {
        let on_call = self.on_call_at(at).await?;
        if on_call.is_empty() {
            return Ok("No schedules are configured.".into());
        }
        let config = self.config();
        let lines: Vec<String> = on_call
            .into_iter()
            .map(|(schedule, who)| match who {
                Some(who) => {
                    let contact = config.contact(&who.contact);
                    let name = contact.map_or(who.contact.clone(), |c| c.name.clone());
                    let mention = contact
                        .and_then(|c| c.slack.as_deref())
                        .map(|id| format!(" (<@{id}>)"))
                        .unwrap_or_default();
                    format!("*{schedule}*: {name}{mention}")
                }
                None => format!("*{schedule}*: nobody"),
            })
            .collect();
        Ok(lines.join("\n"))
    }
}
