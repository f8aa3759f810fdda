//! UptimeRobot webhook alert contacts: a monitor going down fires, coming back up resolves.
//!
//! UptimeRobot has no fixed body: the user writes a template with `*monitorID*`-style variables
//! and picks JSON, form or plain query-string delivery. So the fields are gathered from wherever
//! they came (the query string first, the body overriding), and a field name is accepted with or
//! without the asterisks users often leave around the name itself.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    Inbound, IntegrationContext, ParseError, TITLE_MAX, details, link, links, parse_json, text,
    truncate, unix_seconds,
};
use crate::signal::{Signal, SignalStatus};

/// Parses one notification from a JSON body, a form body or the query string.
pub fn parse(
    body: &[u8],
    content_type: Option<&str>,
    query: Option<&str>,
    ctx: &IntegrationContext,
) -> Result<Vec<Inbound>, ParseError> {
    let mut fields = BTreeMap::new();
    if let Some(query) = query {
        collect_form(query.trim_start_matches('?').as_bytes(), &mut fields);
    }
    collect_body(body, content_type, &mut fields)?;
    Ok(vec![Inbound::Signal(signal(&fields, ctx)?)])
}

/// Body fields by content type; without one, a body starting with `{` is JSON and anything else
/// non-empty is a form.
fn collect_body(
    body: &[u8],
    content_type: Option<&str>,
    fields: &mut BTreeMap<String, String>,
) -> Result<(), ParseError> {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase());
    let trimmed = body.trim_ascii();
    let is_json = match media.as_deref() {
        Some(media) if media == "application/json" || media.ends_with("+json") => true,
        Some("application/x-www-form-urlencoded") => false,
        _ => trimmed.starts_with(b"{"),
    };
    if trimmed.is_empty() {
        return Ok(());
    }
    if !is_json {
        collect_form(trimmed, fields);
        return Ok(());
    }
    let value = parse_json(trimmed)?;
    let Value::Object(map) = value else {
        return Err(ParseError::invalid(
            "body",
            "must be a JSON object of UptimeRobot's alert variables",
        ));
    };
    for (key, value) in map {
        let value = match value {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            // Nested values are not UptimeRobot variables; ignore rather than refuse.
            _ => continue,
        };
        fields.insert(normalize(&key), value);
    }
    Ok(())
}

fn collect_form(bytes: &[u8], fields: &mut BTreeMap<String, String>) {
    for (key, value) in form_urlencoded::parse(bytes) {
        fields.insert(normalize(&key), value.into_owned());
    }
}

/// `*monitorID*` → `monitorID`; `monitorid` stays as sent and is matched case-insensitively.
fn normalize(key: &str) -> String {
    key.trim().trim_matches('*').trim().to_string()
}

fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .or_else(|| {
            fields
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .map(|value| value.trim())
        // A variable UptimeRobot did not fill in arrives as its own `*name*`; treat it as absent.
        .filter(|value| !value.is_empty() && !is_placeholder(value))
}

fn is_placeholder(value: &str) -> bool {
    value.starts_with('*') && value.ends_with('*')
}

fn signal(
    fields: &BTreeMap<String, String>,
    ctx: &IntegrationContext,
) -> Result<Signal, ParseError> {
    let monitor_id =
        field(fields, "monitorID").ok_or_else(|| ParseError::Missing("monitorID".into()))?;
    let alert_type =
        field(fields, "alertType").ok_or_else(|| ParseError::Missing("alertType".into()))?;
    // 1 = down, 2 = up. UptimeRobot also sends 3 for SSL expiry, which is not an outage.
    let status = match alert_type {
        "1" => SignalStatus::Firing,
        "2" => SignalStatus::Resolved,
        other => {
            return Err(ParseError::invalid(
                "alertType",
                format!("must be 1 (down) or 2 (up); got {other:?}"),
            ));
        }
    };
    let url = field(fields, "monitorURL");
    let name = field(fields, "monitorFriendlyName")
        .or(url)
        .unwrap_or(monitor_id);
    let title = match status {
        SignalStatus::Firing => format!("{name} is down"),
        SignalStatus::Resolved => format!("{name} is up"),
    };
    let alert_details = field(fields, "alertDetails");
    let occurred_at = field(fields, "alertDateTime")
        .and_then(|seconds| unix_seconds(&Value::from(seconds)))
        .unwrap_or(ctx.now);
    Ok(Signal {
        labels: crate::labels::Labels::bounded([("monitor", monitor_id)]),
        source: ctx.source(),
        dedup_key: format!("{}:{}", ctx.id, monitor_id),
        status,
        // UptimeRobot has no severity; `down` lets an integration map one, else its default.
        severity: ctx.map_severity(Some("down")),
        title: truncate(&title, TITLE_MAX),
        summary: alert_details.map(str::to_string),
        category: ctx.category.clone(),
        component: ctx.component.clone(),
        runbook: ctx.runbook.clone(),
        occurred_at,
        details: details([
            ("monitor_id", text(Some(monitor_id))),
            ("monitor_url", text(url)),
            ("monitor_name", text(field(fields, "monitorFriendlyName"))),
            ("alert_type", text(Some(alert_type))),
            (
                "alert_type_name",
                text(field(fields, "alertTypeFriendlyName")),
            ),
            ("alert_details", text(alert_details)),
            // Seconds the monitor was down (on an "up" alert) or up (on a "down" alert).
            ("alert_duration", text(field(fields, "alertDuration"))),
            ("alert_datetime", text(field(fields, "alertDateTime"))),
            ("links", links([link(url, "Monitored URL")])),
        ]),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::inbound::test_ctx;

    fn one(
        body: &[u8],
        content_type: Option<&str>,
        query: Option<&str>,
    ) -> Result<Signal, ParseError> {
        let mut items = parse(body, content_type, query, &test_ctx("uptimerobot"))?;
        match items.pop() {
            Some(Inbound::Signal(signal)) if items.is_empty() => Ok(signal),
            other => panic!("expected one signal, got {other:?}"),
        }
    }

    const JSON_DOWN: &[u8] = br#"{
        "monitorID": "797214563",
        "monitorURL": "https://checkout.acme.example/healthz",
        "monitorFriendlyName": "Checkout",
        "alertType": "1",
        "alertTypeFriendlyName": "Down",
        "alertDetails": "Connection Timeout",
        "alertDuration": "0",
        "alertDateTime": "1772366400",
        "monitorAlertContacts": "7711;2;https://tocsin.example/hooks/uptimerobot"
    }"#;

    #[test]
    fn a_down_alert_in_json_fires() {
        let signal = one(JSON_DOWN, Some("application/json"), Some("token=s3cret")).expect("valid");
        assert_eq!(signal.source, "integration:uptimerobot");
        assert_eq!(signal.dedup_key, "uptimerobot:797214563");
        assert_eq!(signal.status, SignalStatus::Firing);
        assert_eq!(signal.title, "Checkout is down");
        assert_eq!(signal.summary.as_deref(), Some("Connection Timeout"));
        assert_eq!(
            signal.severity.as_deref(),
            Some("SEV-2"),
            "no severity word: the default"
        );
        assert_eq!(signal.occurred_at.to_string(), "2026-03-01T12:00:00Z");
        assert_eq!(
            signal.details["monitor_url"],
            "https://checkout.acme.example/healthz"
        );
        assert_eq!(signal.details["alert_type_name"], "Down");
        assert_eq!(
            signal.details["links"][0]["href"],
            "https://checkout.acme.example/healthz"
        );
        assert!(
            !signal.details.to_string().contains("s3cret"),
            "the URL token is not kept"
        );
        assert_eq!(
            (signal.category.as_deref(), signal.component.as_deref()),
            (Some("backend"), Some("api"))
        );
    }

    #[test]
    fn an_up_alert_in_a_form_resolves() {
        let form = b"monitorID=797214563&monitorURL=https%3A%2F%2Fcheckout.acme.example%2Fhealthz\
&monitorFriendlyName=Checkout+API&alertType=2&alertTypeFriendlyName=Up&alertDetails=HTTP+200+-+OK\
&alertDuration=1260&alertDateTime=1772367660";
        let signal = one(
            form,
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            None,
        )
        .expect("valid");
        assert_eq!(signal.dedup_key, "uptimerobot:797214563");
        assert_eq!(signal.status, SignalStatus::Resolved);
        assert_eq!(signal.title, "Checkout API is up");
        assert_eq!(signal.summary.as_deref(), Some("HTTP 200 - OK"));
        assert_eq!(signal.details["alert_duration"], "1260");
        assert_eq!(signal.occurred_at.to_string(), "2026-03-01T12:21:00Z");
    }

    #[test]
    fn the_query_string_alone_is_enough() {
        let query = "token=s3cret&monitorID=797214563&monitorURL=https%3A%2F%2Fcheckout.acme.example\
&monitorFriendlyName=Checkout&alertType=1&alertDetails=Keyword+not+found&alertDateTime=1772366400";
        let signal = one(b"", None, Some(query)).expect("valid");
        assert_eq!(signal.status, SignalStatus::Firing);
        assert_eq!(signal.summary.as_deref(), Some("Keyword not found"));
        // A leading `?` is tolerated too.
        assert_eq!(one(b"", None, Some(&format!("?{query}"))), Ok(signal));
    }

    #[test]
    fn names_with_asterisks_numbers_and_odd_case_are_accepted() {
        let body =
            br#"{"*monitorID*": 797214563, "*monitorFriendlyName*": "Checkout", "alerttype": 1,
            "*alertDetails*": "Connection Timeout"}"#;
        let signal = one(body, None, None).expect("valid");
        assert_eq!(signal.dedup_key, "uptimerobot:797214563");
        assert_eq!(signal.title, "Checkout is down");
        assert_eq!(
            signal.occurred_at,
            test_ctx("u").now,
            "no alertDateTime: now"
        );
    }

    #[test]
    fn the_body_overrides_the_query() {
        let signal = one(JSON_DOWN, None, Some("monitorID=1&alertType=2")).expect("valid");
        assert_eq!(
            (signal.dedup_key.as_str(), signal.status),
            ("uptimerobot:797214563", SignalStatus::Firing)
        );
    }

    #[test]
    fn a_name_falls_back_to_the_url_then_the_id() {
        let signal = one(
            b"monitorID=5&alertType=1&monitorURL=https%3A%2F%2Fa.example",
            None,
            None,
        )
        .expect("valid");
        assert_eq!(signal.title, "https://a.example is down");
        // A variable UptimeRobot left unfilled arrives as its own name: treated as absent.
        let signal = one(
            b"monitorID=5&alertType=1&monitorFriendlyName=*monitorFriendlyName*",
            None,
            None,
        )
        .expect("valid");
        assert_eq!(signal.title, "5 is down");
    }

    #[test]
    fn errors_name_the_field() {
        let cases: [(&[u8], Option<&str>, ParseError); 6] = [
            (
                b"alertType=1",
                None,
                ParseError::Missing("monitorID".into()),
            ),
            (
                b"monitorID=5",
                None,
                ParseError::Missing("alertType".into()),
            ),
            (
                b"monitorID=5&alertType=3",
                None,
                ParseError::invalid("alertType", "must be 1 (down) or 2 (up); got \"3\""),
            ),
            (
                b"monitorID=5&alertType=down",
                None,
                ParseError::invalid("alertType", "must be 1 (down) or 2 (up); got \"down\""),
            ),
            (
                b"[1, 2]",
                Some("application/json"),
                ParseError::invalid(
                    "body",
                    "must be a JSON object of UptimeRobot's alert variables",
                ),
            ),
            (b"", None, ParseError::Missing("monitorID".into())),
        ];
        for (body, content_type, expected) in cases {
            assert_eq!(one(body, content_type, None), Err(expected));
        }
        assert!(matches!(
            one(b"{\"monitorID\":", Some("application/json"), None),
            Err(ParseError::Json(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            content_type in proptest::option::of(prop_oneof![
                Just("application/json".to_string()),
                Just("application/x-www-form-urlencoded".to_string()),
                ".{0,20}",
            ]),
            query in proptest::option::of(".{0,64}"),
        ) {
            let _ = parse(&body, content_type.as_deref(), query.as_deref(), &test_ctx("u"));
        }

        #[test]
        fn arbitrary_field_values_never_panic(
            id in ".{0,12}",
            alert_type in prop_oneof![Just("1".to_string()), Just("2".to_string()), ".{0,3}"],
            when in ".{0,24}",
        ) {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("monitorID", &id)
                .append_pair("alertType", &alert_type)
                .append_pair("alertDateTime", &when)
                .finish();
            let _ = parse(b"", None, Some(&query), &test_ctx("u"));
        }
    }
}
