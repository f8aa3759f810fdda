//! Holding pages back: silences (a matching signal is recorded but pages nobody and tells no
//! channel) and inhibition (while an open incident of the most severe level is on a component,
//! a new lower incident there is recorded but not paged). Pure: the silences in force and the
//! holding incidents come in through the `Ctx` (`Quiet`), with the time.

use jiff::Timestamp;

use crate::incident::{EventKind, Incident, TimelineEvent};
use crate::policy::Policy;
use crate::signal::Signal;
use crate::silence::Silence;

/// What may hold a new page back at this moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quiet {
    /// The silences in force (an ended one matches nothing anyway).
    pub silences: Vec<Silence>,
    /// Open incidents of the most severe level, on a component.
    pub holding: Vec<Holding>,
}

/// An open incident of the most severe level, and the component it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub incident_id: String,
    pub component: String,
}

/// As a store reads it: `(incident id, component)`.
impl From<(String, String)> for Holding {
    fn from((incident_id, component): (String, String)) -> Self {
        Holding {
            incident_id,
            component,
        }
    }
}

/// Why an incident pages nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    Silenced {
        silence: String,
        ends_at: Timestamp,
        comment: String,
    },
    Inhibited {
        incident: String,
        component: String,
        severity: String,
    },
}

impl Hold {
    /// How the incident row keeps it (`held_by`): `silence:<id>` or `incident:<id>`.
    pub fn key(&self) -> String {
        match self {
            Hold::Silenced { silence, .. } => format!("silence:{silence}"),
            Hold::Inhibited { incident, .. } => format!("incident:{incident}"),
        }
    }

    /// The timeline line saying the incident is held, and by what.
    pub fn event(&self, incident: &Incident, now: Timestamp) -> TimelineEvent {
        let (kind, text, data) = match self {
            Hold::Silenced {
                silence,
                ends_at,
                comment,
            } => (
                EventKind::Silenced,
                format!(
                    "Silenced by silence {silence} until {ends_at}{}: nobody is paged and no channel is told",
                    if comment.is_empty() {
                        String::new()
                    } else {
                        format!(" ({comment})")
                    }
                ),
                serde_json::json!({ "silence": silence, "ends_at": ends_at }),
            ),
            Hold::Inhibited {
                incident: holder,
                component,
                severity,
            } => (
                EventKind::Inhibited,
                format!(
                    "Held back: {severity} incident {holder} is open on component `{component}`; nobody is paged"
                ),
                serde_json::json!({ "incident": holder, "component": component }),
            ),
        };
        TimelineEvent {
            incident_id: incident.id.clone(),
            at: now,
            kind,
            actor: "tocsin".to_owned(),
            text,
            data,
        }
    }
}

/// The most severe level: the first configured.
fn top_severity(policy: &Policy) -> Option<&str> {
    policy.severities.first().map(|rule| rule.id.as_str())
}

/// What holds back the pages of an incident of `severity` on `component` that `signal` opens,
/// reopens or reaches at `now`: the first silence in force matching the signal, else an open
/// incident of the most severe level on the same component (never the incident itself, `own`).
pub fn hold(
    policy: &Policy,
    quiet: &Quiet,
    signal: &Signal,
    severity: &str,
    component: Option<&str>,
    own: Option<&str>,
    now: Timestamp,
) -> Option<Hold> {
    if let Some(silence) = quiet.silences.iter().find(|s| s.silences(signal, now)) {
        return Some(Hold::Silenced {
            silence: silence.record.id.clone(),
            ends_at: silence.record.ends_at,
            comment: silence.record.comment.clone(),
        });
    }
    let top = top_severity(policy)?;
    let component = component?;
    if severity == top {
        return None;
    }
    quiet
        .holding
        .iter()
        .find(|holding| holding.component == component && Some(holding.incident_id.as_str()) != own)
        .map(|holding| Hold::Inhibited {
            incident: holding.incident_id.clone(),
            component: component.to_owned(),
            severity: top.to_owned(),
        })
}

impl Quiet {
    /// Whether `incident`, as just decided, changes which component it holds, if any.
    pub fn changed_by(&self, policy: &Policy, incident: &Incident) -> bool {
        let listed = self
            .holding
            .iter()
            .find(|holding| holding.incident_id == incident.id)
            .map(|holding| (holding.incident_id.as_str(), holding.component.as_str()));
        listed != held(policy, incident)
    }

    /// Keeps the holding incidents current with `incident` as just decided, so later
    /// decisions of the same batch see a SEV-1 an earlier one opened or resolved.
    pub fn note(&mut self, policy: &Policy, incident: &Incident) {
        self.holding
            .retain(|holding| holding.incident_id != incident.id);
        if let Some((incident_id, component)) = held(policy, incident) {
            self.holding.push(Holding {
                incident_id: incident_id.to_owned(),
                component: component.to_owned(),
            });
        }
    }
}

/// An open incident of the most severe level on a component holds it — unless it is held
/// itself (silenced): inhibition rests on someone already working the SEV-1, and nobody was
/// paged for a silenced one.
pub fn holds(policy: &Policy, incident: &Incident) -> bool {
    held(policy, incident).is_some()
}

/// The incident and the component it holds, when it holds one (see [`holds`]).
fn held<'i>(policy: &Policy, incident: &'i Incident) -> Option<(&'i str, &'i str)> {
    let holds = incident.state.is_open()
        && incident.held_by.is_none()
        && top_severity(policy) == Some(incident.severity.as_str());
    let component = incident.component.as_deref()?;
    holds.then_some((incident.id.as_str(), component))
}

/// Whether deciding an incident from `before` to `after` (`None`: left as it was) changes which
/// incidents hold which component — what a copy of [`Quiet`] kept between batches must hear of.
/// Conservative: a decision that moves from one incident to another counts when either holds.
pub fn changes_holding(
    policy: &Policy,
    before: Option<&Incident>,
    after: Option<&Incident>,
) -> bool {
    let Some(after) = after else {
        return false;
    };
    before.and_then(|before| held(policy, before)) != held(policy, after)
}
