//! Tickets (`[tickets]`): the delivery worker's side of a ticket delivery (ask the tracker, then
//! commit the ticket's number and page with its timeline line, then record the attempt), the
//! tracker reporting a ticket closed or reopened (GitHub's `issues` hook, or
//! `POST /api/v1/tickets/{id}/close` for a webhook tracker), and an action item's ticket link
//! written into its post-mortem.

use jiff::SignedDuration;
use tocsin_core::decide::Input;
use tocsin_core::retry::{MAX_ATTEMPTS, retry_delay};
use tocsin_core::ticket_record::{Ticket, TicketState};
use tocsin_notify::tickets::{TicketRequest, Tracker};
use tocsin_store::{Attempt, AttemptOutcome, PendingDelivery};

use crate::{Engine, EngineError};

/// The tracker `[tickets]` configures, as the sender takes it.
pub(crate) fn tracker(config: &tocsin_config::Config) -> Option<Tracker> {
    Some(match &config.tickets.as_ref()?.tracker {
        tocsin_config::Tracker::Github {
            repo,
            token,
            api_url,
        } => Tracker::Github {
            api_url: api_url.clone(),
            repo: repo.clone(),
            token: token.clone(),
        },
        tocsin_config::Tracker::Webhook { url, secret } => Tracker::Webhook {
            url: url.clone(),
            secret: secret.clone(),
        },
    })
}

impl Engine {
    /// An incident's tickets (its own first, then its action items'), for the API and the UI.
    pub async fn tickets(&self, incident_id: &str) -> Result<Vec<Ticket>, EngineError> {
        Ok(self.store.tickets(incident_id).await?)
    }

    /// The post-mortem page's address.
    fn postmortem_url(&self, incident_id: &str) -> String {
        format!(
            "{}/postmortems/{incident_id}",
            self.config().server.public_url
        )
    }

    /// Sends one delivery of the `tickets` channel: opens the ticket whose id is the delivery's
    /// and records the attempt. A ticket the tracker already opened (the commit landed, the
    /// attempt's record did not) is not opened twice.
    pub(crate) async fn deliver_ticket(
        &self,
        delivery: &PendingDelivery,
    ) -> Result<(), EngineError> {
        let now = self.now();
        let (outcome, http_status) = match self.open_ticket(delivery).await? {
            Ok(()) => (AttemptOutcome::Sent, None),
            Err(error) if error.retryable && delivery.attempts.saturating_add(1) < MAX_ATTEMPTS => {
                let wait = retry_delay(
                    delivery.attempts.saturating_add(1),
                    error.retry_after,
                    rand::random::<f64>(),
                );
                let next_attempt_at = now
                    .saturating_add(SignedDuration::try_from(wait).unwrap_or_default())
                    .unwrap_or(now);
                tracing::warn!(delivery = %delivery.id, error = %error.detail, %next_attempt_at, "opening a ticket failed, will retry");
                (
                    AttemptOutcome::Retry {
                        error: error.detail,
                        next_attempt_at,
                    },
                    error.status,
                )
            }
            Err(error) => {
                tracing::error!(delivery = %delivery.id, error = %error.detail, "opening a ticket failed for good");
                (
                    AttemptOutcome::Failed {
                        error: error.detail,
                    },
                    error.status,
                )
            }
        };
        self.counters.delivery(&delivery.channel, (&outcome).into());
        self.store
            .record_attempt(Attempt {
                delivery_id: delivery.id.clone(),
                incident_id: delivery.notice.incident_id.clone(),
                channel: delivery.channel.clone(),
                at: self.now(),
                http_status,
                outcome,
            })
            .await?;
        Ok(())
    }

    /// Asks the tracker for the ticket, then commits what it answered. The outer error is the
    /// store's; the inner one the tracker's, for the outbox to retry or give up on.
    async fn open_ticket(
        &self,
        delivery: &PendingDelivery,
    ) -> Result<Result<(), tocsin_notify::SendError>, EngineError> {
        let permanent = |detail: String| tocsin_notify::SendError {
            retryable: false,
            retry_after: None,
            status: None,
            detail,
        };
        let Some(ticket) = self.store.ticket(&delivery.id).await? else {
            return Ok(Err(permanent(format!("no ticket `{}`", delivery.id))));
        };
        if ticket.state != TicketState::Requested {
            return Ok(Ok(()));
        }
        let Some(tracker) = tracker(&self.config()) else {
            return Ok(Err(permanent(
                "tickets are not configured: add a [tickets] section".to_owned(),
            )));
        };
        let incident_url = self.incident_url(&ticket.incident_id);
        let body = self.ticket_body(&ticket, delivery, &incident_url);
        let opened = self
            .live()
            .sender
            .open_ticket(
                &tracker,
                &TicketRequest {
                    id: &ticket.id,
                    title: &ticket.title,
                    body: &body,
                    incident_id: &ticket.incident_id,
                    incident_url: &incident_url,
                    item: ticket.item.as_deref(),
                    now: self.now(),
                },
            )
            .await;
        let opened = match opened {
            Ok(opened) => opened,
            Err(error) => return Ok(Err(error)),
        };
        let ticket = Ticket {
            number: opened.number,
            url: opened.url,
            ..ticket
        };
        self.act(
            &ticket.incident_id,
            Input::TicketOpened(Box::new(ticket.clone())),
        )
        .await?;
        if ticket.item.is_some() {
            self.link_action_item(&ticket).await;
        }
        Ok(Ok(()))
    }

