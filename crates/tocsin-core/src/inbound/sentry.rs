//! Sentry integration-platform webhooks: issue alerts, metric alerts and issue resolutions become
//! signals; every other resource is accepted and ignored.
//!
//! Keys: an issue alert and the later `issue` resolution share `<id>:issue:<issue id>`, so resolving
//! the issue in Sentry resolves the tocsin alert. A metric alert is `<id>:metric_alert:<incident
//! id>`: Sentry's metric incident goes critical → warning → resolved under one id.

use serde_json::Value;

use super::{
    Inbound, IntegrationContext, ParseError, TITLE_MAX, as_object, details, link, links, lookup_id,
    lookup_str, meaningful, opt_object, opt_str, parse_json, parse_timestamp, req_object, text,
    truncate, unix_seconds, verify_hex_hmac,
};
use crate::signal::{Signal, SignalStatus};

/// Checks `Sentry-Hook-Signature`: the hex HMAC-SHA256 of the raw body under the integration's
/// client secret, compared in constant time. A missing header fails.
pub fn verify_signature(secret: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    header.is_some_and(|hex| verify_hex_hmac(secret, hex, body))
}

/// How far `Sentry-Hook-Timestamp` may be from the receiving time, either way, in seconds.
pub const TIMESTAMP_TOLERANCE_SECONDS: i64 = 300;

/// Why a Sentry request was refused; `Display` says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the Sentry-Hook-Signature header does not match the body and the client secret")]
    BadSignature,
    #[error("the Sentry-Hook-Timestamp header is missing")]
    MissingTimestamp,
    #[error("the Sentry-Hook-Timestamp header is not Unix seconds")]
    BadTimestamp,
    #[error(
        "the Sentry-Hook-Timestamp header is {skew_seconds} s from the server's clock; at most {TIMESTAMP_TOLERANCE_SECONDS} s is accepted (is the server's clock right, or is this a replay?)"
    )]
    StaleTimestamp { skew_seconds: i64 },
}

/// Verifies a Sentry request: its signature, then that `Sentry-Hook-Timestamp` is within
/// [`TIMESTAMP_TOLERANCE_SECONDS`] of `now` (the receiving time: core reads no clock), so a
/// request captured and sent again later is refused. Sentry signs the body only, not the
/// timestamp; the window bounds replays of requests as they were sent, and a replayed alert
/// within it joins the incident its key already opened.
pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: jiff::Timestamp,
) -> Result<(), VerifyError> {
    if !verify_signature(secret, signature, body) {
        return Err(VerifyError::BadSignature);
    }
    let timestamp = timestamp
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or(VerifyError::MissingTimestamp)?;
    // Whole seconds, or seconds with a fraction.
    let whole = timestamp
        .split_once('.')
        .map_or(timestamp, |(whole, fraction)| {
            if fraction.bytes().all(|b| b.is_ascii_digit()) {
                whole
            } else {
                ""
            }
        });
    let seconds: i64 = whole.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let skew_seconds = seconds.saturating_sub(now.as_second());
    if skew_seconds.saturating_abs() > TIMESTAMP_TOLERANCE_SECONDS {
        return Err(VerifyError::StaleTimestamp { skew_seconds });
    }
    Ok(())
}

