//! What one deciding transaction has learned so far, for every backend: each incident the
//! batch touched, in its latest version, and the open incident each alert group resolved to,
//! so an alert storm joining one incident costs a row or two per alert. The backend writes what
//! this says must be written ([`Batch::keep`], [`Batch::unwritten`]); the rules of what can wait
//! are here once.

use std::collections::HashMap;

use tocsin_core::incident::Incident;

use tocsin_core::decision::Decision;

use crate::{GroupKey, Lookup};

#[derive(Debug, Default)]
pub struct Batch {
    incidents: HashMap<String, Tracked>,
    /// (source, category, component) → the open incident an alert of that group joined.
    groups: HashMap<(String, Option<String>, Option<String>), String>,
}

#[derive(Debug)]
struct Tracked {
    /// What the batch has decided the incident is now.
    latest: Incident,
    /// `latest` differs from the row in the database (only in columns no lookup reads).
    unwritten: bool,
}

impl Batch {
    /// The incident as this batch last decided it, if it touched it.
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.get(id).map(|tracked| &tracked.latest)
    }

    /// Notes an incident as read from the database, unless the batch already has a newer one.
    pub fn read(&mut self, incident: &Incident) {
        self.incidents
            .entry(incident.id.clone())
            .or_insert_with(|| Tracked {
                latest: incident.clone(),
                unwritten: false,
            });
    }

    /// Takes `incident` as the batch's latest version of it. Answers it back when the backend
    /// must write it now — it is new to the batch, or changed something a lookup reads (state,
    /// source, category, component, opening time) — and `None` when the write can wait for
    /// [`Batch::unwritten`]: a storm's thousand alerts update their incident's count once.
    pub fn keep(&mut self, incident: Incident) -> Option<&Incident> {
        let id = incident.id.clone();
        if let Some(tracked) = self.incidents.get_mut(&id)
            && same_for_lookups(&tracked.latest, &incident)
        {
            tracked.unwritten = tracked.unwritten || tracked.latest != incident;
            tracked.latest = incident;
            return None;
        }
        self.incidents.insert(
            id.clone(),
            Tracked {
                latest: incident,
                unwritten: false,
            },
        );
        self.incidents.get(&id).map(|tracked| &tracked.latest)
    }

    /// The incidents whose latest version was kept for the end: the backend writes them
    /// before the commit.
    pub fn unwritten(self) -> impl Iterator<Item = Incident> {
        self.incidents
            .into_values()
            .filter(|tracked| tracked.unwritten)
            .map(|tracked| tracked.latest)
    }

    /// The open incident an earlier alert of this batch joined for `group`, as decided so far.
    pub fn group(&self, group: &GroupKey) -> Option<&Incident> {
        let id = self.groups.get(&group_key(group))?;
        self.incident(id)
            .filter(|incident| incident.state.is_open())
    }

    /// Notes what a decision about an item looked up by `lookup` did: when its alert joined an
    /// incident of the item's group, later alerts of the group find that incident here.
    pub fn decided(&mut self, lookup: &Lookup, decision: &Decision) {
        let Lookup::Key {
            group: Some(group), ..
        } = lookup
        else {
            return;
        };
        let joined = decision.incident.as_ref().filter(|incident| {
            decision
                .alerts
                .iter()
                .any(|alert| alert.incident_id == incident.id)
        });
        if let Some(joined) = joined {
            self.joined(group, joined);
        }
    }

    /// Remembers that an alert of `group` is now in `incident` (open, of that very group), so
    /// later alerts of the group find it without asking the database: it has an alert seen
    /// just now, which is what the database lookup requires.
    pub fn joined(&mut self, group: &GroupKey, incident: &Incident) {
        let of_group = incident.source == group.source
            && incident.category == group.category
            && incident.component == group.component;
        if of_group && incident.state.is_open() {
            self.groups.insert(group_key(group), incident.id.clone());
        }
    }
}

fn group_key(group: &GroupKey) -> (String, Option<String>, Option<String>) {
    (
        group.source.clone(),
        group.category.clone(),
        group.component.clone(),
    )
}

/// Whether two versions of an incident agree on every column a lookup filters or orders on.
fn same_for_lookups(a: &Incident, b: &Incident) -> bool {
    a.state == b.state
        && a.source == b.source
        && a.category == b.category
        && a.component == b.component
        && a.opened_at == b.opened_at
}
