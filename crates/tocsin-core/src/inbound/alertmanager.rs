//! Alertmanager webhook v4 (and Grafana's Alertmanager-shaped webhook): one signal per alert.
//!
//! Each alert carries its own `status`, so a notification for a group can fire some alerts and
//! resolve others at once. Alerts are keyed by `fingerprint`, Alertmanager's stable hash of the
//! label set, so repeats every `repeat_interval` land on the same tocsin alert.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    Inbound, IntegrationContext, ParseError, TITLE_MAX, as_object, details, link, links,
    meaningful, opt_str, parse_json, parse_timestamp, text, truncate,
};
use crate::signal::{Signal, SignalStatus};

/// Parses a webhook body into one signal per alert; an empty `alerts` array is no work, not an
/// error. Alertmanager does not retry a 4xx, so a refused body is lost: every error names the
/// field so the sender's log says what to fix.
pub fn parse(body: &[u8], ctx: &IntegrationContext) -> Result<Vec<Inbound>, ParseError> {
    let value = parse_json(body)?;
    let obj = as_object(&value, "body")?;
    check_version(obj)?;

    let group_status = opt_str(obj, "status", "")?;
    let common_labels = string_map(obj.get("commonLabels"));
    let external_url = opt_str(obj, "externalURL", "")?;
    let alerts = match obj.get("alerts") {
        None | Some(Value::Null) => return Err(ParseError::Missing("alerts".into())),
        Some(Value::Array(alerts)) => alerts,
        Some(_) => return Err(ParseError::invalid("alerts", "must be an array")),
    };

    alerts
        .iter()
        .enumerate()
        .map(|(index, alert)| {
            let path = format!("alerts[{index}]");
            let alert = as_object(alert, &path)?;
            signal(
                alert,
                &path,
                group_status,
                external_url,
                &common_labels,
                ctx,
            )
            .map(Inbound::Signal)
        })
        .collect()
}

/// Alertmanager sends `"4"`; Grafana sends `"1"` with its `orgId`. Any other version may have
/// changed the shape, so it is refused rather than half-understood.
fn check_version(obj: &serde_json::Map<String, Value>) -> Result<(), ParseError> {
    let version = match obj.get("version") {
        None | Some(Value::Null) => return Err(ParseError::Missing("version".into())),
        Some(Value::String(version)) => version.as_str(),
        Some(_) => {
            return Err(ParseError::invalid(
                "version",
                "must be a string, e.g. \"4\"",
            ));
        }
    };
    let grafana = obj.contains_key("orgId");
    match version {
        "4" => Ok(()),
        "1" if grafana => Ok(()),
        other => Err(ParseError::invalid(
            "version",
            format!(
                "must be \"4\" (Alertmanager webhook v4) or \"1\" with `orgId` (Grafana); got {other:?}"
            ),
        )),
    }
}

