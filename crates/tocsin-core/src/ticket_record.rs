//! A ticket's record (the incident's own, or a post-mortem action item's), which the store keeps
//! and the web shows; the rules that open and close tickets are in `tickets.rs`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TicketState {
    /// Decided and queued; the tracker has not answered yet.
    Requested,
    Open,
    Closed,
}

impl TicketState {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Requested => "requested",
            TicketState::Open => "open",
            TicketState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "requested" => Some(TicketState::Requested),
            "open" => Some(TicketState::Open),
            "closed" => Some(TicketState::Closed),
            _ => None,
        }
    }
}

/// A ticket: the incident's own (`item` is `None`) or one of its post-mortem's action items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// tocsin's id; also the id of the delivery that opens it.
    pub id: String,
    pub incident_id: String,
    /// The action item's text when it was opened; `None` for the incident's own ticket.
    pub item: Option<String>,
    /// The ticket's title.
    pub title: String,
    /// The tracker's number (a GitHub issue's), once opened.
    pub number: Option<i64>,
    /// The ticket's page, once opened.
    pub url: Option<String>,
    pub state: TicketState,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

impl Ticket {
    /// How the timeline and the UI name it: `#12`, or the id before the tracker answered.
    pub fn label(&self) -> String {
        match self.number {
            Some(number) => format!("#{number}"),
            None => self.id.clone(),
        }
    }
}
