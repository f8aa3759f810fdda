//! Looking back: response metrics per month and severity, and the weekly review (the week's
//! incidents, response against target, post-mortems due, open action items, incidents that
//! matched no runbook).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{Timestamp, ToSpan as _};
use tocsin_core::incident::Incident;
use tocsin_core::postmortem::ActionItem;
use tocsin_core::response_metrics::{self, MonthRow};

use crate::postmortem::PostmortemView;
use crate::{Engine, EngineError};

/// The most months the metrics look back.
pub const MAX_MONTHS: u32 = 36;
const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// The weekly review's content.
#[derive(Debug, Clone)]
pub struct Review {
    pub from: Timestamp,
    pub until: Timestamp,
    /// Incidents opened in the week, oldest first.
    pub incidents: Vec<Incident>,
    /// Time to acknowledge and to resolve per severity, against its `respond_within`.
    pub response: Vec<MonthRow>,
    pub targets: BTreeMap<String, Duration>,
    /// Drafts due within the next week, or overdue.
    pub postmortems: Vec<PostmortemView>,
    /// Action items not done, with the incident whose post-mortem holds them.
    pub action_items: Vec<(String, ActionItem)>,
    /// The week's incidents that matched no runbook.
    pub without_runbook: Vec<Incident>,
}

impl Engine {
    fn response_targets(&self) -> BTreeMap<String, Duration> {
        self.config()
            .severities
            .iter()
            .map(|severity| (severity.id.clone(), severity.respond_within))
            .collect()
    }

    /// MTTA, MTTR and the share acknowledged within target, per month (the org's zone) and
    /// severity, for the last `months` months including this one.
    pub async fn response_metrics(&self, months: u32) -> Result<Vec<MonthRow>, EngineError> {
        let months = months.clamp(1, MAX_MONTHS);
        let zone = self.config().org.time_zone();
        let now = self.now();
        let first_day = now
            .to_zoned(zone.clone())
            .first_of_month()
            .and_then(|day| day.start_of_day())
            .and_then(|day| day.checked_sub((i64::from(months) - 1).months()))
            .map_err(|e| EngineError::Unavailable(e.to_string()))?;
        let until = now
            .saturating_add(jiff::SignedDuration::from_millis(1))
            .unwrap_or(now);
        let incidents = self
            .store
            .incidents_opened(first_day.timestamp(), until)
            .await?;
        Ok(response_metrics::response(
            &incidents,
            &self.response_targets(),
            &zone,
        ))
    }

    /// The review of the seven days before now.
    pub async fn weekly_review(&self) -> Result<Review, EngineError> {
        let until = self.now();
        let from = until
            .saturating_sub(jiff::SignedDuration::try_from(WEEK).unwrap_or_default())
            .unwrap_or(until);
        let incidents = self.store.incidents_opened(from, until).await?;
        let targets = self.response_targets();
        let response = response_metrics::per_severity(&incidents, &targets, "week");
        let horizon = until
            .saturating_add(jiff::SignedDuration::try_from(WEEK).unwrap_or_default())
            .unwrap_or(until);
        let mut postmortems = Vec::new();
        let mut action_items = Vec::new();
        for view in self.postmortems().await? {
            if view.status != "published" && view.due_at <= horizon {
                postmortems.push(view.clone());
            }
            let file = view
                .path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Ok(Some(text)) = self.read_file(&file) {
                action_items.extend(
                    tocsin_core::postmortem::action_items(&text)
                        .into_iter()
                        .filter(|item| !item.done)
                        .map(|item| (view.incident_id.clone(), item)),
                );
            }
        }
        postmortems.sort_by_key(|view| view.due_at);
        let without_runbook = incidents
            .iter()
            .filter(|incident| incident.runbook.is_none())
            .cloned()
            .collect();
        Ok(Review {
            from,
            until,
            incidents,
            response,
            targets,
            postmortems,
            action_items,
            without_runbook,
        })
    }
}
