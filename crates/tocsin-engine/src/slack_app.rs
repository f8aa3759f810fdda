//! The Slack app's deliveries: each incident is one message per `slack_app` channel. The
//! opening posts it (`chat.postMessage`) and keeps its `ts`; an acknowledgement, a resolution
//! or a severity change redraws it from the incident as it is now (`chat.update`), so updates
//! sent out of order still leave it right; timeline lines and reminders are replies in its
//! thread. Each call is one outbox delivery, retried like any other: a reply or an update
//! whose message is not posted yet waits (retryable) for it. An incident of a severity in
//! `incident_channels` also gets a Slack channel of its own, with the people on call invited.

use tocsin_config::SlackApp;
use tocsin_core::incident::{Incident, IncidentState};
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_notify::SendError;
use tocsin_notify::slack_app::{self, Card, CardAction, CardState, SlackApi};
use tocsin_store::ChatMessage;

use crate::Engine;

/// The suffix of an incident's own channel's row in `chat_messages`.
const INCIDENT_CHANNEL: &str = "#incident";

/// A store failure while sending: retried like a failed send.
fn store_failed(error: impl std::fmt::Display) -> SendError {
    SendError::retryable(None, format!("the store failed: {error}"))
}

impl Engine {
    /// The `slack_app` channel with this id, if it is one.
    pub(crate) fn slack_app(&self, channel: &str) -> Option<SlackApp> {
        match &self.config().channel(channel)?.kind {
            tocsin_config::ChannelKind::SlackApp(app) => Some(app.clone()),
            _ => None,
        }
    }

    /// Sends one incident notice to a `slack_app` channel: the post, an update or a reply.
    pub(crate) async fn send_to_slack_app(
        &self,
        channel: &str,
        app: &SlackApp,
        notice: &Notice,
        links: &NoticeLinks,
    ) -> Result<(), SendError> {
        let now = self.now();
        let live = self.live();
        let api = live.sender.slack_api(&app.api_url, &app.bot_token);
        let message = self
            .store
            .chat_message(&notice.incident_id, channel)
            .await
            .map_err(store_failed)?;
        let redraw = matches!(
            notice.event,
            NoticeEvent::Opened
                | NoticeEvent::Acknowledged
                | NoticeEvent::Resolved
                | NoticeEvent::SeverityChanged
        );
        if !redraw {
            return self.reply(&api, app, message.as_ref(), notice, links).await;
        }
        let incident = self
            .store
            .incident(&notice.incident_id)
            .await
            .map_err(store_failed)?
            .ok_or_else(|| SendError::permanent(None, "the incident is gone".into()))?;
        let body = self.slack_card(&incident, notice, links).await;
        match message {
            Some(message) => {
                let mut update = body.clone();
                update["channel"] = message.conversation.clone().into();
                update["ts"] = message.ts.clone().into();
                api.call("chat.update", &update, now).await?;
            }
            // An update before the post waits for it; a severity raised to one that tells
            // this channel has no post to wait for, and posts.
            None if matches!(
                notice.event,
                NoticeEvent::Acknowledged | NoticeEvent::Resolved
            ) =>
            {
                return Err(SendError::retryable(
                    None,
                    "the incident's Slack message is not posted yet; the update waits for it"
                        .into(),
                ));
            }
            None => {
                let mut post = body.clone();
                post["channel"] = app.channel.clone().into();
                let posted = api.call("chat.postMessage", &post, now).await?;
                self.remember(&notice.incident_id, channel, &posted).await?;
            }
        }
        // After the post is kept, so a retry after a failed channel creation updates the post
        // instead of posting again, and still creates the channel.
        if notice.event == NoticeEvent::Opened && app.incident_channels.contains(&incident.severity)
        {
            self.open_incident_channel(&api, channel, notice, &body)
                .await?;
        }
        Ok(())
    }

    /// A reply in the message's thread; a timeline line waits for the message, a reminder
    /// whose message failed for good is posted on its own.
    async fn reply(
        &self,
        api: &SlackApi<'_>,
        app: &SlackApp,
        message: Option<&ChatMessage>,
        notice: &Notice,
        links: &NoticeLinks,
    ) -> Result<(), SendError> {
        let mut body = slack_app::reply(notice, links);
        match message {
            Some(message) => {
                body["channel"] = message.conversation.clone().into();
                body["thread_ts"] = message.ts.clone().into();
            }
            None if notice.event == NoticeEvent::Timeline => {
                return Err(SendError::retryable(
                    None,
                    "the incident's Slack message is not posted yet; the reply waits for it".into(),
                ));
            }
            None => body["channel"] = app.channel.clone().into(),
        }
        api.call("chat.postMessage", &body, self.now())
            .await
            .map(|_| ())
    }