fn signal(
    alert: &serde_json::Map<String, Value>,
    path: &str,
    group_status: Option<&str>,
    external_url: Option<&str>,
    common_labels: &BTreeMap<String, String>,
    ctx: &IntegrationContext,
) -> Result<Signal, ParseError> {
    // Alertmanager always sets each alert's status; the group's is a fallback for hand-made
    // payloads that only set it once.
    let status_word = opt_str(alert, "status", path)?.or(group_status);
    let status = match status_word {
        None => return Err(ParseError::Missing(format!("{path}.status"))),
        Some("firing") => SignalStatus::Firing,
        Some("resolved") => SignalStatus::Resolved,
        Some(_) => {
            return Err(ParseError::invalid(
                format!("{path}.status"),
                "must be \"firing\" or \"resolved\"",
            ));
        }
    };
    let labels = string_map(alert.get("labels"));
    let annotations = string_map(alert.get("annotations"));
    let fingerprint = opt_str(alert, "fingerprint", path)?;
    let key = match fingerprint {
        Some(fingerprint) => fingerprint.to_string(),
        None if labels.is_empty() => {
            return Err(ParseError::Missing(format!("{path}.fingerprint")));
        }
        None => label_key(&labels),
    };

    let label = |name: &str| {
        labels
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let annotation = |name: &str| {
        annotations
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let severity_label = ctx.severity_label.as_deref().unwrap_or("severity");
    let title = annotation("summary")
        .or_else(|| annotation("title"))
        .or_else(|| label("alertname"))
        .unwrap_or(key.as_str());

    let starts_at = timestamp(alert, "startsAt");
    let ends_at = timestamp(alert, "endsAt");
    let occurred_at = match status {
        SignalStatus::Firing => starts_at,
        SignalStatus::Resolved => ends_at.or(starts_at),
    }
    .unwrap_or(ctx.now);

    let generator_url = opt_str(alert, "generatorURL", path)?;
    let string = |key: &str| {
        alert
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    Ok(Signal {
        source: ctx.source(),
        dedup_key: format!("{}:{}", ctx.id, key),
        status,
        severity: ctx.map_severity(label(severity_label)),
        title: truncate(title, TITLE_MAX),
        summary: annotation("description")
            .or_else(|| annotation("message"))
            .map(str::to_string),
        category: label("category")
            .map(str::to_string)
            .or_else(|| ctx.category.clone()),
        component: label("component")
            .or_else(|| label("service"))
            .map(str::to_string)
            .or_else(|| ctx.component.clone()),
        runbook: label("runbook")
            .or_else(|| annotation("runbook"))
            .map(str::to_string)
            .or_else(|| ctx.runbook.clone()),
        occurred_at,
        details: details([
            (
                "labels",
                Some(serde_json::to_value(&labels).unwrap_or_default()),
            ),
            (
                "annotations",
                Some(serde_json::to_value(&annotations).unwrap_or_default()),
            ),
            ("fingerprint", text(fingerprint)),
            ("starts_at", starts_at.map(|ts| Value::from(ts.to_string()))),
            ("ends_at", ends_at.map(|ts| Value::from(ts.to_string()))),
            (
                "links",
                links([
                    link(generator_url, "Source"),
                    link(external_url, "Alertmanager"),
                    link(annotation("runbook_url"), "Runbook"),
                    link(string("silenceURL"), "Silence"),
                    link(string("dashboardURL"), "Dashboard"),
                    link(string("panelURL"), "Panel"),
                ]),
            ),
            (
                "values",
                alert.get("values").filter(|v| v.is_object()).cloned(),
            ),
        ]),
        // The notification's common labels, then the alert's own (which win), bounded.
        labels: crate::labels::Labels::bounded(
            common_labels
                .iter()
                .chain(labels.iter())
                .map(|(name, value)| (name.clone(), value.clone())),
        ),
    })
}

fn timestamp(alert: &serde_json::Map<String, Value>, key: &str) -> Option<jiff::Timestamp> {
    alert
        .get(key)
        .and_then(Value::as_str)
        .and_then(parse_timestamp)
        .and_then(meaningful)
}

/// String-valued labels or annotations; a non-string value (never sent by Alertmanager) is
/// printed as JSON rather than refusing the whole notification.
fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    let Some(Value::Object(map)) = value else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(key, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.clone(), value)
        })
        .collect()
}

