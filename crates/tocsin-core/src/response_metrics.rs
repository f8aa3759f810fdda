//! Response metrics, pure: mean time to acknowledge and to resolve, and the share of incidents
//! acknowledged within their severity's target, per month (in the organisation's zone) and
//! severity.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::incident::Incident;

/// One month and severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthRow {
    /// `2026-11`.
    pub month: String,
    pub severity: String,
    pub incidents: u32,
    /// Mean seconds from opening to acknowledgement, over the acknowledged ones.
    pub mtta_seconds: Option<u64>,
    /// Mean seconds from opening to resolution, over the resolved ones.
    pub mttr_seconds: Option<u64>,
    /// Share (0 to 1) of all the month's incidents of this severity acknowledged within its
    /// `respond_within`; one never acknowledged counts as missed.
    pub acknowledged_within_target: f64,
}

#[derive(Default)]
struct Sums {
    incidents: u32,
    ack_total: u64,
    acked: u32,
    resolve_total: u64,
    resolved: u32,
    within: u32,
}

fn seconds(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from(to.as_second().saturating_sub(from.as_second())).unwrap_or(0)
}

/// `2026-11` for an instant in `zone`.
pub fn month_of(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%Y-%m").to_string()
}

/// The rows for `incidents`, grouped by the month they opened in and their severity, oldest
/// month first and severities in id order. `targets` is each severity's `respond_within`; a
/// severity without one counts every acknowledgement as within.
pub fn response(
    incidents: &[Incident],
    targets: &BTreeMap<String, Duration>,
    zone: &TimeZone,
) -> Vec<MonthRow> {
    grouped(incidents, targets, |incident| {
        month_of(incident.opened_at, zone)
    })
}

/// The same figures per severity alone, for one period (the weekly review); `month` is `label`.
pub fn per_severity(
    incidents: &[Incident],
    targets: &BTreeMap<String, Duration>,
    label: &str,
) -> Vec<MonthRow> {
    grouped(incidents, targets, |_| label.to_owned())
}

fn grouped(
    incidents: &[Incident],
    targets: &BTreeMap<String, Duration>,
    period: impl Fn(&Incident) -> String,
) -> Vec<MonthRow> {
    let mut groups: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for incident in incidents {
        let sums = groups
            .entry((period(incident), incident.severity.clone()))
            .or_default();
        sums.incidents += 1;
        if let Some(acked) = incident.acknowledged_at {
            let took = seconds(incident.opened_at, acked);
            sums.ack_total += took;
            sums.acked += 1;
            let target = targets
                .get(&incident.severity)
                .map_or(u64::MAX, Duration::as_secs);
            if took <= target {
                sums.within += 1;
            }
        }
        if let Some(resolved) = incident.resolved_at {
            sums.resolve_total += seconds(incident.opened_at, resolved);
            sums.resolved += 1;
        }
    }
    groups
        .into_iter()
        .map(|((month, severity), sums)| MonthRow {
            month,
            severity,
            incidents: sums.incidents,
            mtta_seconds: (sums.acked > 0).then(|| sums.ack_total / u64::from(sums.acked)),
            mttr_seconds: (sums.resolved > 0)
                .then(|| sums.resolve_total / u64::from(sums.resolved)),
            acknowledged_within_target: f64::from(sums.within) / f64::from(sums.incidents),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::IncidentState;

    fn incident(severity: &str, opened: &str, ack: Option<i64>, resolve: Option<i64>) -> Incident {
        let opened_at: Timestamp = opened.parse().expect("timestamp");
        let after = |minutes: i64| {
            opened_at
                .checked_add(jiff::SignedDuration::from_mins(minutes))
                .expect("in range")
        };
        Incident {
            id: opened.into(),
            title: "x".into(),
            public_title: None,
            severity: severity.into(),
            state: IncidentState::Resolved,
            category: None,
            component: None,
            summary: None,
            runbook: None,
            source: "manual".into(),
            opened_at,
            acknowledged_at: ack.map(after),
            acknowledged_by: None,
            resolved_at: resolve.map(after),
            respond_by: opened_at,
            alert_count: 0,
            escalation: None,
            escalation_step: 0,
            escalation_round: 0,
            escalation_due_at: None,
            escalation_ladder: 0,
            roles: Default::default(),
            merged_into: None,
            snoozed_until: None,
            held_by: None,
            route_escalation: None,
        }
    }

    #[test]
    fn means_and_the_share_within_target_per_month_and_severity() {
        let targets = BTreeMap::from([("SEV-1".to_owned(), Duration::from_secs(15 * 60))]);
        let zone = TimeZone::get("Asia/Riyadh").expect("zone");
        let rows = response(
            &[
                incident("SEV-1", "2026-11-02T10:00:00Z", Some(5), Some(60)),
                incident("SEV-1", "2026-11-10T10:00:00Z", Some(25), Some(120)),
                incident("SEV-1", "2026-11-20T10:00:00Z", None, Some(30)),
                // 22:00 UTC on 31 Oct is 1 November in Riyadh.
                incident("SEV-1", "2026-10-31T22:00:00Z", Some(15), None),
            ],
            &targets,
            &zone,
        );
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(row.month, "2026-11");
        assert_eq!(row.incidents, 4);
        // (5 + 25 + 15) / 3 minutes.
        assert_eq!(row.mtta_seconds, Some(15 * 60));
        // (60 + 120 + 30) / 3 minutes.
        assert_eq!(row.mttr_seconds, Some(70 * 60));
        // 5 and 15 minutes are within 15; 25 and never are not.
        assert!((row.acknowledged_within_target - 0.5).abs() < 1e-9);
    }
}