    /// Keeps the message Slack just posted (its channel and `ts`).
    async fn remember(
        &self,
        incident_id: &str,
        channel: &str,
        posted: &serde_json::Value,
    ) -> Result<(), SendError> {
        let (Some(conversation), Some(ts)) = (posted["channel"].as_str(), posted["ts"].as_str())
        else {
            return Err(SendError::permanent(
                None,
                "chat.postMessage: Slack's answer has no channel or ts".into(),
            ));
        };
        self.store
            .remember_chat_message(&ChatMessage {
                incident_id: incident_id.to_owned(),
                channel: channel.to_owned(),
                conversation: conversation.to_owned(),
                ts: ts.to_owned(),
                posted_at: self.now(),
            })
            .await
            .map_err(store_failed)
    }

    /// The incident's own channel: created once (`conversations.create`), the people on call
    /// with a Slack id invited (`conversations.invite`), and the card posted in it.
    async fn open_incident_channel(
        &self,
        api: &SlackApi<'_>,
        channel: &str,
        notice: &Notice,
        card: &serde_json::Value,
    ) -> Result<(), SendError> {
        let key = format!("{channel}{INCIDENT_CHANNEL}");
        if self
            .store
            .chat_message(&notice.incident_id, &key)
            .await
            .map_err(store_failed)?
            .is_some()
        {
            return Ok(());
        }
        let now = self.now();
        let created = api
            .call(
                "conversations.create",
                &serde_json::json!({ "name": slack_app::incident_channel_name(notice), "is_private": false }),
                now,
            )
            .await?;
        let Some(id) = created["channel"]["id"].as_str() else {
            return Err(SendError::permanent(
                None,
                "conversations.create: Slack's answer has no channel id".into(),
            ));
        };
        let people = self.on_call_slack_ids().await;
        if !people.is_empty() {
            api.call(
                "conversations.invite",
                &serde_json::json!({ "channel": id, "users": people.join(",") }),
                now,
            )
            .await?;
        }
        let mut body = card.clone();
        body["channel"] = id.into();
        let posted = api.call("chat.postMessage", &body, now).await?;
        self.remember(&notice.incident_id, &key, &posted).await
    }

    /// The Slack ids of the people on call now (contacts with `slack`).
    pub(crate) async fn on_call_slack_ids(&self) -> Vec<String> {
        let live = self.live();
        let roster = match self.roster(&live, self.now()).await {
            Ok(roster) => roster,
            Err(error) => {
                tracing::warn!(%error, "who is on call is unknown; nobody is mentioned");
                return Vec::new();
            }
        };
        let mut ids: Vec<String> = roster
            .values()
            .filter_map(|contact| live.config.contact(contact)?.slack.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The incident's message as it stands now.
    async fn slack_card(
        &self,
        incident: &Incident,
        notice: &Notice,
        links: &NoticeLinks,
    ) -> serde_json::Value {
        let now_notice = Notice {
            actor: notice.actor.clone(),
            ..Notice::about(incident, notice.event)
        };
        let resolved_by = (notice.event == NoticeEvent::Resolved)
            .then_some(notice.actor.as_deref())
            .flatten();
        let state = match incident.state {
            IncidentState::Resolved => CardState::Resolved { by: resolved_by },
            IncidentState::Acknowledged => CardState::Acknowledged {
                by: incident.acknowledged_by.as_deref().unwrap_or("someone"),
            },
            _ => CardState::Open,
        };
        let actions: Vec<CardAction> = self
            .config()
            .actions
            .iter()
            .map(|action| CardAction {
                id: action.id.clone(),
                title: action.title.clone(),
                confirm: action.confirm,
            })
            .collect();
        let mention = if state == CardState::Open {
            self.on_call_slack_ids().await
        } else {
            Vec::new()
        };
        let links = NoticeLinks {
            incident_url: links.incident_url.clone(),
            ack_url: None,
        };
        slack_app::card(&Card {
            notice: &now_notice,
            state,
            links: &links,
            actions: &actions,
            mention: &mention,
        })
    }
}