    /// The ticket's Markdown body: what it is about and the links back to tocsin.
    fn ticket_body(
        &self,
        ticket: &Ticket,
        delivery: &PendingDelivery,
        incident_url: &str,
    ) -> String {
        let notice = &delivery.notice;
        match &ticket.item {
            None => {
                let mut body = format!(
                    "tocsin opened this ticket for a {} incident instead of paging anyone.\n\n\
                     **{}**\n\nIncident: {incident_url}\n",
                    notice.severity, notice.title
                );
                if let Some(summary) = notice.summary.as_deref().filter(|s| !s.is_empty()) {
                    body.push_str(&format!("\n> {}\n", summary.replace('\n', "\n> ")));
                }
                body.push_str(
                    "\nClosing this issue marks the ticket done on the incident's page.\n",
                );
                body
            }
            Some(item) => format!(
                "An action item from the post-mortem of **{}** ({}).\n\n> {}\n\n\
                 Post-mortem: {}\nIncident: {incident_url}\n\n\
                 Closing this issue marks the action item done in the post-mortem.\n",
                notice.title,
                notice.severity,
                item.replace('\n', " "),
                self.postmortem_url(&ticket.incident_id),
            ),
        }
    }

    /// Writes an action item's ticket link after it in the post-mortem file, so the file says
    /// which ticket tracks it. A failure is logged: the ticket row already links them.
    async fn link_action_item(&self, ticket: &Ticket) {
        let _edit = self.postmortem_git.edits.lock().await;
        let written = async {
            let Some(record) = self.store.postmortem(&ticket.incident_id).await? else {
                return Ok::<bool, EngineError>(false);
            };
            let Some(text) = self.read_file(&record.file)? else {
                return Ok(false);
            };
            let Some(linked) = tocsin_core::tickets::write_link(&text, ticket) else {
                return Ok(false);
            };
            self.save_postmortem(&ticket.incident_id, &linked).await?;
            Ok(true)
        }
        .await;
        match written {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(ticket = %ticket.id, "the action item is no longer in its post-mortem; its link was not written")
            }
            Err(error) => {
                tracing::error!(ticket = %ticket.id, %error, "writing an action item's ticket link failed")
            }
        }
    }

    /// GitHub says issue `number` of the configured repository was closed or reopened (its
    /// `issues` hook): the ticket's state and a timeline line, in one commit. `false` when the
    /// issue is none of tocsin's tickets or already in that state.
    pub async fn github_issue_changed(
        &self,
        repo: &str,
        number: i64,
        closed: bool,
        actor: &str,
    ) -> Result<bool, EngineError> {
        let ours = matches!(
            tracker(&self.config()),
            Some(Tracker::Github { repo: configured, .. }) if configured.eq_ignore_ascii_case(repo)
        );
        if !ours {
            return Ok(false);
        }
        let Some(ticket) = self.store.ticket_by_number(number).await? else {
            return Ok(false);
        };
        self.change_ticket(ticket, closed, actor).await
    }

    /// A person (or the webhook tracker, with an API token) says ticket `id` was closed or
    /// reopened. An unknown id is an error; the same state again changes nothing.
    pub async fn set_ticket_closed(
        &self,
        id: &str,
        closed: bool,
        actor: &str,
    ) -> Result<Ticket, EngineError> {
        let ticket = self
            .store
            .ticket(id)
            .await?
            .ok_or_else(|| EngineError::NoTicket(id.to_owned()))?;
        self.change_ticket(ticket, closed, actor).await?;
        self.store
            .ticket(id)
            .await?
            .ok_or_else(|| EngineError::NoTicket(id.to_owned()))
    }

    async fn change_ticket(
        &self,
        ticket: Ticket,
        closed: bool,
        actor: &str,
    ) -> Result<bool, EngineError> {
        let incident_id = ticket.incident_id.clone();
        let input = Input::TicketChanged {
            ticket: Box::new(ticket),
            closed,
            actor: actor.to_owned(),
        };
        match self.act(&incident_id, input).await {
            Ok(_) => Ok(true),
            // Already closed (a redelivered hook): nothing to do.
            Err(EngineError::Refused(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }
}
