//! Maintenance windows in force: which monitors must not page now, and which windows the status
//! page shows.
//!
//! A monitor that fails during a window is still checked and its state still recorded (the
//! monitors page shows it down), but its *down* does not become a signal, so no incident opens
//! and nobody is paged. The first check after the window that still finds it down sends the
//! signal then: a failure that outlives the maintenance pages as if it had just been confirmed.

use jiff::Timestamp;
use tocsin_config::{Maintenance, Monitor, Window};
use tocsin_core::monitor::{MonitorState, MonitorStatus, Transition};

use crate::Engine;

impl Engine {
    /// The window covering `monitor` at `at`, if any.
    pub fn maintenance_for_monitor(
        &self,
        monitor: &Monitor,
        at: Timestamp,
    ) -> Option<(Maintenance, Window)> {
        let config = self.config();
        let tz = config.org.time_zone();
        config
            .maintenance
            .iter()
            .filter(|window| window.covers_monitor(&monitor.id, monitor.component.as_deref()))
            .find_map(|window| window.window_at(at, &tz).map(|w| (window.clone(), w)))
    }

    /// The window covering a status-page component at `at`, if any: one naming the component,
    /// or one naming a monitor of it.
    pub fn maintenance_for_component(
        &self,
        component: &str,
        at: Timestamp,
    ) -> Option<(Maintenance, Window)> {
        let config = self.config();
        let tz = config.org.time_zone();
        config
            .maintenance
            .iter()
            .filter(|window| {
                window.components.iter().any(|c| c == component)
                    || config.monitors.iter().any(|monitor| {
                        monitor.component.as_deref() == Some(component)
                            && window.monitors.contains(&monitor.id)
                    })
            })
            .find_map(|window| window.window_at(at, &tz).map(|w| (window.clone(), w)))
    }

    /// Every occurrence overlapping `[from, until)`, earliest first (for the status page's
    /// "scheduled maintenance").
    pub fn maintenance_between(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Vec<(Maintenance, Window)> {
        let config = self.config();
        let tz = config.org.time_zone();
        let mut windows: Vec<(Maintenance, Window)> = config
            .maintenance
            .iter()
            .flat_map(|window| {
                window
                    .windows_between(from, until, &tz)
                    .into_iter()
                    .map(move |w| (window.clone(), w))
            })
            .collect();
        windows.sort_by_key(|(window, w)| (w.start, window.id.clone()));
        windows
    }

    /// What a check's transition becomes once maintenance is taken into account: a *down*
    /// during a window is held back; the first check after a window that still finds the
    /// monitor down sends the *down* it held back.
    pub(crate) fn gate_for_maintenance(
        &self,
        monitor: &Monitor,
        previous: &MonitorState,
        next: &MonitorState,
        at: Timestamp,
        transition: Option<Transition>,
    ) -> Option<Transition> {
        if self.config().maintenance.is_empty() {
            return transition;
        }
        let in_window = self.maintenance_for_monitor(monitor, at);
        match transition {
            Some(Transition::Down { .. }) if in_window.is_some() => {
                tracing::info!(monitor = %monitor.id, "monitor down during maintenance; not paging");
                None
            }
            None if in_window.is_none() && next.status == MonitorStatus::Down => {
                let held_back = previous
                    .last_check_at
                    .is_some_and(|before| self.maintenance_for_monitor(monitor, before).is_some());
                held_back.then(|| Transition::Down {
                    since: next.since.unwrap_or(at),
                    error: next
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "check failed".to_owned()),
                })
            }
            other => other,
        }
    }
}
