//! What the public calls an incident (`tocsin_core::public_title`), with this configuration's
//! words: the status-page name of the incident's component and its severity's `status_page`
//! effect. Used by the status page, its feeds and every customer-facing mail.

use tocsin_core::incident::Incident;
use tocsin_core::public_title;
use tocsin_core::status::ComponentStatus;

use crate::Engine;

impl Engine {
    /// The incident's public title in `locale`: the one a person wrote, else "<component>:
    /// <severity's wording>". Never the incident's own (internal) title.
    pub fn public_title(&self, incident: &Incident, locale: &str) -> String {
        self.public_title_of(
            incident.public_title.as_deref(),
            incident.component.as_deref(),
            &incident.severity,
            locale,
        )
    }

    /// [`Engine::public_title`] from an incident's parts, for records that carry only those.
    pub(crate) fn public_title_of(
        &self,
        written: Option<&str>,
        component: Option<&str>,
        severity: &str,
        locale: &str,
    ) -> String {
        let config = self.config();
        // Only a name the status page shows: a component named by an alert's payload is the
        // sender's word, not a public one.
        let name = component.and_then(|id| {
            config
                .status_page
                .as_ref()
                .and_then(|page| page.components.iter().find(|c| c.id == id))
                .map(|c| c.name.as_str())
        });
        let status = config
            .severity(severity)
            .map_or(ComponentStatus::Operational, |rule| rule.component_status());
        public_title::public_title(written, name, status, locale)
    }
}
