//! tocsin's own webhook format, signed with Standard Webhooks: alerts or changes from anything
//! that has no format of its own (a CI job, a cron script, a tool's generic webhook).
//!
//! # Signing (Standard Webhooks)
//!
//! Each request carries three headers: `webhook-id` (unique per message, reused on retries),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,` followed by the base64
//! HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed with the integration's
//! secret (`whsec_` + base64 of the key bytes). The header may list several space-separated
//! signatures (during secret rotation); any one matching passes. A timestamp more than five
//! minutes from the server's clock either way is refused, so a captured request cannot be
//! replayed later. Any Standard Webhooks library (`standardwebhooks`, `svix`) signs this way.
//!
//! # Body
//!
//! One event object, a JSON array of them, or `{"events": [ … ]}`. Every event has a `type`.
//!
//! An **alert** (`"type": "alert"`) opens or resolves a tocsin alert:
//!
//! | field | | meaning |
//! |---|---|---|
//! | `title` | required | short, human: "Nightly backup failed" |
//! | `status` | required | `"firing"` or `"resolved"` |
//! | `dedup_key` | optional | events with the same key are the same alert; default: the title |
//! | `severity` | optional | a tocsin severity id (`"SEV-2"`) or a word the integration's `severity_map` maps; default: the integration's `severity` |
//! | `summary` | optional | longer detail |
//! | `component`, `category`, `runbook` | optional | override the integration's |
//! | `url` | optional | a link to the source (a CI run, a log) |
//! | `occurred_at` | optional | RFC 3339; default: when tocsin received it |
//! | `details` | optional | any JSON object, kept with the alert |
//!
//! A **change** (`"type": "change"`) is recorded on the change log and never pages:
//!
//! | field | | meaning |
//! |---|---|---|
//! | `kind` | required | `"deploy"`, `"merge"`, `"push"` or `"other"` |
//! | `summary` | required | "Deploy api v1.42 to production" |
//! | `id` | optional | the sender's id for it; a later event with the same id updates it (e.g. its status) |
//! | `service`, `environment`, `commit`, `branch`, `author`, `status`, `url` | optional | strings |
//! | `occurred_at` | optional | RFC 3339; default: when tocsin received it |
//! | `details` | optional | any JSON object |
//!
//! ```json
//! {"events": [
//!   {"type": "change", "kind": "deploy", "summary": "Deploy api v1.42", "id": "run-881",
//!    "service": "api", "environment": "production", "commit": "9f2c1e7", "status": "success"},
//!   {"type": "alert", "title": "Nightly backup failed", "status": "firing", "severity": "SEV-2",
//!    "dedup_key": "backup-nightly", "url": "https://ci.example.com/runs/881"}
//! ]}
//! ```
//!
//! A body is accepted or refused whole: one bad event refuses the batch, and the error names it
//! (`events[1].status must be "firing" or "resolved"`).

use jiff::Timestamp;
use serde_json::Value;

use super::{
    Change, ChangeKind, Inbound, IntegrationContext, ParseError, TITLE_MAX, as_object, details,
    join, link, links, opt_id, opt_str, parse_json, parse_timestamp, req_str, text, truncate,
};
use crate::signal::{Signal, SignalStatus};

/// How far `webhook-timestamp` may be from `now`, either way (the Standard Webhooks default).
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// Why a request's signature was refused; `Display` says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    #[error("the `webhook-timestamp` header is not Unix seconds")]
    BadTimestamp,
    #[error(
        "the `webhook-timestamp` header is {skew_seconds} s from the server's clock; at most {TOLERANCE_SECONDS} s is accepted (is the sender's clock right, or is this a replay?)"
    )]
    StaleTimestamp { skew_seconds: i64 },
    #[error("the integration's secret is not base64 (after the optional `whsec_` prefix)")]
    BadSecret,
    #[error("no `v1` signature in the `webhook-signature` header matches the body")]
    BadSignature,
}

