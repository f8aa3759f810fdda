//! Running an incident together: roles (who is commander, communications lead, scribe), merging
//! one incident into another, snoozing an acknowledged one — each one decision of the pure core,
//! committed in one transaction — and the timeline of an incident with those merged into it.
//! Every way in (the UI, the API, the CLI, Slack) calls these.

use std::collections::BTreeSet;

use jiff::Timestamp;
use tocsin_core::decide::{Input, RoleAssignment};
use tocsin_core::incident::{EventKind, Incident, TimelineEvent};
use tocsin_core::roles::{Person, PersonKind};
use tocsin_store::{Item, Lookup};

use crate::work::Work;
use crate::{Engine, EngineError};

impl Engine {
    /// The person `user` names: a contact by id (not an outside party), else a tocsin user by
    /// e-mail (any case; not a disabled one), named as the contact with that e-mail if there is
    /// one. `None` when nobody is.
    pub async fn person(&self, user: &str) -> Result<Option<Person>, EngineError> {
        let user = user.trim();
        if user.is_empty() {
            return Ok(None);
        }
        if let Some(contact) = self
            .config()
            .contact(user)
            .filter(|contact| !contact.external)
        {
            return Ok(Some(Person {
                id: contact.id.clone(),
                name: contact.name.clone(),
                kind: PersonKind::Contact,
            }));
        }
        let Some(record) = self.store.user_by_email(user).await? else {
            return Ok(None);
        };
        if record.disabled_at.is_some() {
            return Ok(None);
        }
        let name = self
            .config()
            .contacts
            .iter()
            .find(|contact| {
                contact
                    .email
                    .as_deref()
                    .is_some_and(|email| email.eq_ignore_ascii_case(&record.email))
            })
            .map_or_else(|| record.email.clone(), |contact| contact.name.clone());
        Ok(Some(Person {
            id: record.email,
            name,
            kind: PersonKind::User,
        }))
    }

    /// Gives one of the incident's roles (`commander`, `communications`, `scribe`) to `user` (a
    /// tocsin user's e-mail or a contact's id), as `actor`: a `role_assigned` event naming the
    /// previous holder. When `actor` is that person (a take-over), the timeline says they took
    /// over. An unknown role or person is refused and nothing changes.
    pub async fn assign_role(
        &self,
        incident_id: &str,
        role: &str,
        user: &str,
        actor: &str,
    ) -> Result<Incident, EngineError> {
        let person = self.person(user).await?;
        let input = Input::AssignRole(RoleAssignment {
            actor: actor.to_owned(),
            role: role.to_owned(),
            user: user.to_owned(),
            person,
        });
        self.act(incident_id, input).await
    }

    /// Merges `incident_id` into `into`: it ends, its alerts (and so their later signals) lead
    /// to `into`, its pages and escalation stop; both timelines say so and are kept.
    pub async fn merge(
        &self,
        incident_id: &str,
        into: &str,
        actor: &str,
    ) -> Result<Incident, EngineError> {
        let work = Work::new(
            Item {
                lookup: Lookup::Merge {
                    from: incident_id.to_owned(),
                    into: into.to_owned(),
                },
                delivery: None,
            },
            Some(Input::Merge {
                actor: actor.to_owned(),
                into: into.to_owned(),
            }),
        );
        crate::incident_acted_on(self.decide_one(work).await?, incident_id)
    }

    /// Snoozes the acknowledged incident until `until` (after now, within a week).
    pub async fn snooze(
        &self,
        incident_id: &str,
        until: Timestamp,
        actor: &str,
    ) -> Result<Incident, EngineError> {
        let input = Input::Snooze {
            actor: actor.to_owned(),
            until,
        };
        self.act(incident_id, input).await
    }

    /// Snoozes for a span from now (`tocsin incident snooze --for 2h`, the UI's button): the
    /// engine's clock decides when that is.
    pub async fn snooze_for(
        &self,
        incident_id: &str,
        span: std::time::Duration,
        actor: &str,
    ) -> Result<Incident, EngineError> {
        let span = jiff::SignedDuration::try_from(span).map_err(|_| {
            EngineError::Refused(tocsin_core::decide::Refusal::Invalid(
                "that snooze is far too long; snooze for at most a week".into(),
            ))
        })?;
        let now = self.now();
        let until = now.saturating_add(span).unwrap_or(now);
        self.snooze(incident_id, until, actor).await
    }

    /// The incidents merged into this one (and into those, and so on), oldest merge first:
    /// found from its own `merged` events, so no lookup of its own is needed.
    pub async fn merged_into_it(&self, incident_id: &str) -> Result<Vec<String>, EngineError> {
        let mut found = Vec::new();
        let mut seen = BTreeSet::from([incident_id.to_owned()]);
        let mut queue = vec![incident_id.to_owned()];
        while let Some(id) = queue.pop() {
            for from in merged_from(&self.store.timeline(&id).await?) {
                if seen.insert(from.clone()) {
                    found.push(from.clone());
                    queue.push(from);
                }
            }
        }
        Ok(found)
    }

    /// The incident's timeline with those of the incidents merged into it, in time order (each
    /// event names its own incident). A merged incident's own timeline is `timeline`.
    pub async fn timeline_with_merged(
        &self,
        incident_id: &str,
    ) -> Result<Vec<TimelineEvent>, EngineError> {
        let mut events = self.store.timeline(incident_id).await?;
        for merged in self.merged_into_it(incident_id).await? {
            events.extend(self.store.timeline(&merged).await?);
        }
        // Stable: events of one instant keep each timeline's own order.
        events.sort_by_key(|event| event.at);
        Ok(events)
    }
}

/// The incidents a timeline's `merged` events say were merged into it.
fn merged_from(events: &[TimelineEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|event| event.kind == EventKind::Merged)
        .filter_map(|event| event.data.get("from").and_then(|from| from.as_str()))
        .map(str::to_owned)
        .collect()
}