/// A stable key from the sorted label set, for senders that leave out `fingerprint`. The same
/// labels always give the same key (`BTreeMap` iterates in order), which is what dedup needs;
/// FNV-1a keeps it short without a hashing dependency.
fn label_key(labels: &BTreeMap<String, String>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (key, value) in labels {
        // A separator byte that cannot occur in UTF-8 keeps `a=bc` and `ab=c` apart.
        for byte in key.bytes().chain([0xff]).chain(value.bytes()).chain([0xfe]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("labels-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::inbound::{arbitrary_json, test_ctx};

    const KEYS: &[&str] = &[
        "version",
        "4",
        "1",
        "orgId",
        "alerts",
        "status",
        "firing",
        "resolved",
        "labels",
        "annotations",
        "fingerprint",
        "startsAt",
        "endsAt",
        "generatorURL",
        "externalURL",
        "severity",
        "alertname",
        "summary",
        "description",
        "commonLabels",
    ];

    fn notification() -> Value {
        json!({
            "version": "4",
            "groupKey": "{}/{team=\"payments\"}:{alertname=\"HighErrorRate\"}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "tocsin",
            "groupLabels": { "alertname": "HighErrorRate" },
            "commonLabels": { "alertname": "HighErrorRate", "team": "payments" },
            "commonAnnotations": {},
            "externalURL": "https://alertmanager.example.net",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "HighErrorRate",
                        "team": "payments",
                        "severity": "page",
                        "service": "checkout",
                        "category": "payments",
                        "instance": "checkout-7d9f:8080"
                    },
                    "annotations": {
                        "summary": "checkout 5xx ratio above 5% for 10m",
                        "description": "5xx ratio is 7.2% on checkout-7d9f:8080",
                        "runbook_url": "https://runbooks.example.net/checkout-5xx"
                    },
                    "startsAt": "2026-03-01T11:48:30.512Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "https://prometheus.example.net/graph?g0.expr=job%3Acheckout_5xx",
                    "fingerprint": "a3c9f1e2d4b5c6a7"
                },
                {
                    "status": "resolved",
                    "labels": { "alertname": "HighErrorRate", "team": "payments", "severity": "warning", "instance": "checkout-2b1c:8080" },
                    "annotations": { "description": "5xx ratio back under 1%" },
                    "startsAt": "2026-03-01T11:02:00Z",
                    "endsAt": "2026-03-01T11:40:00Z",
                    "generatorURL": "https://prometheus.example.net/graph?g0.expr=job%3Acheckout_5xx",
                    "fingerprint": "0b1c2d3e4f506172"
                }
            ]
        })
    }

    fn run(value: &Value) -> Result<Vec<Signal>, ParseError> {
        run_with(value, &test_ctx("alertmanager"))
    }

    fn run_with(value: &Value, ctx: &IntegrationContext) -> Result<Vec<Signal>, ParseError> {
        let body = serde_json::to_vec(value).unwrap_or_default();
        parse(&body, ctx).map(|items| {
            items
                .into_iter()
                .filter_map(|item| match item {
                    Inbound::Signal(signal) => Some(signal),
                    _ => None,
                })
                .collect()
        })
    }

    #[test]
    fn each_alert_becomes_its_own_signal() {
        let signals = run(&notification()).expect("valid notification");
        assert_eq!(signals.len(), 2);
        let firing = &signals[0];
        assert_eq!(firing.source, "integration:alertmanager");
        assert_eq!(firing.dedup_key, "alertmanager:a3c9f1e2d4b5c6a7");
        assert_eq!(firing.status, SignalStatus::Firing);
        assert_eq!(firing.severity.as_deref(), Some("SEV-1"));
        assert_eq!(firing.title, "checkout 5xx ratio above 5% for 10m");
        assert_eq!(
            firing.summary.as_deref(),
            Some("5xx ratio is 7.2% on checkout-7d9f:8080")
        );
        assert_eq!(firing.category.as_deref(), Some("payments"));
        assert_eq!(
            firing.component.as_deref(),
            Some("checkout"),
            "the `service` label names it"
        );
        assert_eq!(firing.runbook.as_deref(), Some("api-errors"));
        assert_eq!(firing.occurred_at.to_string(), "2026-03-01T11:48:30.512Z");
        assert_eq!(firing.details["labels"]["instance"], "checkout-7d9f:8080");
        assert_eq!(firing.details["fingerprint"], "a3c9f1e2d4b5c6a7");
        assert_eq!(
            firing.details.get("ends_at"),
            None,
            "Go's zero time means unset"
        );
        let links = firing.details["links"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let hrefs: Vec<&str> = links.iter().filter_map(|l| l["href"].as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "https://prometheus.example.net/graph?g0.expr=job%3Acheckout_5xx",
                "https://alertmanager.example.net",
                "https://runbooks.example.net/checkout-5xx",
            ]
        );

        let resolved = &signals[1];
        assert_eq!(resolved.dedup_key, "alertmanager:0b1c2d3e4f506172");
        assert_eq!(resolved.status, SignalStatus::Resolved);
        assert_eq!(
            resolved.title, "HighErrorRate",
            "no summary annotation: the alert name"
        );
        assert_eq!(resolved.severity.as_deref(), Some("SEV-3"));
        assert_eq!(
            resolved.occurred_at.to_string(),
            "2026-03-01T11:40:00Z",
            "resolved at endsAt"
        );
        assert_eq!(
            resolved.component.as_deref(),
            Some("api"),
            "no label: the integration's"
        );
        assert_eq!(resolved.category.as_deref(), Some("backend"));
    }

    #[test]
    fn grafana_payloads_are_accepted() {
        let grafana = json!({
            "receiver": "tocsin",
            "status": "firing",
            "orgId": 1,
            "alerts": [{
                "status": "firing",
                "labels": { "alertname": "Disk almost full", "grafana_folder": "infra", "severity": "critical" },
                "annotations": { "summary": "/var on db-1 is 93% full" },
                "startsAt": "2026-03-01T10:15:00+03:00",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://grafana.example.net/alerting/grafana/fdx1/view",
                "fingerprint": "57c6d9296de2ad39",
                "silenceURL": "https://grafana.example.net/alerting/silence/new?alertmanager=grafana",
                "dashboardURL": "https://grafana.example.net/d/disk",
                "panelURL": "",
                "values": { "B": 93.1, "C": 1 },
                "valueString": "[ var='B' value=93.1 ]"
            }],
            "groupLabels": {},
            "commonLabels": { "alertname": "Disk almost full" },
            "commonAnnotations": {},
            "externalURL": "https://grafana.example.net/",
            "version": "1",
            "groupKey": "{}:{}",
            "truncatedAlerts": 0,
            "title": "[FIRING:1] Disk almost full",
            "state": "alerting",
            "message": "**Firing** …"
        });
        let signals = run(&grafana).expect("grafana payload");
        assert_eq!(signals.len(), 1);
        let signal = &signals[0];
        assert_eq!(signal.dedup_key, "alertmanager:57c6d9296de2ad39");
        assert_eq!(signal.severity.as_deref(), Some("SEV-1"));
        assert_eq!(signal.occurred_at.to_string(), "2026-03-01T07:15:00Z");
        assert_eq!(signal.details["values"]["B"], 93.1);
        let texts: Vec<&str> = signal.details["links"]
            .as_array()
            .map(|links| links.iter().filter_map(|l| l["text"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            texts,
            ["Source", "Alertmanager", "Silence", "Dashboard"],
            "empty panelURL dropped"
        );
    }

    #[test]
    fn an_empty_alert_list_is_no_work() {
        let mut body = notification();
        body["alerts"] = json!([]);
        assert_eq!(run(&body), Ok(vec![]));
    }

    #[test]
    fn the_severity_label_is_configurable() {
        let mut ctx = test_ctx("alertmanager");
        ctx.severity_label = Some("priority".into());
        let mut body = notification();
        body["alerts"][0]["labels"]["priority"] = json!("warning");
        let signals = run_with(&body, &ctx).expect("valid");
        assert_eq!(signals[0].severity.as_deref(), Some("SEV-3"));
        // The second alert has no `priority` label: the integration's default.
        assert_eq!(signals[1].severity.as_deref(), Some("SEV-2"));
    }

    #[test]
    fn a_missing_fingerprint_keys_by_the_sorted_labels() {
        let mut body = notification();
        body["alerts"][0]
            .as_object_mut()
            .map(|alert| alert.remove("fingerprint"));
        let first = run(&body).expect("valid")[0].dedup_key.clone();
        assert!(first.starts_with("alertmanager:labels-"), "{first}");
        // Same labels in another order: same key. Another label value: another key.
        let labels = body["alerts"][0]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let reversed: serde_json::Map<String, Value> = labels.into_iter().rev().collect();
        body["alerts"][0]["labels"] = Value::Object(reversed);
        assert_eq!(run(&body).expect("valid")[0].dedup_key, first);
        body["alerts"][0]["labels"]["instance"] = json!("checkout-0000:8080");
        assert_ne!(run(&body).expect("valid")[0].dedup_key, first);
    }

    #[test]
    fn errors_name_the_field() {
        type Edit = fn(&mut Value);
        let cases: [(Edit, ParseError); 10] = [
            (
                |b| b["version"] = json!("3"),
                ParseError::invalid(
                    "version",
                    "must be \"4\" (Alertmanager webhook v4) or \"1\" with `orgId` (Grafana); got \"3\"",
                ),
            ),
            (
                |b| b["version"] = json!("1"),
                ParseError::invalid(
                    "version",
                    "must be \"4\" (Alertmanager webhook v4) or \"1\" with `orgId` (Grafana); got \"1\"",
                ),
            ),
            (
                |b| b["version"] = json!(4),
                ParseError::invalid("version", "must be a string, e.g. \"4\""),
            ),
            (
                |b| {
                    b.as_object_mut().map(|o| o.remove("version"));
                },
                ParseError::Missing("version".into()),
            ),
            (
                |b| {
                    b.as_object_mut().map(|o| o.remove("alerts"));
                },
                ParseError::Missing("alerts".into()),
            ),
            (
                |b| b["alerts"] = json!({}),
                ParseError::invalid("alerts", "must be an array"),
            ),
            (
                |b| b["alerts"][1] = json!("x"),
                ParseError::invalid("alerts[1]", "must be a JSON object"),
            ),
            (
                |b| b["alerts"][1]["status"] = json!("pending"),
                ParseError::invalid("alerts[1].status", "must be \"firing\" or \"resolved\""),
            ),
            (
                |b| b["alerts"][0]["fingerprint"] = json!(12),
                ParseError::invalid("alerts[0].fingerprint", "must be a string"),
            ),
            (
                |b| {
                    b["alerts"][1].as_object_mut().map(|a| {
                        a.remove("fingerprint");
                        a.remove("labels")
                    });
                },
                ParseError::Missing("alerts[1].fingerprint".into()),
            ),
        ];
        for (edit, expected) in cases {
            let mut body = notification();
            edit(&mut body);
            assert_eq!(run(&body), Err(expected));
        }
        assert!(matches!(
            parse(b"not json", &test_ctx("a")),
            Err(ParseError::Json(_))
        ));
        assert_eq!(
            parse(b"[]", &test_ctx("a")),
            Err(ParseError::invalid("body", "must be a JSON object"))
        );
    }

    #[test]
    fn a_missing_alert_status_falls_back_to_the_group_status() {
        let mut body = notification();
        body["alerts"][0]
            .as_object_mut()
            .map(|alert| alert.remove("status"));
        assert_eq!(run(&body).expect("valid")[0].status, SignalStatus::Firing);
        body.as_object_mut().map(|obj| obj.remove("status"));
        assert_eq!(
            run(&body),
            Err(ParseError::Missing("alerts[0].status".into()))
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&body, &test_ctx("a"));
        }

        #[test]
        fn arbitrary_json_never_panics(body in arbitrary_json(KEYS)) {
            let _ = parse(&serde_json::to_vec(&body).unwrap_or_default(), &test_ctx("a"));
        }
    }
}
