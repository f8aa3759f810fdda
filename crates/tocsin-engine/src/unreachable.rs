//! A page that failed for good is a decision too (`Input::PageFailed`): when every page of the
//! ladder's current step has failed, the core moves the ladder on at once instead of waiting the
//! step's `after`. The step's pages are read inside the deciding transaction
//! (`Lookup::IncidentPages`), so two pages failing at once cannot both miss the other.

use tocsin_core::decide::Input;
use tocsin_store::{Item, Lookup};

use crate::Engine;
use crate::work::Work;

impl Engine {
    /// Decides on a page to a person of `incident_id` that the delivery worker gave up on. A
    /// failure here is logged, not returned: the step's own timer still moves the ladder on.
    pub(crate) async fn page_gave_up(&self, incident_id: &str) {
        let work = Work::new(
            Item {
                lookup: Lookup::IncidentPages(incident_id.to_owned()),
                delivery: None,
            },
            Some(Input::PageFailed),
        );
        if let Err(error) = self.decide_one(work).await {
            tracing::error!(incident = %incident_id, %error, "deciding on a failed page failed; the step's timer will move the ladder on");
        }
    }
}
