//! What templates are given: times already written for people (in the organisation's time zone,
//! with "5 min ago"), and the records as plain serializable views. Formatting lives here, not in
//! templates, so every page says times the same way.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::Value;
use tocsin_core::incident::{Alert, Incident, IncidentState, TimelineEvent};

/// Writes times for one request: the organisation's zone, and "now" from tocsin's one clock.
#[derive(Debug, Clone)]
pub struct Times {
    pub now: Timestamp,
    zone: TimeZone,
}

/// A time as shown: `text` in the organisation's zone, `iso` for machines (and the tooltip).
#[derive(Debug, Clone, Serialize)]
pub struct When {
    pub text: String,
    pub ago: String,
    pub iso: String,
}

impl Times {
    /// Times for a request to this tocsin: its clock, its organisation's zone.
    pub fn of(state: &crate::AppState) -> Self {
        Times::new(state.engine.now(), state.engine.config().org.time_zone())
    }

    pub fn new(now: Timestamp, zone: TimeZone) -> Self {
        Times { now, zone }
    }

    pub fn when(&self, at: Timestamp) -> When {
        let local = at.to_zoned(self.zone.clone());
        let today = self.now.to_zoned(self.zone.clone()).date() == local.date();
        let text = if today {
            local.strftime("%H:%M:%S").to_string()
        } else {
            local.strftime("%Y-%m-%d %H:%M").to_string()
        };
        let elapsed = self.now.duration_since(at);
        let ago = if elapsed.is_negative() {
            format!("in {}", span(elapsed.unsigned_abs()))
        } else {
            format!("{} ago", span(elapsed.unsigned_abs()))
        };
        When {
            text,
            ago,
            iso: at.round(jiff::Unit::Second).unwrap_or(at).to_string(),
        }
    }

    pub fn when_opt(&self, at: Option<Timestamp>) -> Option<When> {
        at.map(|at| self.when(at))
    }

    /// The zone's abbreviation now, like `+03`, for a page footer.
    /// `Asia/Riyadh (UTC+03:00)`: the zone's name, as the status page says it, not the
    /// ambiguous abbreviation (`+03`).
    pub fn zone_name(&self) -> String {
        let offset = self
            .now
            .to_zoned(self.zone.clone())
            .strftime("%:z")
            .to_string();
        match self.zone.iana_name() {
            Some(name) => format!("{name} (UTC{offset})"),
            None => format!("UTC{offset}"),
        }
    }
}

/// A duration as people say it, coarsely: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn span(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        3600..86_400 => match (seconds % 3600) / 60 {
            0 => format!("{} h", seconds / 3600),
            minutes => format!("{} h {minutes} min", seconds / 3600),
        },
        _ => match (seconds % 86_400) / 3600 {
            0 => format!("{} d", seconds / 86_400),
            hours => format!("{} d {hours} h", seconds / 86_400),
        },
    }
}

/// The respond-by line of an open, unacknowledged incident.
#[derive(Debug, Clone, Serialize)]
pub struct RespondBy {
    /// "respond within 12 min" or "response overdue by 3 min", computed here, updated by the script.
    pub text: String,
    pub overdue: bool,
    pub deadline: String,
    pub now: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub state: &'static str,
    pub category: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    pub runbook: Option<String>,
    pub source: String,
    pub opened: When,
    pub acknowledged: Option<When>,
    pub acknowledged_by: Option<String>,
    pub resolved: Option<When>,
    pub alert_count: u32,
    pub respond_by: Option<RespondBy>,
    pub escalation: Option<String>,
    pub next_page: Option<When>,
}

pub fn incident(times: &Times, incident: &Incident) -> IncidentView {
    let respond_by = (incident.state == IncidentState::Triggered).then(|| {
        let left = incident.respond_by.duration_since(times.now);
        let overdue = left.is_negative() || left.is_zero();
        RespondBy {
            text: if overdue {
                format!("response overdue by {}", span(left.unsigned_abs()))
            } else {
                format!("respond within {}", span(left.unsigned_abs()))
            },
            overdue,
            deadline: incident.respond_by.to_string(),
            now: times.now.to_string(),
        }
    });
    IncidentView {
        id: incident.id.clone(),
        title: incident.title.clone(),
        severity: incident.severity.clone(),
        state: incident.state.as_str(),
        category: incident.category.clone(),
        component: incident.component.clone(),
        summary: incident.summary.clone(),
        runbook: incident.runbook.clone(),
        source: incident.source.clone(),
        opened: times.when(incident.opened_at),
        acknowledged: times.when_opt(incident.acknowledged_at),
        acknowledged_by: incident.acknowledged_by.clone(),
        resolved: times.when_opt(incident.resolved_at),
        alert_count: incident.alert_count,
        respond_by,
        escalation: incident.escalation.clone(),
        next_page: times.when_opt(incident.escalation_due_at),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub summary: String,
    pub source: String,
    pub dedup_key: String,
    pub status: &'static str,
    pub count: u32,
    pub first_seen: When,
    pub last_seen: When,
}

pub fn alert(times: &Times, alert: &Alert) -> AlertView {
    AlertView {
        summary: alert.summary.clone(),
        source: alert.source.clone(),
        dedup_key: alert.dedup_key.clone(),
        status: alert.status.as_str(),
        count: alert.count,
        first_seen: times.when(alert.first_seen),
        last_seen: times.when(alert.last_seen),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// The incident it belongs to (another one's, in a timeline with merged incidents).
    pub incident: String,
    pub at: When,
    pub kind: &'static str,
    pub actor: String,
    pub text: String,
    /// An update shown on the public status page.
    pub public: bool,
}

pub fn event(times: &Times, event: &TimelineEvent) -> EventView {
    EventView {
        incident: event.incident_id.clone(),
        at: times.when(event.at),
        kind: event.kind.as_str(),
        actor: event.actor.clone(),
        text: event.text.clone(),
        public: event.data.get("public").and_then(Value::as_bool) == Some(true),
    }
}

/// Turns a view into a template value.
pub fn value<T: Serialize>(view: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_way_people_say_them() {
        assert_eq!(span(Duration::from_secs(45)), "45 s");
        assert_eq!(span(Duration::from_secs(12 * 60 + 5)), "12 min");
        assert_eq!(span(Duration::from_secs(3600)), "1 h");
        assert_eq!(span(Duration::from_secs(3 * 3600 + 5 * 60)), "3 h 5 min");
        assert_eq!(span(Duration::from_secs(2 * 86_400 + 4 * 3600)), "2 d 4 h");
    }

    #[test]
    fn times_are_written_in_the_organisations_zone() {
        let now: Timestamp = "2026-11-26T00:30:00Z".parse().expect("time");
        let times = Times::new(now, TimeZone::get("Asia/Riyadh").expect("zone"));
        let when = times.when("2026-11-26T00:25:00Z".parse().expect("time"));
        assert_eq!(when.text, "03:25:00");
        assert_eq!(when.ago, "5 min ago");
        let yesterday = times.when("2026-11-24T21:00:00Z".parse().expect("time"));
        assert_eq!(yesterday.text, "2026-11-25 00:00");
    }
}
