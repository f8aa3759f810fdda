//! Reading incidents for the pages and the API: lists, one incident with its alerts, and its
//! timeline. Changes go through `act`, `declare` and `ingest`.

use tocsin_core::decide::Situation;
use tocsin_core::incident::{Incident, TimelineEvent};
use tocsin_core::incident_filter::IncidentFilter;

use crate::{Engine, EngineError};

impl Engine {
    /// The incidents the filter asks for.
    pub async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>, EngineError> {
        Ok(self.store.incidents(filter).await?)
    }

    /// The incident with this id and its alerts; no incident in it when there is none.
    pub async fn situation(&self, incident_id: &str) -> Result<Situation, EngineError> {
        Ok(self.store.situation_for_incident(incident_id).await?)
    }

    /// The incident with this id, without reading its alerts.
    pub async fn incident(&self, incident_id: &str) -> Result<Option<Incident>, EngineError> {
        Ok(self.store.incident(incident_id).await?)
    }

    /// An incident's timeline events.
    pub async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>, EngineError> {
        Ok(self.store.timeline(incident_id).await?)
    }
}
