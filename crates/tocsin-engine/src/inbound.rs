//! Inbound items from integrations: each becomes a decision (signals, acknowledgements) or a
//! record (changes), committed through the group commit before the sender hears 2xx.

use std::time::Duration;

use tocsin_core::decide::{Input, Refusal};
use tocsin_core::inbound::{Inbound, IntegrationContext};
use tocsin_store::{GroupKey, Item, ItemOutcome, Lookup};

use crate::work::Work;
use crate::{Engine, EngineError};

/// A sender's delivery id, to refuse redeliveries (`X-GitHub-Delivery`, `webhook-id`).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub source: String,
    pub id: String,
}

/// What came of one request's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Items that changed something.
    pub applied: usize,
    /// Items that were valid but changed nothing (an ack for an unknown key, a redelivery).
    pub ignored: usize,
}

impl Engine {
    /// The parsing context of an integration, for the parsers in `tocsin_core::inbound`.
    pub fn integration_context(&self, id: &str) -> Option<IntegrationContext> {
        let config = self.config();
        let integration = config.integration(id)?;
        Some(IntegrationContext {
            id: integration.id.clone(),
            severity: integration.severity.clone(),
            severity_map: integration.severity_map.clone(),
            severity_label: integration.severity_label.clone(),
            category: integration.category.clone(),
            component: integration.component.clone(),
            runbook: integration.runbook.clone(),
            now: self.now(),
        })
    }

    /// Commits a request's items (with everything else queued) and returns once they are on
    /// disk. Refusals of acknowledgements for unknown or settled incidents are not errors:
    /// PagerDuty accepts those and changes nothing.
    pub async fn accept(
        &self,
        items: Vec<Inbound>,
        delivery: Option<Delivery>,
    ) -> Result<Accepted, EngineError> {
        let grouping: Duration = self.config().engine.grouping_window;
        let since = self
            .now()
            .checked_sub(jiff::SignedDuration::try_from(grouping).unwrap_or_default())
            .unwrap_or(self.now());
        let works: Vec<Work> = items
            .into_iter()
            .enumerate()
            .map(|(index, inbound)| {
                let delivery = delivery
                    .as_ref()
                    .map(|d| (d.source.clone(), format!("{}#{index}", d.id)));
                match inbound {
                    Inbound::Signal(signal) => {
                        let group = signal.source.starts_with("integration:").then(|| GroupKey {
                            source: signal.source.clone(),
                            category: signal.category.clone(),
                            component: signal.component.clone(),
                            since,
                        });
                        let lookup = Lookup::Key {
                            dedup_key: signal.dedup_key.clone(),
                            group,
                        };
                        Work::signal(Item { lookup, delivery }, signal)
                    }
                    Inbound::Acknowledge { dedup_key, actor } => Work::new(
                        Item {
                            lookup: Lookup::Key {
                                dedup_key,
                                group: None,
                            },
                            delivery,
                        },
                        Some(Input::Acknowledge { actor }),
                    ),
                    Inbound::Change(change) => {
                        let mut work = Work::new(
                            Item {
                                lookup: Lookup::Nothing,
                                delivery,
                            },
                            None,
                        );
                        work.changes.push(change);
                        work
                    }
                }
            })
            .collect();
        let outcomes = self.submit(works).await?;
        let mut accepted = Accepted::default();
        for outcome in outcomes {
            match outcome {
                ItemOutcome::Done(_) => accepted.applied += 1,
                ItemOutcome::Duplicate
                | ItemOutcome::Refused(Refusal::NoIncident | Refusal::State { .. }) => {
                    accepted.ignored += 1
                }
                ItemOutcome::Refused(refusal) => return Err(refusal.into()),
            }
        }
        Ok(accepted)
    }
}
