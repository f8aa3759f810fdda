//! Assigning an incident role (commander, communications, scribe): the role given, a
//! `role_assigned` event naming who handed over, or a refusal that changes nothing.

use crate::decision::{Ctx, Decision, Refusal, RoleAssignment, Situation};
use crate::incident::{EventKind, IncidentState, TimelineEvent};
use crate::roles::IncidentRole;

/// `Input::AssignRole`: only an open incident's roles change; an unknown role or person, or
/// giving a role to the person who holds it, is refused.
pub fn assign(
    situation: &Situation,
    assignment: RoleAssignment,
    ctx: &Ctx,
) -> Result<Decision, Refusal> {
    let incident = situation.incident.as_ref().ok_or(Refusal::NoIncident)?;
    let role = IncidentRole::parse(assignment.role.trim()).ok_or_else(|| {
        Refusal::Invalid(format!(
            "unknown role `{}`; use commander, communications or scribe",
            assignment.role
        ))
    })?;
    let person = assignment.person.ok_or_else(|| {
        Refusal::Invalid(format!(
            "nobody is `{}`: name a tocsin user by e-mail or a contact by id",
            assignment.user
        ))
    })?;
    if incident.merged_into.is_some() || incident.state == IncidentState::Resolved {
        return Err(Refusal::State {
            state: if incident.merged_into.is_some() {
                "merged"
            } else {
                "resolved"
            },
            action: "assigning a role",
        });
    }
    if incident
        .roles
        .get(role)
        .is_some_and(|held| held.id == person.id)
    {
        return Err(Refusal::Invalid(format!(
            "{} is already the {}",
            person.name,
            role.title()
        )));
    }
    let mut incident = incident.clone();
    let from = incident.roles.set(role, person.clone());
    let actor = assignment.actor;
    // A take-over: the person took the role themself, and the timeline names who handed over.
    let taken = actor == person.name || actor == person.id;
    let text = match (&from, taken) {
        (Some(from), true) => format!(
            "{} took over as {} from {}",
            person.name,
            role.title(),
            from.name
        ),
        (None, true) => format!("{} took the {} role", person.name, role.title()),
        (Some(from), false) => format!(
            "{} is now the {} (handed over from {}; assigned by {actor})",
            person.name,
            role.title(),
            from.name
        ),
        (None, false) => format!(
            "{} is now the {} (assigned by {actor})",
            person.name,
            role.title()
        ),
    };
    let event = TimelineEvent {
        incident_id: incident.id.clone(),
        at: ctx.now,
        kind: EventKind::RoleAssigned,
        actor,
        text,
        data: serde_json::json!({
            "role": role.as_str(),
            "user": person.id,
            "name": person.name,
            "from": from.as_ref().map(|from| from.id.clone()),
            "from_name": from.as_ref().map(|from| from.name.clone()),
        }),
    };
    Ok(Decision {
        incident: Some(incident),
        alerts: vec![],
        alerts_end_at: None,
        events: vec![event],
        effects: vec![],
    })
}