/// Parses a webhook by its `Sentry-Hook-Resource` header. Without the header the resource is
/// inferred from which `data` member is present, so a hand-replayed body still works.
pub fn parse(
    resource: Option<&str>,
    body: &[u8],
    ctx: &IntegrationContext,
) -> Result<Vec<Inbound>, ParseError> {
    let value = parse_json(body)?;
    let obj = as_object(&value, "body")?;
    let data = opt_object(obj, "data", "")?;
    let resource = match resource.map(str::trim).filter(|r| !r.is_empty()) {
        Some(resource) => resource,
        None => match data {
            Some(data) if data.contains_key("metric_alert") => "metric_alert",
            Some(data) if data.contains_key("event") => "event_alert",
            Some(data) if data.contains_key("issue") => "issue",
            _ => return Err(ParseError::Missing("Sentry-Hook-Resource header".into())),
        },
    };
    let action = opt_str(obj, "action", "")?;
    match resource {
        "event_alert" => {
            match action {
                Some("triggered") => {}
                None => return Err(ParseError::Missing("action".into())),
                Some(_) => {
                    return Err(ParseError::invalid(
                        "action",
                        "must be \"triggered\" for an issue alert",
                    ));
                }
            }
            let data = data.ok_or_else(|| ParseError::Missing("data".into()))?;
            Ok(vec![Inbound::Signal(issue_alert(data, ctx)?)])
        }
        "metric_alert" => {
            let status = match action {
                Some("critical" | "warning") => SignalStatus::Firing,
                Some("resolved") => SignalStatus::Resolved,
                None => return Err(ParseError::Missing("action".into())),
                Some(_) => {
                    return Err(ParseError::invalid(
                        "action",
                        "must be \"critical\", \"warning\" or \"resolved\" for a metric alert",
                    ));
                }
            };
            let data = data.ok_or_else(|| ParseError::Missing("data".into()))?;
            Ok(vec![Inbound::Signal(metric_alert(
                data, status, action, ctx,
            )?)])
        }
        // Created, assigned, archived and unresolved issues are not alerts: only an issue alert
        // rule decides what pages. A resolution closes what such a rule opened.
        "issue" if action == Some("resolved") => {
            let data = data.ok_or_else(|| ParseError::Missing("data".into()))?;
            Ok(vec![Inbound::Signal(issue_resolved(data, ctx)?)])
        }
        // `installation`, `issue` (other actions), `comment`, `error`, `seer`, …: accepted so
        // Sentry keeps the subscription, with nothing to do.
        _ => Ok(Vec::new()),
    }
}

type Object = serde_json::Map<String, Value>;

fn issue_alert(data: &Object, ctx: &IntegrationContext) -> Result<Signal, ParseError> {
    let event = req_object(data, "event", "data")?;
    let event_value = Value::Object(event.clone());
    // The issue id groups every event of one error; the event id is the fallback for an event
    // Sentry did not group (it still needs a stable key for its own repeats).
    let key = match lookup_id(&event_value, &["issue_id"]) {
        Some(issue_id) => format!("issue:{issue_id}"),
        None => match lookup_id(&event_value, &["event_id"]) {
            Some(event_id) => format!("event:{event_id}"),
            None => return Err(ParseError::Missing("data.event.issue_id".into())),
        },
    };
    let title = opt_str(event, "title", "data.event")?
        .or_else(|| lookup_str(&event_value, &["metadata", "title"]))
        .or(opt_str(event, "message", "data.event")?)
        .ok_or_else(|| ParseError::Missing("data.event.title".into()))?;
    let level = opt_str(event, "level", "data.event")?;
    let rule = opt_str(data, "triggered_rule", "data")?;
    let culprit = opt_str(event, "culprit", "data.event")?;
    let mut lines = Vec::new();
    if truncate(title, TITLE_MAX) != title {
        lines.push(title.to_string());
    }
    if let Some(culprit) = culprit {
        lines.push(format!("Culprit: {culprit}"));
    }
    if let Some(rule) = rule {
        lines.push(format!("Alert rule: {rule}"));
    }
    let occurred_at = opt_str(event, "datetime", "data.event")?
        .and_then(parse_timestamp)
        .and_then(meaningful)
        .or_else(|| event.get("timestamp").and_then(unix_seconds))
        .unwrap_or(ctx.now);
    let web_url = opt_str(event, "web_url", "data.event")?;
    Ok(Signal {
        labels: crate::labels::Labels::bounded(crate::labels::from_tag_pairs(event.get("tags"))),
        source: ctx.source(),
        dedup_key: format!("{}:{}", ctx.id, key),
        status: SignalStatus::Firing,
        severity: ctx.map_severity(level),
        title: truncate(title, TITLE_MAX),
        summary: (!lines.is_empty()).then(|| lines.join("\n")),
        category: ctx.category.clone(),
        component: ctx.component.clone(),
        runbook: ctx.runbook.clone(),
        occurred_at,
        details: details([
            ("web_url", text(web_url)),
            (
                "issue_id",
                lookup_id(&event_value, &["issue_id"]).map(Value::from),
            ),
            (
                "event_id",
                lookup_id(&event_value, &["event_id"]).map(Value::from),
            ),
            ("level", text(level)),
            ("culprit", text(culprit)),
            ("platform", text(lookup_str(&event_value, &["platform"]))),
            ("triggered_rule", text(rule)),
            (
                "links",
                links([
                    link(web_url, "Sentry event"),
                    link(
                        lookup_str(&event_value, &["issue_url"]),
                        "Sentry issue (API)",
                    ),
                ]),
            ),
        ]),
    })
}

