//! The public status page's arithmetic: each component's status from the open incidents, the
//! page's indicator, and per-day uptime from check counts. Pure: the shell reads the store and
//! the clock and hands everything in, so every rule here is a unit test away.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::incident::IncidentState;

/// A component's state in Statuspage's vocabulary. Declared from best to worst so that `max`
/// is "the worse wins": maintenance is planned and less alarming than any outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::UnderMaintenance => "under_maintenance",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
        }
    }

    /// A severity's `status_page` value; `"none"` leaves the component alone (operational).
    pub fn from_config(value: &str) -> Option<Self> {
        match value {
            "none" | "operational" => Some(ComponentStatus::Operational),
            "under_maintenance" => Some(ComponentStatus::UnderMaintenance),
            "degraded_performance" => Some(ComponentStatus::DegradedPerformance),
            "partial_outage" => Some(ComponentStatus::PartialOutage),
            "major_outage" => Some(ComponentStatus::MajorOutage),
            _ => None,
        }
    }
}

/// An incident's impact and the page's indicator, in Statuspage's vocabulary, best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    /// The impact of a severity from its place in the configured list, most severe first:
    /// SEV-1 → critical, SEV-2 → major, SEV-3 → minor, anything after → none. By place rather
    /// than by name, because severity ids are the organisation's own words.
    pub fn for_rank(rank: usize) -> Self {
        match rank {
            0 => Impact::Critical,
            1 => Impact::Major,
            2 => Impact::Minor,
            _ => Impact::None,
        }
    }

    /// Statuspage's own description of a page with this indicator (its JSON is English only).
    pub fn description(self) -> &'static str {
        match self {
            Impact::None => "All Systems Operational",
            Impact::Minor => "Minor Service Outage",
            Impact::Major => "Partial System Outage",
            Impact::Critical => "Major Service Outage",
        }
    }
}

/// An incident's state in Statuspage's vocabulary: nobody has it yet → investigating; someone
/// acknowledged it → identified; resolved → resolved.
pub fn public_state(state: IncidentState) -> &'static str {
    match state {
        IncidentState::Triggered => "investigating",
        IncidentState::Acknowledged => "identified",
        IncidentState::Resolved => "resolved",
    }
}

/// What one open incident does to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenImpact<'a> {
    /// The component it names, if any.
    pub component: Option<&'a str>,
    /// Its severity's `status_page` effect on that component.
    pub status: ComponentStatus,
    /// Its severity's impact.
    pub impact: Impact,
}

