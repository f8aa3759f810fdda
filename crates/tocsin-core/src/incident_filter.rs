//! Which incidents a list asks for: by state, severity, and a page's end.

use crate::incident::IncidentState;

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub state: Option<StateFilter>,
    pub severity: Option<String>,
    pub limit: u32,
    /// Only incidents with an id before this one (ids sort by creation time).
    pub before: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    Open,
    Resolved,
    Is(IncidentState),
}
