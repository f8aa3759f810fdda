//! Incident roles as data: the three roles (commander, communications, scribe), who holds each
//! on one incident, and a person as a role names them (a tocsin user by e-mail, or a contact by
//! id). The rule that assigns them is `role_assign`.

use serde::{Deserialize, Serialize};

/// One of an incident's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    /// Leads the response and decides.
    Commander,
    /// Keeps the team, the status page and customers told.
    Communications,
    /// Writes down what happens, for the timeline and the post-mortem.
    Scribe,
}

impl IncidentRole {
    pub const ALL: [IncidentRole; 3] = [
        IncidentRole::Commander,
        IncidentRole::Communications,
        IncidentRole::Scribe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentRole::Commander => "commander",
            IncidentRole::Communications => "communications",
            IncidentRole::Scribe => "scribe",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The role as a sentence names it ("the commander", "communications lead").
    pub fn title(self) -> &'static str {
        match self {
            IncidentRole::Commander => "incident commander",
            IncidentRole::Communications => "communications lead",
            IncidentRole::Scribe => "scribe",
        }
    }
}

/// Whether a person is a tocsin user or a contact from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PersonKind {
    User,
    Contact,
}

/// A person who can hold a role: `id` is a tocsin user's e-mail or a contact's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: String,
    pub name: String,
    pub kind: PersonKind,
}

/// Who holds each role of one incident; `None` while nobody does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Roles {
    #[serde(default)]
    pub commander: Option<Person>,
    #[serde(default)]
    pub communications: Option<Person>,
    #[serde(default)]
    pub scribe: Option<Person>,
}

impl Roles {
    pub fn get(&self, role: IncidentRole) -> Option<&Person> {
        match role {
            IncidentRole::Commander => self.commander.as_ref(),
            IncidentRole::Communications => self.communications.as_ref(),
            IncidentRole::Scribe => self.scribe.as_ref(),
        }
    }

    /// Gives `role` to `person`; the previous holder, if any.
    pub fn set(&mut self, role: IncidentRole, person: Person) -> Option<Person> {
        let slot = match role {
            IncidentRole::Commander => &mut self.commander,
            IncidentRole::Communications => &mut self.communications,
            IncidentRole::Scribe => &mut self.scribe,
        };
        slot.replace(person)
    }

    pub fn is_empty(&self) -> bool {
        IncidentRole::ALL
            .iter()
            .all(|role| self.get(*role).is_none())
    }

    /// (role, holder) for each role that someone holds, in the roles' order.
    pub fn held(&self) -> impl Iterator<Item = (IncidentRole, &Person)> {
        IncidentRole::ALL
            .into_iter()
            .filter_map(|role| self.get(role).map(|person| (role, person)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_by_name_and_set_returns_the_previous_holder() {
        assert_eq!(IncidentRole::parse("scribe"), Some(IncidentRole::Scribe));
        assert_eq!(IncidentRole::parse("boss"), None);
        let ana = Person {
            id: "ana@example.com".into(),
            name: "Ana".into(),
            kind: PersonKind::User,
        };
        let mut roles = Roles::default();
        assert!(roles.is_empty());
        assert_eq!(roles.set(IncidentRole::Commander, ana.clone()), None);
        assert_eq!(
            roles.set(IncidentRole::Commander, ana.clone()),
            Some(ana.clone())
        );
        assert_eq!(
            roles.held().collect::<Vec<_>>(),
            [(IncidentRole::Commander, &ana)]
        );
    }
}