fn metric_alert(
    data: &Object,
    status: SignalStatus,
    action: Option<&str>,
    ctx: &IntegrationContext,
) -> Result<Signal, ParseError> {
    let incident = req_object(data, "metric_alert", "data")?;
    let incident_value = Value::Object(incident.clone());
    let id = lookup_id(&incident_value, &["id"])
        .ok_or_else(|| ParseError::Missing("data.metric_alert.id".into()))?;
    let rule_name = lookup_str(&incident_value, &["alert_rule", "name"]);
    let title = opt_str(data, "description_title", "data")?
        .or(rule_name)
        .or_else(|| lookup_str(&incident_value, &["title"]))
        .map(str::to_string)
        .unwrap_or_else(|| format!("Sentry metric alert {id}"));
    let occurred_at = match status {
        SignalStatus::Firing => lookup_str(&incident_value, &["date_started"])
            .or_else(|| lookup_str(&incident_value, &["date_detected"])),
        SignalStatus::Resolved => lookup_str(&incident_value, &["date_closed"]),
    }
    .and_then(parse_timestamp)
    .and_then(meaningful)
    .unwrap_or(ctx.now);
    let web_url = opt_str(data, "web_url", "data")?;
    Ok(Signal {
        labels: Default::default(),
        source: ctx.source(),
        dedup_key: format!("{}:metric_alert:{}", ctx.id, id),
        status,
        // The action word is the trigger's level: `critical` and `warning` map like any other
        // severity word; `resolved` maps to the integration's default, unused once resolved.
        severity: ctx.map_severity(action.filter(|word| *word != "resolved")),
        title: truncate(&title, TITLE_MAX),
        summary: opt_str(data, "description_text", "data")?.map(str::to_string),
        category: ctx.category.clone(),
        component: ctx.component.clone(),
        runbook: ctx.runbook.clone(),
        occurred_at,
        details: details([
            ("web_url", text(web_url)),
            ("metric_alert_id", Some(Value::from(id.clone()))),
            ("alert_rule", text(rule_name)),
            (
                "alert_rule_id",
                lookup_id(&incident_value, &["alert_rule", "id"]).map(Value::from),
            ),
            (
                "query",
                text(lookup_str(&incident_value, &["alert_rule", "query"])),
            ),
            (
                "aggregate",
                text(lookup_str(&incident_value, &["alert_rule", "aggregate"])),
            ),
            ("action", text(action)),
            ("links", links([link(web_url, "Sentry alert")])),
        ]),
    })
}

