//! Who may do what: the roles of people and API tokens.

/// What a signed-in person may do in the web UI. Ordered: each role can do what the ones before
/// it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Also acts on incidents: acknowledge, resolve, severity, notes, updates.
    Responder,
    /// Everything a responder does; the role for whoever runs tocsin.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "responder" => Some(Role::Responder),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}