/// Verifies a Standard Webhooks signature. `now` is the receiving time (core reads no clock).
pub fn verify(
    secret: &str,
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), VerifyError> {
    let id = id
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(VerifyError::MissingHeader("webhook-id"))?;
    let timestamp = timestamp
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(VerifyError::MissingHeader("webhook-timestamp"))?;
    let signature = signature
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(VerifyError::MissingHeader("webhook-signature"))?;

    let seconds: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let skew_seconds = seconds.saturating_sub(now.as_second());
    if skew_seconds.saturating_abs() > TOLERANCE_SECONDS {
        return Err(VerifyError::StaleTimestamp { skew_seconds });
    }

    let key =
        crate::standard_webhooks::decode_secret(secret).map_err(|_| VerifyError::BadSecret)?;
    let matched =
        crate::standard_webhooks::any_signature_matches(&key, id, timestamp, body, signature);
    if matched {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// Parses a body of one event, an array of them, or `{"events": [ … ]}`.
pub fn parse(body: &[u8], ctx: &IntegrationContext) -> Result<Vec<Inbound>, ParseError> {
    let value = parse_json(body)?;
    match &value {
        Value::Array(events) => events_from(events, "", ctx),
        Value::Object(obj) if !obj.contains_key("type") && obj.contains_key("events") => {
            match obj.get("events") {
                Some(Value::Array(events)) => events_from(events, "events", ctx),
                _ => Err(ParseError::invalid("events", "must be an array of events")),
            }
        }
        Value::Object(_) => Ok(vec![event(&value, "", ctx)?]),
        _ => Err(ParseError::invalid(
            "body",
            "must be a JSON object or an array of events",
        )),
    }
}

fn events_from(
    events: &[Value],
    parent: &str,
    ctx: &IntegrationContext,
) -> Result<Vec<Inbound>, ParseError> {
    events
        .iter()
        .enumerate()
        .map(|(index, item)| event(item, &format!("{parent}[{index}]"), ctx))
        .collect()
}

fn event(value: &Value, path: &str, ctx: &IntegrationContext) -> Result<Inbound, ParseError> {
    let what = if path.is_empty() { "body" } else { path };
    let obj = as_object(value, what)?;
    match req_str(obj, "type", path)? {
        "alert" => alert(obj, path, ctx).map(Inbound::Signal),
        "change" => change(obj, path, ctx).map(Inbound::Change),
        _ => Err(ParseError::invalid(
            join(path, "type"),
            "must be \"alert\" or \"change\"",
        )),
    }
}

type Object = serde_json::Map<String, Value>;

fn alert(obj: &Object, path: &str, ctx: &IntegrationContext) -> Result<Signal, ParseError> {
    let title = req_str(obj, "title", path)?;
    let status = match req_str(obj, "status", path)? {
        "firing" => SignalStatus::Firing,
        "resolved" => SignalStatus::Resolved,
        _ => {
            return Err(ParseError::invalid(
                join(path, "status"),
                "must be \"firing\" or \"resolved\"",
            ));
        }
    };
    let key = opt_id(obj, "dedup_key", path)?.unwrap_or_else(|| title.to_string());
    let word = opt_str(obj, "severity", path)?;
    let string = |key: &str| opt_str(obj, key, path).map(|v| v.map(str::to_string));
    let url = opt_str(obj, "url", path)?;
    let labels = match obj.get("labels") {
        None | Some(Value::Null) => crate::labels::Labels::default(),
        Some(value @ Value::Object(_)) => {
            crate::labels::Labels::bounded(crate::labels::from_json_object(Some(value)))
        }
        Some(_) => {
            return Err(ParseError::invalid(
                join(path, "labels"),
                "must be an object of label names to string values",
            ));
        }
    };
    Ok(Signal {
        labels,
        source: ctx.source(),
        dedup_key: format!("{}:{}", ctx.id, key),
        status,
        severity: severity(word, ctx),
        title: truncate(title, TITLE_MAX),
        summary: string("summary")?,
        category: string("category")?.or_else(|| ctx.category.clone()),
        component: string("component")?.or_else(|| ctx.component.clone()),
        runbook: string("runbook")?.or_else(|| ctx.runbook.clone()),
        occurred_at: occurred_at(obj, path, ctx)?,
        details: details([
            ("details", user_details(obj, path)?),
            ("url", text(url)),
            ("links", links([link(url, "Source")])),
        ]),
    })
}

/// The integration's map first; an unmapped word is taken as a tocsin severity id, since this
/// is tocsin's own format; no word at all falls back to the integration's default.
fn severity(word: Option<&str>, ctx: &IntegrationContext) -> Option<String> {
    let Some(word) = word else {
        return ctx.severity.clone();
    };
    ctx.severity_map
        .get(word)
        .or_else(|| ctx.severity_map.get(&word.to_lowercase()))
        .cloned()
        .or_else(|| Some(word.trim().to_string()))
}

fn change(obj: &Object, path: &str, ctx: &IntegrationContext) -> Result<Change, ParseError> {
    let kind_word = req_str(obj, "kind", path)?;
    let kind = ChangeKind::parse(kind_word).ok_or_else(|| {
        ParseError::invalid(
            join(path, "kind"),
            "must be \"deploy\", \"merge\", \"push\" or \"other\"",
        )
    })?;
    let summary = req_str(obj, "summary", path)?;
    let string = |key: &str| opt_str(obj, key, path).map(|v| v.map(str::to_string));
    let url = opt_str(obj, "url", path)?;
    Ok(Change {
        source: ctx.source(),
        kind,
        external_id: opt_id(obj, "id", path)?,
        summary: summary.to_string(),
        service: string("service")?.or_else(|| ctx.component.clone()),
        environment: string("environment")?,
        commit: string("commit")?,
        branch: string("branch")?,
        author: string("author")?,
        status: string("status")?,
        url: url.map(str::to_string),
        occurred_at: occurred_at(obj, path, ctx)?,
        details: details([
            ("details", user_details(obj, path)?),
            ("links", links([link(url, "Source")])),
        ]),
    })
}

/// `occurred_at`: absent means "now"; present but unreadable is refused, because a wrong time on
/// the change log misleads more than a refused request.
fn occurred_at(
    obj: &Object,
    path: &str,
    ctx: &IntegrationContext,
) -> Result<Timestamp, ParseError> {
    match opt_str(obj, "occurred_at", path)? {
        None => Ok(ctx.now),
        Some(text) => parse_timestamp(text).ok_or_else(|| {
            ParseError::invalid(
                join(path, "occurred_at"),
                "must be an RFC 3339 time, e.g. 2026-01-31T09:30:00Z",
            )
        }),
    }
}

fn user_details(obj: &Object, path: &str) -> Result<Option<Value>, ParseError> {
    match obj.get("details") {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => Ok(Some(value.clone())),
        Some(_) => Err(ParseError::invalid(
            join(path, "details"),
            "must be a JSON object",
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::inbound::{arbitrary_json, test_ctx};

    const KEYS: &[&str] = &[
        "type",
        "alert",
        "change",
        "events",
        "title",
        "status",
        "firing",
        "resolved",
        "kind",
        "deploy",
        "summary",
        "severity",
        "dedup_key",
        "id",
        "occurred_at",
        "details",
        "url",
    ];

    // The Standard Webhooks specification's test vector.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: &str = "1614265330";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn check(signature: &str, now: i64) -> Result<(), VerifyError> {
        verify(
            SECRET,
            Some(MSG_ID),
            Some(TIMESTAMP),
            Some(signature),
            BODY,
            at(now),
        )
    }

    #[test]
    fn the_specification_vector_verifies() {
        assert_eq!(check(SIGNATURE, 1_614_265_330), Ok(()));
        // Within five minutes either way.
        assert_eq!(check(SIGNATURE, 1_614_265_330 + 300), Ok(()));
        assert_eq!(check(SIGNATURE, 1_614_265_330 - 300), Ok(()));
        // The secret without its prefix is the same key.
        let bare = verify(
            &SECRET[6..],
            Some(MSG_ID),
            Some(TIMESTAMP),
            Some(SIGNATURE),
            BODY,
            at(1_614_265_330),
        );
        assert_eq!(bare, Ok(()));
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused() {
        assert_eq!(
            check(SIGNATURE, 1_614_265_330 + 360),
            Err(VerifyError::StaleTimestamp { skew_seconds: -360 })
        );
        assert_eq!(
            check(SIGNATURE, 1_614_265_330 - 301),
            Err(VerifyError::StaleTimestamp { skew_seconds: 301 })
        );
        let message = VerifyError::StaleTimestamp { skew_seconds: -360 }.to_string();
        assert!(
            message.contains("-360 s") && message.contains("300 s"),
            "{message}"
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let listed = format!("v1,Zm9vYmFy v1a,c29tZXRoaW5n {SIGNATURE}");
        assert_eq!(check(&listed, 1_614_265_330), Ok(()));
        assert_eq!(
            check("v1,Zm9vYmFy v2,abc", 1_614_265_330),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            check("v1,!!!not-base64", 1_614_265_330),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            check(&SIGNATURE[3..], 1_614_265_330),
            Err(VerifyError::BadSignature),
            "no v1, prefix"
        );
    }

    #[test]
    fn a_changed_body_id_or_timestamp_fails() {
        let now = at(1_614_265_330);
        let sig = Some(SIGNATURE);
        let body = br#"{"test": 2432232315}"#;
        assert_eq!(
            verify(SECRET, Some(MSG_ID), Some(TIMESTAMP), sig, body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(SECRET, Some("msg_other"), Some(TIMESTAMP), sig, BODY, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(SECRET, Some(MSG_ID), Some("1614265331"), sig, BODY, now),
            Err(VerifyError::BadSignature)
        );
        let other_secret = "whsec_c2VjcmV0LWtleS1mb3ItdG9jc2luLXRlc3Rz";
        assert_eq!(
            verify(other_secret, Some(MSG_ID), Some(TIMESTAMP), sig, BODY, now),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn missing_headers_and_bad_inputs_are_named() {
        let now = at(1_614_265_330);
        let cases = [
            (
                None,
                Some(TIMESTAMP),
                Some(SIGNATURE),
                VerifyError::MissingHeader("webhook-id"),
            ),
            (
                Some(MSG_ID),
                None,
                Some(SIGNATURE),
                VerifyError::MissingHeader("webhook-timestamp"),
            ),
            (
                Some(MSG_ID),
                Some(TIMESTAMP),
                None,
                VerifyError::MissingHeader("webhook-signature"),
            ),
            (
                Some(""),
                Some(TIMESTAMP),
                Some(SIGNATURE),
                VerifyError::MissingHeader("webhook-id"),
            ),
            (
                Some(MSG_ID),
                Some("2021-02-26T15:02:10Z"),
                Some(SIGNATURE),
                VerifyError::BadTimestamp,
            ),
        ];
        for (id, timestamp, signature, expected) in cases {
            assert_eq!(
                verify(SECRET, id, timestamp, signature, BODY, now),
                Err(expected.clone()),
                "{expected}"
            );
        }
        assert_eq!(
            verify(
                "whsec_%%%",
                Some(MSG_ID),
                Some(TIMESTAMP),
                Some(SIGNATURE),
                BODY,
                now
            ),
            Err(VerifyError::BadSecret)
        );
        assert_eq!(
            VerifyError::MissingHeader("webhook-id").to_string(),
            "the `webhook-id` header is missing"
        );
    }

    fn run(value: &Value) -> Result<Vec<Inbound>, ParseError> {
        parse(
            &serde_json::to_vec(value).unwrap_or_default(),
            &test_ctx("ci"),
        )
    }

    fn one_signal(value: &Value) -> Signal {
        match run(value).as_deref() {
            Ok([Inbound::Signal(signal)]) => signal.clone(),
            other => panic!("expected one signal, got {other:?}"),
        }
    }

    fn one_change(value: &Value) -> Change {
        match run(value).as_deref() {
            Ok([Inbound::Change(change)]) => change.clone(),
            other => panic!("expected one change, got {other:?}"),
        }
    }

    #[test]
    fn an_alert_event_becomes_a_signal() {
        let body = json!({
            "type": "alert",
            "title": "Nightly backup failed",
            "status": "firing",
            "severity": "error",
            "dedup_key": "backup-nightly",
            "summary": "pg_dump exited 1: connection refused",
            "component": "database",
            "url": "https://ci.acme.example/runs/881",
            "occurred_at": "2026-03-01T02:10:00Z",
            "details": { "exit_code": 1, "host": "backup-1" }
        });
        let signal = one_signal(&body);
        assert_eq!(signal.source, "integration:ci");
        assert_eq!(signal.dedup_key, "ci:backup-nightly");
        assert_eq!(signal.status, SignalStatus::Firing);
        assert_eq!(signal.severity.as_deref(), Some("SEV-2"));
        assert_eq!(signal.title, "Nightly backup failed");
        assert_eq!(
            signal.summary.as_deref(),
            Some("pg_dump exited 1: connection refused")
        );
        assert_eq!(signal.component.as_deref(), Some("database"));
        assert_eq!(signal.category.as_deref(), Some("backend"));
        assert_eq!(signal.runbook.as_deref(), Some("api-errors"));
        assert_eq!(signal.occurred_at.to_string(), "2026-03-01T02:10:00Z");
        assert_eq!(signal.details["details"]["exit_code"], 1);
        assert_eq!(
            signal.details["links"][0]["href"],
            "https://ci.acme.example/runs/881"
        );
    }

    #[test]
    fn severity_is_mapped_else_taken_as_an_id_else_defaulted() {
        let severity = |word: Value| {
            let mut body = json!({ "type": "alert", "title": "t", "status": "firing" });
            if !word.is_null() {
                body["severity"] = word;
            }
            match run(&body) {
                Ok(mut items) => match items.pop() {
                    Some(Inbound::Signal(signal)) => signal.severity,
                    _ => None,
                },
                Err(_) => None,
            }
        };
        assert_eq!(severity(json!("Critical")).as_deref(), Some("SEV-1"));
        assert_eq!(severity(json!("SEV-3")).as_deref(), Some("SEV-3"));
        assert_eq!(severity(Value::Null).as_deref(), Some("SEV-2"));
    }

    #[test]
    fn an_alert_without_a_key_is_keyed_by_its_title() {
        let body =
            json!({ "type": "alert", "title": "Queue backlog over 10k", "status": "resolved" });
        let signal = one_signal(&body);
        assert_eq!(signal.dedup_key, "ci:Queue backlog over 10k");
        assert_eq!(signal.status, SignalStatus::Resolved);
        assert_eq!(signal.occurred_at, test_ctx("ci").now);
    }

    #[test]
    fn a_change_event_becomes_a_change() {
        let body = json!({
            "type": "change",
            "kind": "deploy",
            "summary": "Deploy api v1.42 to production",
            "id": "run-881",
            "service": "checkout",
            "environment": "production",
            "commit": "9f2c1e7",
            "branch": "main",
            "author": "lina",
            "status": "success",
            "url": "https://ci.acme.example/runs/881"
        });
        let change = one_change(&body);
        assert_eq!(change.source, "integration:ci");
        assert_eq!(change.kind, ChangeKind::Deploy);
        assert_eq!(change.external_id.as_deref(), Some("run-881"));
        assert_eq!(change.summary, "Deploy api v1.42 to production");
        assert_eq!(change.service.as_deref(), Some("checkout"));
        assert_eq!(change.environment.as_deref(), Some("production"));
        assert_eq!(change.commit.as_deref(), Some("9f2c1e7"));
        assert_eq!(change.branch.as_deref(), Some("main"));
        assert_eq!(change.author.as_deref(), Some("lina"));
        assert_eq!(change.status.as_deref(), Some("success"));
        assert_eq!(
            change.url.as_deref(),
            Some("https://ci.acme.example/runs/881")
        );
    }

    #[test]
    fn batches_come_as_events_or_an_array() {
        let events = json!([
            { "type": "change", "kind": "merge", "summary": "Merge #12", "id": 12 },
            { "type": "alert", "title": "Smoke test failed", "status": "firing", "dedup_key": 77 }
        ]);
        let wrapped = run(&json!({ "events": events })).expect("valid");
        assert_eq!(run(&events), Ok(wrapped.clone()));
        assert_eq!(wrapped.len(), 2);
        assert!(
            matches!(&wrapped[0], Inbound::Change(c) if c.kind == ChangeKind::Merge && c.external_id.as_deref() == Some("12"))
        );
        assert!(matches!(&wrapped[1], Inbound::Signal(s) if s.dedup_key == "ci:77"));
        assert_eq!(run(&json!({ "events": [] })), Ok(vec![]));
    }

    #[test]
    fn errors_name_the_field_and_the_event() {
        let cases: [(Value, ParseError); 12] = [
            (json!({}), ParseError::Missing("type".into())),
            (
                json!({ "type": "incident" }),
                ParseError::invalid("type", "must be \"alert\" or \"change\""),
            ),
            (
                json!({ "type": "alert", "status": "firing" }),
                ParseError::Missing("title".into()),
            ),
            (
                json!({ "type": "alert", "title": "t" }),
                ParseError::Missing("status".into()),
            ),
            (
                json!({ "type": "alert", "title": "t", "status": "open" }),
                ParseError::invalid("status", "must be \"firing\" or \"resolved\""),
            ),
            (
                json!({ "type": "alert", "title": "t", "status": "firing", "occurred_at": "now" }),
                ParseError::invalid(
                    "occurred_at",
                    "must be an RFC 3339 time, e.g. 2026-01-31T09:30:00Z",
                ),
            ),
            (
                json!({ "type": "alert", "title": "t", "status": "firing", "details": [1] }),
                ParseError::invalid("details", "must be a JSON object"),
            ),
            (
                json!({ "type": "change", "summary": "s" }),
                ParseError::Missing("kind".into()),
            ),
            (
                json!({ "type": "change", "kind": "release", "summary": "s" }),
                ParseError::invalid(
                    "kind",
                    "must be \"deploy\", \"merge\", \"push\" or \"other\"",
                ),
            ),
            (
                json!({ "events": [{ "type": "change", "kind": "deploy", "summary": "ok" }, { "type": "change", "kind": "deploy" }] }),
                ParseError::Missing("events[1].summary".into()),
            ),
            (
                json!({ "events": "all" }),
                ParseError::invalid("events", "must be an array of events"),
            ),
            (
                json!([{ "type": "alert", "title": "t", "status": "firing", "summary": 5 }]),
                ParseError::invalid("[0].summary", "must be a string"),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(run(&body), Err(expected), "{body}");
        }
        assert_eq!(
            run(&json!("hi")),
            Err(ParseError::invalid(
                "body",
                "must be a JSON object or an array of events"
            ))
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            id in proptest::option::of(".{0,20}"),
            timestamp in proptest::option::of(prop_oneof![".{0,12}", any::<i64>().prop_map(|n| n.to_string())]),
            signature in proptest::option::of(".{0,80}"),
            secret in ".{0,40}",
            now in any::<i32>(),
        ) {
            let _ = parse(&body, &test_ctx("ci"));
            let now = Timestamp::from_second(i64::from(now)).unwrap_or(Timestamp::UNIX_EPOCH);
            let _ = verify(&secret, id.as_deref(), timestamp.as_deref(), signature.as_deref(), &body, now);
            let _ = verify(SECRET, Some(MSG_ID), timestamp.as_deref(), signature.as_deref(), &body, now);
        }

        #[test]
        fn arbitrary_json_never_panics(body in arbitrary_json(KEYS)) {
            let _ = parse(&serde_json::to_vec(&body).unwrap_or_default(), &test_ctx("ci"));
        }
    }
}