fn issue_resolved(data: &Object, ctx: &IntegrationContext) -> Result<Signal, ParseError> {
    let issue = req_object(data, "issue", "data")?;
    let issue_value = Value::Object(issue.clone());
    let id = lookup_id(&issue_value, &["id"])
        .ok_or_else(|| ParseError::Missing("data.issue.id".into()))?;
    let title = opt_str(issue, "title", "data.issue")?
        .map(str::to_string)
        .unwrap_or_else(|| format!("Sentry issue {id}"));
    let web_url =
        opt_str(issue, "web_url", "data.issue")?.or(opt_str(issue, "permalink", "data.issue")?);
    Ok(Signal {
        labels: Default::default(),
        source: ctx.source(),
        dedup_key: format!("{}:issue:{}", ctx.id, id),
        status: SignalStatus::Resolved,
        severity: ctx.map_severity(opt_str(issue, "level", "data.issue")?),
        title: truncate(&title, TITLE_MAX),
        summary: None,
        category: ctx.category.clone(),
        component: ctx.component.clone(),
        runbook: ctx.runbook.clone(),
        occurred_at: ctx.now,
        details: details([
            ("web_url", text(web_url)),
            ("issue_id", Some(Value::from(id.clone()))),
            ("short_id", text(lookup_str(&issue_value, &["shortId"]))),
            (
                "status_details",
                issue
                    .get("statusDetails")
                    .filter(|v| v.is_object())
                    .cloned(),
            ),
            ("links", links([link(web_url, "Sentry issue")])),
        ]),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::inbound::{arbitrary_json, test_ctx};

    const KEYS: &[&str] = &[
        "action",
        "data",
        "event",
        "issue_id",
        "event_id",
        "title",
        "level",
        "web_url",
        "metric_alert",
        "id",
        "alert_rule",
        "issue",
        "triggered",
        "critical",
        "warning",
        "resolved",
        "description_title",
        "description_text",
        "datetime",
        "timestamp",
    ];

    fn signals(resource: Option<&str>, value: &Value) -> Result<Vec<Signal>, ParseError> {
        let body = serde_json::to_vec(value).unwrap_or_default();
        parse(resource, &body, &test_ctx("sentry")).map(|items| {
            items
                .into_iter()
                .filter_map(|item| match item {
                    Inbound::Signal(signal) => Some(signal),
                    _ => None,
                })
                .collect()
        })
    }

    fn issue_alert_body() -> Value {
        json!({
            "action": "triggered",
            "actor": { "id": "sentry", "name": "Sentry", "type": "application" },
            "data": {
                "event": {
                    "event_id": "b7e2f0c41d9a4e6f8a3b5c7d9e1f2a4b",
                    "issue_id": "4521873",
                    "issue_url": "https://sentry.io/api/0/issues/4521873/",
                    "url": "https://sentry.io/api/0/projects/acme/checkout-web/events/b7e2f0c41d9a4e6f8a3b5c7d9e1f2a4b/",
                    "web_url": "https://acme.sentry.io/issues/4521873/events/b7e2f0c41d9a4e6f8a3b5c7d9e1f2a4b/",
                    "title": "TypeError: Cannot read properties of undefined (reading 'total')",
                    "culprit": "app/checkout/summary.tsx in CartSummary",
                    "level": "error",
                    "platform": "javascript",
                    "datetime": "2026-03-01T11:57:12.404000Z",
                    "timestamp": 1_772_366_232.404,
                    "metadata": { "type": "TypeError", "value": "Cannot read properties of undefined (reading 'total')" },
                    "tags": [["environment", "production"], ["level", "error"]]
                },
                "triggered_rule": "Checkout errors > 50 in 5m",
                "issue_alert": { "title": "Checkout errors > 50 in 5m", "settings": [] }
            },
            "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" }
        })
    }

    fn metric_alert_body(action: &str) -> Value {
        json!({
            "action": action,
            "actor": { "id": "sentry", "name": "Sentry", "type": "application" },
            "data": {
                "description_text": "1204 events in the last 10 minutes\nFilter: level:error",
                "description_title": "Critical: Checkout error volume",
                "metric_alert": {
                    "id": "88314",
                    "identifier": "412",
                    "title": "Checkout error volume",
                    "status": 2,
                    "date_started": "2026-03-01T11:50:00.000000Z",
                    "date_detected": "2026-03-01T11:51:00.000000Z",
                    "date_closed": if action == "resolved" { json!("2026-03-01T12:30:00.000000Z") } else { Value::Null },
                    "alert_rule": {
                        "id": "231",
                        "name": "Checkout error volume",
                        "aggregate": "count()",
                        "query": "level:error transaction:/checkout*",
                        "time_window": 10,
                        "triggers": []
                    }
                },
                "web_url": "https://acme.sentry.io/alerts/rules/details/231/"
            },
            "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" }
        })
    }

    #[test]
    fn an_issue_alert_fires_keyed_by_the_issue() {
        let signals = signals(Some("event_alert"), &issue_alert_body()).expect("valid");
        assert_eq!(signals.len(), 1);
        let signal = &signals[0];
        assert_eq!(signal.source, "integration:sentry");
        assert_eq!(signal.dedup_key, "sentry:issue:4521873");
        assert_eq!(signal.status, SignalStatus::Firing);
        assert_eq!(signal.severity.as_deref(), Some("SEV-2"));
        assert_eq!(
            signal.title,
            "TypeError: Cannot read properties of undefined (reading 'total')"
        );
        assert_eq!(
            signal.summary.as_deref(),
            Some(
                "Culprit: app/checkout/summary.tsx in CartSummary\nAlert rule: Checkout errors > 50 in 5m"
            )
        );
        assert_eq!(signal.occurred_at.to_string(), "2026-03-01T11:57:12.404Z");
        assert_eq!(
            signal.details["web_url"],
            "https://acme.sentry.io/issues/4521873/events/b7e2f0c41d9a4e6f8a3b5c7d9e1f2a4b/"
        );
        assert_eq!(signal.details["links"][0]["text"], "Sentry event");
        assert_eq!(
            (signal.component.as_deref(), signal.runbook.as_deref()),
            (Some("api"), Some("api-errors"))
        );
    }

    #[test]
    fn an_issue_alert_without_issue_id_keys_by_event_and_falls_back_on_timestamps() {
        let mut body = issue_alert_body();
        if let Some(event) = body["data"]["event"].as_object_mut() {
            event.remove("issue_id");
            event.remove("datetime");
            event.insert("level".into(), json!("fatal"));
        }
        let signal = signals(Some("event_alert"), &body)
            .expect("valid")
            .remove(0);
        assert_eq!(
            signal.dedup_key,
            "sentry:event:b7e2f0c41d9a4e6f8a3b5c7d9e1f2a4b"
        );
        assert_eq!(
            signal.occurred_at.to_string(),
            "2026-03-01T11:57:12.404Z",
            "from `timestamp`"
        );
        assert_eq!(
            signal.severity.as_deref(),
            Some("SEV-2"),
            "`fatal` is unmapped: the default"
        );
    }

    #[test]
    fn metric_alerts_fire_and_resolve_under_one_key() {
        let critical = signals(Some("metric_alert"), &metric_alert_body("critical"))
            .expect("valid")
            .remove(0);
        assert_eq!(critical.dedup_key, "sentry:metric_alert:88314");
        assert_eq!(critical.status, SignalStatus::Firing);
        assert_eq!(critical.severity.as_deref(), Some("SEV-1"));
        assert_eq!(critical.title, "Critical: Checkout error volume");
        assert_eq!(
            critical.summary.as_deref(),
            Some("1204 events in the last 10 minutes\nFilter: level:error")
        );
        assert_eq!(critical.occurred_at.to_string(), "2026-03-01T11:50:00Z");
        assert_eq!(
            critical.details["web_url"],
            "https://acme.sentry.io/alerts/rules/details/231/"
        );
        assert_eq!(critical.details["alert_rule"], "Checkout error volume");

        let warning = signals(Some("metric_alert"), &metric_alert_body("warning"))
            .expect("valid")
            .remove(0);
        assert_eq!(
            (warning.status, warning.severity.as_deref()),
            (SignalStatus::Firing, Some("SEV-3"))
        );

        let resolved = signals(Some("metric_alert"), &metric_alert_body("resolved"))
            .expect("valid")
            .remove(0);
        assert_eq!(resolved.dedup_key, critical.dedup_key);
        assert_eq!(resolved.status, SignalStatus::Resolved);
        assert_eq!(resolved.occurred_at.to_string(), "2026-03-01T12:30:00Z");
    }

    #[test]
    fn resolving_the_issue_resolves_its_alert() {
        let body = json!({
            "action": "resolved",
            "actor": { "id": 1, "name": "Lina", "type": "user" },
            "data": {
                "issue": {
                    "id": "4521873",
                    "shortId": "CHECKOUT-WEB-3K",
                    "title": "TypeError: Cannot read properties of undefined (reading 'total')",
                    "level": "error",
                    "status": "resolved",
                    "statusDetails": { "inRelease": "checkout-web@2.31.1" },
                    "web_url": "https://acme.sentry.io/issues/4521873/",
                    "url": "https://sentry.io/api/0/organizations/acme/issues/4521873/"
                }
            },
            "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" }
        });
        let signal = signals(Some("issue"), &body).expect("valid").remove(0);
        assert_eq!(
            signal.dedup_key, "sentry:issue:4521873",
            "the issue alert's key"
        );
        assert_eq!(signal.status, SignalStatus::Resolved);
        assert_eq!(signal.details["short_id"], "CHECKOUT-WEB-3K");
        assert_eq!(
            signal.details["status_details"]["inRelease"],
            "checkout-web@2.31.1"
        );

        let mut created = body.clone();
        created["action"] = json!("created");
        assert_eq!(
            signals(Some("issue"), &created),
            Ok(vec![]),
            "a new issue is not an alert"
        );
    }

    #[test]
    fn other_resources_are_accepted_with_nothing_to_do() {
        let installation = json!({
            "action": "created",
            "data": { "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9", "status": "installed" } },
            "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" }
        });
        for resource in ["installation", "comment", "error", "seer"] {
            assert_eq!(
                signals(Some(resource), &installation),
                Ok(vec![]),
                "{resource}"
            );
        }
    }

    #[test]
    fn the_resource_is_inferred_when_the_header_is_missing() {
        assert_eq!(
            signals(None, &issue_alert_body()).expect("valid")[0].dedup_key,
            "sentry:issue:4521873"
        );
        assert_eq!(
            signals(None, &metric_alert_body("critical")).expect("valid")[0].dedup_key,
            "sentry:metric_alert:88314"
        );
        assert_eq!(
            signals(None, &json!({ "action": "created" })),
            Err(ParseError::Missing("Sentry-Hook-Resource header".into()))
        );
    }

    #[test]
    fn errors_name_the_field() {
        let mut no_issue = issue_alert_body();
        if let Some(event) = no_issue["data"]["event"].as_object_mut() {
            event.remove("issue_id");
            event.remove("event_id");
        }
        let mut no_title = issue_alert_body();
        no_title["data"]["event"]
            .as_object_mut()
            .map(|e| e.remove("title"));
        let mut bad_action = issue_alert_body();
        bad_action["action"] = json!("dismissed");
        let mut no_id = metric_alert_body("critical");
        no_id["data"]["metric_alert"]
            .as_object_mut()
            .map(|m| m.remove("id"));
        let cases: [(&str, Value, ParseError); 8] = [
            (
                "event_alert",
                no_issue,
                ParseError::Missing("data.event.issue_id".into()),
            ),
            (
                "event_alert",
                no_title,
                ParseError::Missing("data.event.title".into()),
            ),
            (
                "event_alert",
                bad_action,
                ParseError::invalid("action", "must be \"triggered\" for an issue alert"),
            ),
            (
                "event_alert",
                json!({ "action": "triggered" }),
                ParseError::Missing("data".into()),
            ),
            (
                "event_alert",
                json!({ "action": "triggered", "data": { "event": 5 } }),
                ParseError::invalid("data.event", "must be a JSON object"),
            ),
            (
                "metric_alert",
                no_id,
                ParseError::Missing("data.metric_alert.id".into()),
            ),
            (
                "metric_alert",
                metric_alert_body("paused"),
                ParseError::invalid(
                    "action",
                    "must be \"critical\", \"warning\" or \"resolved\" for a metric alert",
                ),
            ),
            (
                "issue",
                json!({ "action": "resolved", "data": { "issue": {} } }),
                ParseError::Missing("data.issue.id".into()),
            ),
        ];
        for (resource, body, expected) in cases {
            assert_eq!(signals(Some(resource), &body), Err(expected));
        }
    }

    #[test]
    fn signatures_are_hex_hmac_sha256_of_the_body() {
        // Expected value computed independently:
        // printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"
        let secret = b"9f1c2e8b7a6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
        let body = br#"{"action":"triggered","installation":{"uuid":"7a485448-a9e2-4c85-8a3c-4f44175783c9"},"data":{"event":{"issue_id":"4521873","title":"TypeError: Cannot read properties of undefined"}}}"#;
        let good = "b94035777eea4c892b6fee4827b9574e086d2420b9c5ba67e0677cb9eb4e6d01";
        assert!(verify_signature(secret, Some(good), body));
        assert!(verify_signature(secret, Some(&good.to_uppercase()), body));
        assert!(!verify_signature(secret, None, body));
        assert!(!verify_signature(secret, Some(""), body));
        assert!(!verify_signature(secret, Some(&good[..62]), body));
        assert!(!verify_signature(b"another secret", Some(good), body));
        let mut tampered = body.to_vec();
        tampered[20] ^= 1;
        assert!(!verify_signature(secret, Some(good), &tampered));
    }

    #[test]
    fn a_request_outside_five_minutes_of_now_is_refused_as_a_possible_replay() {
        let secret = b"9f1c2e8b7a6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
        let body = br#"{"action":"triggered","installation":{"uuid":"7a485448-a9e2-4c85-8a3c-4f44175783c9"},"data":{"event":{"issue_id":"4521873","title":"TypeError: Cannot read properties of undefined"}}}"#;
        let good = Some("b94035777eea4c892b6fee4827b9574e086d2420b9c5ba67e0677cb9eb4e6d01");
        let now = jiff::Timestamp::from_second(1_800_000_000).expect("time");
        let at = |seconds: i64| (1_800_000_000 + seconds).to_string();
        assert_eq!(verify(secret, good, Some(&at(0)), body, now), Ok(()));
        assert_eq!(verify(secret, good, Some(&at(-300)), body, now), Ok(()));
        assert_eq!(verify(secret, good, Some(&at(300)), body, now), Ok(()));
        assert_eq!(
            verify(secret, good, Some("1800000000.123456"), body, now),
            Ok(())
        );
        assert_eq!(
            verify(secret, good, Some(&at(-301)), body, now),
            Err(VerifyError::StaleTimestamp { skew_seconds: -301 })
        );
        assert_eq!(
            verify(secret, good, Some(&at(3600)), body, now),
            Err(VerifyError::StaleTimestamp { skew_seconds: 3600 })
        );
        assert_eq!(
            verify(secret, good, None, body, now),
            Err(VerifyError::MissingTimestamp)
        );
        assert_eq!(
            verify(secret, good, Some("yesterday"), body, now),
            Err(VerifyError::BadTimestamp)
        );
        assert_eq!(
            verify(secret, None, Some(&at(0)), body, now),
            Err(VerifyError::BadSignature)
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            resource in proptest::option::of(prop_oneof![Just("event_alert".to_string()), Just("metric_alert".to_string()), ".{0,12}"]),
        ) {
            let _ = parse(resource.as_deref(), &body, &test_ctx("s"));
            let _ = verify_signature(b"k", resource.as_deref(), &body);
        }

        #[test]
        fn arbitrary_json_never_panics(
            body in arbitrary_json(KEYS),
            resource in proptest::option::of(prop_oneof![Just("event_alert"), Just("metric_alert"), Just("issue")]),
        ) {
            let _ = parse(resource, &serde_json::to_vec(&body).unwrap_or_default(), &test_ctx("s"));
        }
    }
}