/// Each component's status, in the order given: the worst of the open incidents naming it,
/// operational when none does.
pub fn component_statuses(components: &[&str], open: &[OpenImpact<'_>]) -> Vec<ComponentStatus> {
    components
        .iter()
        .map(|component| {
            open.iter()
                .filter(|incident| incident.component == Some(*component))
                .map(|incident| incident.status)
                .max()
                .unwrap_or(ComponentStatus::Operational)
        })
        .collect()
}

/// The page's indicator: the worst impact among the open incidents.
pub fn indicator(open: &[OpenImpact<'_>]) -> Impact {
    open.iter()
        .map(|incident| incident.impact)
        .max()
        .unwrap_or(Impact::None)
}

/// Whether an incident belongs on the public page at all: when it changes a shown component's
/// status, or when someone posted a public update about it. Anything else (a SEV-4 ticket, a
/// team-only investigation) stays internal, so an internal title never leaks by default.
pub fn is_public(shown_effect: ComponentStatus, public_updates: usize) -> bool {
    shown_effect != ComponentStatus::Operational || public_updates > 0
}

/// The starts of the last `days` days in `tz`, oldest first, followed by the start of
/// tomorrow: `days + 1` boundaries, so day `i` is `[starts[i], starts[i + 1])`. Days are civil
/// days, so a day across a DST change is 23 or 25 hours long, as the reader expects.
pub fn day_starts(now: Timestamp, tz: &TimeZone, days: u32) -> Result<Vec<Timestamp>, jiff::Error> {
    let today = now.to_zoned(tz.clone()).date();
    let mut date = today.checked_sub(jiff::Span::new().days(i64::from(days.saturating_sub(1))))?;
    let mut starts = Vec::with_capacity(usize::try_from(days).unwrap_or(0).saturating_add(1));
    for _ in 0..=days {
        starts.push(date.to_zoned(tz.clone())?.timestamp());
        date = date.tomorrow()?;
    }
    Ok(starts)
}

/// Checks in one day: how many ran and how many passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayChecks {
    pub ok: u64,
    pub total: u64,
}

/// A component's uptime: per day (oldest first; `None` when no check ran) and over the whole
/// window.
#[derive(Debug, Clone, PartialEq)]
pub struct Uptime {
    pub days: Vec<Option<f64>>,
    pub overall: Option<f64>,
}

/// A component's uptime from the day counts of each of its monitors (each `days` long, oldest
/// first): a day's uptime is the passed checks over all checks of all its monitors that day.
/// A monitor with a missing day counts as not having run that day.
pub fn uptime(monitors: &[Vec<DayChecks>], days: usize) -> Uptime {
    let per_day: Vec<DayChecks> = (0..days)
        .map(|day| {
            monitors.iter().filter_map(|counts| counts.get(day)).fold(
                DayChecks::default(),
                |sum, counts| DayChecks {
                    ok: sum.ok.saturating_add(counts.ok),
                    total: sum.total.saturating_add(counts.total),
                },
            )
        })
        .collect();
    let whole = per_day
        .iter()
        .fold(DayChecks::default(), |sum, counts| DayChecks {
            ok: sum.ok.saturating_add(counts.ok),
            total: sum.total.saturating_add(counts.total),
        });
    Uptime {
        days: per_day.iter().map(|counts| ratio(*counts)).collect(),
        overall: ratio(whole),
    }
}

fn ratio(counts: DayChecks) -> Option<f64> {
    // Counts fit an f64 exactly far beyond any real number of checks.
    #[allow(clippy::cast_precision_loss)]
    (counts.total > 0).then(|| counts.ok.min(counts.total) as f64 / counts.total as f64)
}

/// A share as a percentage for people: two decimals, never rounded up to 100 while anything
/// failed (99.999 % shows as 99.99 %, not 100 %).
pub fn percent(share: f64) -> String {
    // The epsilon keeps binary fractions like 0.95 (0.9499999…) from flooring a step too low.
    let hundredths = (share * 10_000.0 + 1e-6).floor() / 100.0;
    format!("{hundredths:.2}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(component: Option<&str>, status: ComponentStatus, impact: Impact) -> OpenImpact<'_> {
        OpenImpact {
            component,
            status,
            impact,
        }
    }

    #[test]
    fn a_component_without_open_incidents_is_operational() {
        let statuses = component_statuses(&["api", "payments"], &[]);
        assert_eq!(statuses, vec![ComponentStatus::Operational; 2]);
        assert_eq!(indicator(&[]), Impact::None);
        assert_eq!(indicator(&[]).description(), "All Systems Operational");
    }

    #[test]
    fn the_worse_of_two_open_incidents_wins_on_their_component() {
        let incidents = [
            open(
                Some("api"),
                ComponentStatus::DegradedPerformance,
                Impact::Minor,
            ),
            open(Some("api"), ComponentStatus::MajorOutage, Impact::Critical),
            open(
                Some("payments"),
                ComponentStatus::UnderMaintenance,
                Impact::None,
            ),
        ];
        let statuses = component_statuses(&["api", "payments", "dashboard"], &incidents);
        assert_eq!(
            statuses,
            vec![
                ComponentStatus::MajorOutage,
                ComponentStatus::UnderMaintenance,
                ComponentStatus::Operational
            ]
        );
        assert_eq!(indicator(&incidents), Impact::Critical);
    }

    #[test]
    fn an_outage_is_worse_than_maintenance() {
        let incidents = [
            open(Some("api"), ComponentStatus::UnderMaintenance, Impact::None),
            open(
                Some("api"),
                ComponentStatus::DegradedPerformance,
                Impact::Minor,
            ),
        ];
        assert_eq!(
            component_statuses(&["api"], &incidents),
            vec![ComponentStatus::DegradedPerformance]
        );
    }

    #[test]
    fn an_incident_without_a_component_moves_only_the_indicator() {
        let incidents = [open(None, ComponentStatus::PartialOutage, Impact::Major)];
        assert_eq!(
            component_statuses(&["api"], &incidents),
            vec![ComponentStatus::Operational]
        );
        assert_eq!(indicator(&incidents), Impact::Major);
        assert_eq!(indicator(&incidents).description(), "Partial System Outage");
    }

    #[test]
    fn severities_map_to_statuspage_impacts_by_rank() {
        assert_eq!(Impact::for_rank(0), Impact::Critical);
        assert_eq!(Impact::for_rank(1), Impact::Major);
        assert_eq!(Impact::for_rank(2), Impact::Minor);
        assert_eq!(Impact::for_rank(3), Impact::None);
        assert_eq!(Impact::for_rank(9), Impact::None);
    }

    #[test]
    fn incident_states_read_as_statuspage_states() {
        assert_eq!(public_state(IncidentState::Triggered), "investigating");
        assert_eq!(public_state(IncidentState::Acknowledged), "identified");
        assert_eq!(public_state(IncidentState::Resolved), "resolved");
    }

    #[test]
    fn configured_effects_parse() {
        assert_eq!(
            ComponentStatus::from_config("none"),
            Some(ComponentStatus::Operational)
        );
        assert_eq!(
            ComponentStatus::from_config("partial_outage"),
            Some(ComponentStatus::PartialOutage)
        );
        assert_eq!(ComponentStatus::from_config("broken"), None);
    }

    #[test]
    fn only_incidents_that_change_a_component_or_were_announced_are_public() {
        assert!(!is_public(ComponentStatus::Operational, 0));
        assert!(is_public(ComponentStatus::Operational, 1));
        assert!(is_public(ComponentStatus::PartialOutage, 0));
    }

    #[test]
    fn ninety_days_end_with_today_in_the_page_zone() {
        let tz = TimeZone::get("Asia/Riyadh").expect("zone");
        // 22:30 UTC is already the next day in Riyadh (UTC+3).
        let now: Timestamp = "2026-11-26T22:30:00Z".parse().expect("time");
        let starts = day_starts(now, &tz, 90).expect("days");
        assert_eq!(starts.len(), 91);
        let last: Timestamp = "2026-11-27T21:00:00Z".parse().expect("time");
        assert_eq!(starts.last().copied(), Some(last));
        let today: Timestamp = "2026-11-26T21:00:00Z".parse().expect("time");
        assert_eq!(starts.get(89).copied(), Some(today));
        assert!(starts.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_day_across_a_dst_change_is_23_hours() {
        let tz = TimeZone::get("Europe/Berlin").expect("zone");
        let now: Timestamp = "2026-03-29T12:00:00Z".parse().expect("time");
        let starts = day_starts(now, &tz, 2).expect("days");
        let hours: Vec<i64> = starts
            .windows(2)
            .map(|pair| pair[1].duration_since(pair[0]).as_hours())
            .collect();
        assert_eq!(hours, vec![24, 23]);
    }

    #[test]
    fn uptime_is_passed_checks_over_all_checks_of_the_components_monitors() {
        let api = vec![
            DayChecks { ok: 0, total: 0 },
            DayChecks { ok: 9, total: 10 },
            DayChecks { ok: 10, total: 10 },
        ];
        let health = vec![
            DayChecks { ok: 0, total: 0 },
            DayChecks { ok: 10, total: 10 },
            DayChecks { ok: 5, total: 10 },
        ];
        let result = uptime(&[api, health], 3);
        assert_eq!(result.days, vec![None, Some(0.95), Some(0.75)]);
        assert_eq!(result.overall, Some(34.0 / 40.0));
    }

    #[test]
    fn a_component_without_monitors_has_no_data() {
        let result = uptime(&[], 90);
        assert_eq!(result.days.len(), 90);
        assert!(result.days.iter().all(Option::is_none));
        assert_eq!(result.overall, None);
    }

    #[test]
    fn percentages_never_round_up_to_a_perfect_score() {
        assert_eq!(percent(1.0), "100.00%");
        assert_eq!(percent(0.99999), "99.99%");
        assert_eq!(percent(0.5), "50.00%");
        assert_eq!(percent(0.95), "95.00%");
        assert_eq!(percent(34.0 / 40.0), "85.00%");
    }
}
