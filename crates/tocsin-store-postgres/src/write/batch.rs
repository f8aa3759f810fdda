//! What one write transaction has learned so far, so an alert storm joining one incident
//! costs a row or two per alert: each incident the batch touched, in its latest version (an
//! update that changes nothing a lookup filters on is written once, when the batch ends), and
//! the open incident each alert group resolved to.
//!
//! Every incident kept here is row-locked by the transaction (read `FOR UPDATE`, or written),
//! so no other replica changes it under the batch's cached version before the commit.

use std::collections::HashMap;

use sqlx::PgConnection;
use tocsin_core::incident::Incident;
use tocsin_store::{GroupKey, Result};

use super::rows::upsert_incident;

#[derive(Debug, Default)]
pub(super) struct Batch {
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
    pub(super) fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.get(id).map(|tracked| &tracked.latest)
    }

    /// Notes an incident as read from the database, unless the batch already has a newer one.
    pub(super) fn read(&mut self, incident: &Incident) {
        self.incidents
            .entry(incident.id.clone())
            .or_insert_with(|| Tracked {
                latest: incident.clone(),
                unwritten: false,
            });
    }

    /// Writes the incident now, or keeps it for the end of the batch when the row already
    /// agrees on everything a lookup reads (state, source, category, component, opening
    /// time): a storm's thousand alerts update their incident's count once.
    pub(super) async fn keep_incident(
        &mut self,
        tx: &mut PgConnection,
        incident: Incident,
    ) -> Result<()> {
        if let Some(tracked) = self.incidents.get_mut(&incident.id)
            && same_for_lookups(&tracked.latest, &incident)
        {
            tracked.unwritten = tracked.unwritten || tracked.latest != incident;
            tracked.latest = incident;
            return Ok(());
        }
        upsert_incident(tx, &incident).await?;
        self.incidents.insert(
            incident.id.clone(),
            Tracked {
                latest: incident,
                unwritten: false,
            },
        );
        Ok(())
    }

    /// Writes every incident kept for the end; call before the commit.
    pub(super) async fn finish(self, tx: &mut PgConnection) -> Result<()> {
        for tracked in self.incidents.into_values() {
            if tracked.unwritten {
                upsert_incident(tx, &tracked.latest).await?;
            }
        }
        Ok(())
    }

    /// The open incident an earlier alert of this batch joined for `group`, as decided so far.
    pub(super) fn group(&self, group: &GroupKey) -> Option<&Incident> {
        let id = self.groups.get(&group_key(group))?;
        self.incident(id)
            .filter(|incident| incident.state.is_open())
    }

    /// Remembers that an alert of `group` is now in `incident` (open, of that very group), so
    /// later alerts of the group find it without asking the database: it has an alert seen
    /// just now, which is what the database lookup requires.
    pub(super) fn joined(&mut self, group: &GroupKey, incident: &Incident) {
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
