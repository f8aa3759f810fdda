//! Who is on call: the configured schedules as the core's `ScheduleSpec`s, overrides from the
//! store, and the roster a decision is made with.

use std::collections::BTreeMap;

use jiff::Timestamp;
use tocsin_config::Config;
use tocsin_core::oncall::{OnCall, Override, RotationSpec, ScheduleSpec, on_call};
use tocsin_store::OverrideRecord;

use crate::{Engine, EngineError};

/// The schedules of a configuration; one whose time zone is unknown here is skipped (the loader
/// already validated zones, so this only guards against a missing tz database).
pub(crate) fn schedules(config: &Config) -> Vec<ScheduleSpec> {
    config
        .schedules
        .iter()
        .filter_map(|schedule| {
            let timezone = match jiff::tz::TimeZone::get(&schedule.timezone) {
                Ok(zone) => zone,
                Err(error) => {
                    tracing::error!(schedule = %schedule.id, %error, "unknown time zone; schedule ignored");
                    return None;
                }
            };
            Some(ScheduleSpec {
                id: schedule.id.clone(),
                timezone,
                layers: schedule.layers.iter().map(layer).collect(),
            })
        })
        .collect()
}

/// A configured layer as the core's. A hand-off written without a day counts its turns from
/// the day the core's anchor falls on, so the first turn starts on the anchor date itself.
fn layer(layer: &tocsin_config::Layer) -> RotationSpec {
    RotationSpec {
        members: layer.members.clone(),
        every: layer.every,
        handoff_weekday: layer
            .handoff
            .weekday
            .unwrap_or(tocsin_core::oncall::ANCHOR_REFERENCE.weekday()),
        handoff_time: layer.handoff.time,
        days: layer.days.clone(),
        until: layer.until,
    }
}

pub(crate) fn to_core(records: &[OverrideRecord]) -> Vec<Override> {
    records
        .iter()
        .map(|record| Override {
            schedule: record.schedule.clone(),
            contact: record.contact.clone(),
            from: record.starts_at,
            until: record.ends_at,
        })
        .collect()
}

impl Engine {
    /// Current and future overrides.
    pub async fn overrides(&self) -> Result<Vec<OverrideRecord>, EngineError> {
        Ok(self.store.overrides(self.now()).await?)
    }

    /// Deletes an override; `false` when there was none with this id.
    pub async fn remove_override(&self, id: &str) -> Result<bool, EngineError> {
        Ok(self.store.delete_override(id).await?)
    }

    /// Who is on call in each schedule at `at`.
    pub async fn on_call_at(
        &self,
        at: Timestamp,
    ) -> Result<Vec<(String, Option<OnCall>)>, EngineError> {
        self.on_call_in(&self.live(), at).await
    }

    /// Who is on call in each schedule of `live` at `at`.
    async fn on_call_in(
        &self,
        live: &crate::live::Live,
        at: Timestamp,
    ) -> Result<Vec<(String, Option<OnCall>)>, EngineError> {
        // Without schedules nobody is on call and no override can change that: a team that
        // pages only channels pays no read per decision.
        if live.schedules.is_empty() {
            return Ok(Vec::new());
        }
        let overrides = to_core(&self.store.overrides(at).await?);
        Ok(live
            .schedules
            .iter()
            .map(|schedule| (schedule.id.clone(), on_call(schedule, &overrides, at)))
            .collect())
    }

    /// The roster a decision at `now` under `live` pages with: schedule id → contact id.
    pub(crate) async fn roster(
        &self,
        live: &crate::live::Live,
        now: Timestamp,
    ) -> Result<BTreeMap<String, String>, EngineError> {
        Ok(self
            .on_call_in(live, now)
            .await?
            .into_iter()
            .filter_map(|(schedule, on_call)| on_call.map(|on_call| (schedule, on_call.contact)))
            .collect())
    }

    pub fn schedule(&self, id: &str) -> Option<tocsin_core::oncall::ScheduleSpec> {
        self.live()
            .schedules
            .iter()
            .find(|schedule| schedule.id == id)
            .cloned()
    }
}

impl Engine {
    /// Puts someone else on call in a schedule for `[from, until)`; refuses what makes no sense.
    pub async fn add_override(
        &self,
        schedule: &str,
        contact: &str,
        from: Timestamp,
        until: Timestamp,
        by: &str,
    ) -> Result<OverrideRecord, EngineError> {
        let invalid =
            |message: String| EngineError::Refused(tocsin_core::decide::Refusal::Invalid(message));
        if self.schedule(schedule).is_none() {
            return Err(invalid(format!("unknown schedule `{schedule}`")));
        }
        match self.config().contact(contact) {
            None => return Err(invalid(format!("unknown contact `{contact}`"))),
            Some(person) if person.external => {
                return Err(invalid(format!(
                    "`{contact}` is an outside party and is never on call"
                )));
            }
            Some(_) => {}
        }
        if from >= until {
            return Err(invalid("`from` must be before `until`".to_owned()));
        }
        if until <= self.now() {
            return Err(invalid("the override is already over".to_owned()));
        }
        let record = OverrideRecord {
            id: uuid::Uuid::now_v7().to_string(),
            schedule: schedule.to_owned(),
            contact: contact.to_owned(),
            starts_at: from,
            ends_at: until,
            created_by: by.to_owned(),
            created_at: self.now(),
        };
        self.store.add_override(&record).await?;
        Ok(record)
    }

    /// The calendar feed's secret: an HMAC of the schedule id, so the URL can be shared with a
    /// phone's calendar without handing out an API token.
    pub fn calendar_token(&self, schedule: &str) -> String {
        self.signers.calendar.tag(&format!("calendar:{schedule}"))
    }

    pub fn calendar_url(&self, schedule: &str) -> String {
        format!(
            "{}/oncall/{schedule}.ics?token={}",
            self.config().server.public_url,
            self.calendar_token(schedule)
        )
    }

    /// The schedule's shifts for the next eight weeks as an iCalendar document, if the token is right.
    pub async fn calendar(
        &self,
        schedule: &str,
        token: &str,
    ) -> Result<Option<String>, EngineError> {
        let Some(spec) = self.schedule(schedule) else {
            return Ok(None);
        };
        if !self
            .signers
            .check_calendar_tag(&format!("calendar:{schedule}"), token)
        {
            return Err(EngineError::Token(crate::TokenError::Forged));
        }
        let now = self.now();
        let horizon = now
            .saturating_add(jiff::SignedDuration::from_hours(24 * 7 * 8))
            .unwrap_or(now);
        let overrides = to_core(&self.store.overrides(now).await?);
        let shifts = tocsin_core::oncall::shifts(&spec, &overrides, now, horizon);
        let names = |id: &str| {
            self.config()
                .contact(id)
                .map_or_else(|| id.to_owned(), |c| c.name.clone())
        };
        Ok(Some(tocsin_core::oncall::icalendar(
            &spec, &shifts, &names, now,
        )))
    }
}
