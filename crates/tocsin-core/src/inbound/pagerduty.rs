//! PagerDuty Events API v2: validates alert events (`/v2/enqueue`) and change events
//! (`/v2/change/enqueue`) the way PagerDuty does, and turns them into signals and changes.
//!
//! Errors are collected, not stopped at the first: PagerDuty answers `400 {"status":"invalid
//! event","errors":[…]}` with every problem at once, in its own wording (`'payload.summary' is
//! missing or blank`), and tools written against PagerDuty log those strings verbatim.

use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use super::{
    Change, ChangeKind, Inbound, IntegrationContext, TITLE_MAX, details, parse_timestamp, text,
    truncate,
};
use crate::signal::{Signal, SignalStatus};

/// PagerDuty's documented limits.
const DEDUP_KEY_MAX: usize = 255;
const SUMMARY_MAX: usize = 1024;

/// What an alert event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdAction {
    Trigger,
    Acknowledge,
    Resolve,
}

impl PdAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PdAction::Trigger => "trigger",
            PdAction::Acknowledge => "acknowledge",
            PdAction::Resolve => "resolve",
        }
    }
}

/// `payload.severity`: PagerDuty's four words, mapped to a tocsin severity by the integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdSeverity {
    Critical,
    Error,
    Warning,
    Info,
}

impl PdSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            PdSeverity::Critical => "critical",
            PdSeverity::Error => "error",
            PdSeverity::Warning => "warning",
            PdSeverity::Info => "info",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        match word {
            "critical" => Some(PdSeverity::Critical),
            "error" => Some(PdSeverity::Error),
            "warning" => Some(PdSeverity::Warning),
            "info" => Some(PdSeverity::Info),
            _ => None,
        }
    }
}

/// A trigger's `payload` (PagerDuty Common Event Format).
#[derive(Debug, Clone, PartialEq)]
pub struct PdPayload {
    pub summary: String,
    pub source: String,
    pub severity: PdSeverity,
    pub timestamp: Option<Timestamp>,
    pub component: Option<String>,
    pub group: Option<String>,
    pub class: Option<String>,
    pub custom_details: Option<Value>,
}

/// One of `links`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdLink {
    pub href: String,
    pub text: Option<String>,
}

/// One of `images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdImage {
    pub src: String,
    pub href: Option<String>,
    pub alt: Option<String>,
}

/// A valid alert event. `payload` is `Some` exactly for triggers (acknowledge and resolve carry
/// none that PagerDuty reads); `dedup_key` is `Some` for acknowledge and resolve.
#[derive(Clone, PartialEq)]
pub struct PdEvent {
    pub routing_key: String,
    pub action: PdAction,
    pub dedup_key: Option<String>,
    pub payload: Option<PdPayload>,
    pub links: Vec<PdLink>,
    pub images: Vec<PdImage>,
    pub client: Option<String>,
    pub client_url: Option<String>,
}

// By hand: the routing key is the integration's credential and must not reach logs.
impl fmt::Debug for PdEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdEvent")
            .field("routing_key", &"[redacted]")
            .field("action", &self.action)
            .field("dedup_key", &self.dedup_key)
            .field("payload", &self.payload)
            .field("links", &self.links)
            .field("images", &self.images)
            .field("client", &self.client)
            .field("client_url", &self.client_url)
            .finish()
    }
}

/// Parses and validates an alert event, collecting every error in PagerDuty's wording.
pub fn parse_event(body: &[u8]) -> Result<PdEvent, Vec<String>> {
    let value = parse_body(body)?;
    let mut check = Checker::default();
    let Some(obj) = check.object(&value, "") else {
        return Err(check.errors);
    };

    let routing_key = check.required(obj, "routing_key");
    let action = match check.string(obj, "event_action") {
        None => {
            if absent(obj, "event_action") {
                check.missing("event_action");
            }
            None
        }
        Some(word) => {
            let action = match word {
                "trigger" => Some(PdAction::Trigger),
                "acknowledge" => Some(PdAction::Acknowledge),
                "resolve" => Some(PdAction::Resolve),
                _ => None,
            };
            if action.is_none() {
                check.invalid(
                    "event_action",
                    "must be one of the following: 'trigger', 'acknowledge' or 'resolve'",
                );
            }
            action
        }
    };
    let dedup_key = check.string(obj, "dedup_key").map(str::to_string);
    if let Some(key) = &dedup_key
        && key.chars().count() > DEDUP_KEY_MAX
    {
        check.too_long("dedup_key", DEDUP_KEY_MAX);
    }
    if matches!(action, Some(PdAction::Acknowledge | PdAction::Resolve)) && absent(obj, "dedup_key")
    {
        check.missing("dedup_key");
    }

    let payload = match action {
        Some(PdAction::Trigger) => match obj.get("payload") {
            None | Some(Value::Null) => {
                check.missing("payload");
                None
            }
            Some(payload) => check.payload(payload),
        },
        _ => None,
    };
    let links = check.links(obj);
    let images = check.images(obj);
    let client = check.string(obj, "client").map(str::to_string);
    let client_url = check.string(obj, "client_url").map(str::to_string);

    match (routing_key, action) {
        (Some(routing_key), Some(action)) if check.errors.is_empty() => Ok(PdEvent {
            routing_key: routing_key.to_string(),
            action,
            dedup_key,
            payload,
            links,
            images,
            client,
            client_url,
        }),
        _ => Err(check.errors),
    }
}

impl PdEvent {
    /// What the event means for tocsin, and the dedup key PagerDuty would answer with: the
    /// event's own, or `generated_key` (the caller's fresh UUID) for a trigger without one.
    ///
    /// Inside tocsin the key is namespaced by the integration (`<id>:<key>`) so two senders using
    /// the same key never touch each other's alert; the sender only ever sees its raw key.
    pub fn into_inbound(self, ctx: &IntegrationContext, generated_key: &str) -> (String, Inbound) {
        let PdEvent {
            action,
            dedup_key,
            payload,
            links,
            images,
            client,
            client_url,
            ..
        } = self;
        let key = dedup_key.unwrap_or_else(|| generated_key.to_string());
        let namespaced = format!("{}:{}", ctx.id, key);
        let inbound = match action {
            PdAction::Acknowledge => Inbound::Acknowledge {
                dedup_key: namespaced,
                actor: ctx.source(),
            },
            // A resolve carries no payload, so the alert's own title stays; this one only has
            // to say which alert it closes.
            PdAction::Resolve => Inbound::Signal(Signal {
                source: ctx.source(),
                dedup_key: namespaced,
                status: SignalStatus::Resolved,
                severity: ctx.map_severity(None),
                title: truncate(&key, TITLE_MAX),
                summary: None,
                category: ctx.category.clone(),
                component: ctx.component.clone(),
                runbook: ctx.runbook.clone(),
                occurred_at: ctx.now,
                details: details([("client", text(client.as_deref()))]),
                labels: Default::default(),
            }),
            PdAction::Trigger => {
                // A trigger built by hand without a payload still becomes a signal, titled by
                // its key, rather than a panic; `parse_event` never produces one.
                let payload = payload.unwrap_or_else(|| PdPayload {
                    summary: key.clone(),
                    source: String::new(),
                    severity: PdSeverity::Error,
                    timestamp: None,
                    component: None,
                    group: None,
                    class: None,
                    custom_details: None,
                });
                let sender = Sender {
                    links: &links,
                    images: &images,
                    client,
                    client_url,
                };
                Inbound::Signal(trigger_signal(ctx, namespaced, payload, sender))
            }
        };
        (key, inbound)
    }
}

/// The event's parts outside `payload`, kept in the signal's details.
struct Sender<'a> {
    links: &'a [PdLink],
    images: &'a [PdImage],
    client: Option<String>,
    client_url: Option<String>,
}

fn trigger_signal(
    ctx: &IntegrationContext,
    dedup_key: String,
    payload: PdPayload,
    sender: Sender<'_>,
) -> Signal {
    let Sender {
        links,
        images,
        client,
        client_url,
    } = sender;
    let title = truncate(&payload.summary, TITLE_MAX);
    // The summary repeats what the title had to cut, then the CEF fields a responder scans for.
    let mut lines = Vec::new();
    if title != payload.summary {
        lines.push(payload.summary.clone());
    }
    if !payload.source.is_empty() {
        lines.push(format!("Source: {}", payload.source));
    }
    for (label, value) in [
        ("Component", &payload.component),
        ("Group", &payload.group),
        ("Class", &payload.class),
    ] {
        if let Some(value) = value {
            lines.push(format!("{label}: {value}"));
        }
    }
    let links_json: Vec<Value> = links
        .iter()
        .map(|link| serde_json::json!({ "href": link.href, "text": link.text.as_deref().unwrap_or(&link.href) }))
        .collect();
    let images_json: Vec<Value> = images
        .iter()
        .map(|image| serde_json::json!({ "src": image.src, "href": image.href, "alt": image.alt }))
        .collect();
    // Labels: the string-valued custom details, then the CEF fields (which win).
    let labels = crate::labels::Labels::bounded(
        crate::labels::from_json_object(payload.custom_details.as_ref())
            .into_iter()
            .chain(
                [
                    ("component", &payload.component),
                    ("group", &payload.group),
                    ("class", &payload.class),
                ]
                .into_iter()
                .filter_map(|(name, value)| Some((name.to_owned(), value.clone()?))),
            ),
    );
    Signal {
        labels,
        source: ctx.source(),
        dedup_key,
        status: SignalStatus::Firing,
        severity: ctx.map_severity(Some(payload.severity.as_str())),
        title,
        summary: (!lines.is_empty()).then(|| lines.join("\n")),
        category: ctx.category.clone(),
        // PagerDuty's `component` names the broken part; it is the payload saying better.
        component: payload.component.clone().or_else(|| ctx.component.clone()),
        runbook: ctx.runbook.clone(),
        occurred_at: payload.timestamp.unwrap_or(ctx.now),
        details: details([
            (
                "source",
                text(Some(payload.source.as_str()).filter(|s| !s.is_empty())),
            ),
            ("severity", text(Some(payload.severity.as_str()))),
            ("component", text(payload.component.as_deref())),
            ("group", text(payload.group.as_deref())),
            ("class", text(payload.class.as_deref())),
            ("custom_details", payload.custom_details),
            (
                "links",
                (!links_json.is_empty()).then_some(Value::Array(links_json)),
            ),
            (
                "images",
                (!images_json.is_empty()).then_some(Value::Array(images_json)),
            ),
            ("client", text(client.as_deref())),
            ("client_url", text(client_url.as_deref())),
        ]),
    }
}

/// A valid change event (`/v2/change/enqueue`).
#[derive(Clone, PartialEq)]
pub struct PdChange {
    pub routing_key: String,
    pub summary: String,
    pub source: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub custom_details: Option<Value>,
    pub links: Vec<PdLink>,
}

impl fmt::Debug for PdChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdChange")
            .field("routing_key", &"[redacted]")
            .field("summary", &self.summary)
            .field("source", &self.source)
            .field("timestamp", &self.timestamp)
            .field("custom_details", &self.custom_details)
            .field("links", &self.links)
            .finish()
    }
}

/// Parses and validates a change event, collecting every error in PagerDuty's wording.
pub fn parse_change(body: &[u8]) -> Result<PdChange, Vec<String>> {
    let value = parse_body(body)?;
    let mut check = Checker::default();
    let Some(obj) = check.object(&value, "") else {
        return Err(check.errors);
    };
    let routing_key = check.required(obj, "routing_key");
    let mut summary = None;
    let mut source = None;
    let mut timestamp = None;
    let mut custom_details = None;
    match obj.get("payload") {
        None | Some(Value::Null) => check.missing("payload"),
        Some(payload) => {
            if let Some(payload) = check.object(payload, "payload") {
                summary = check.required(payload, "payload.summary");
                if let Some(text) = summary
                    && text.chars().count() > SUMMARY_MAX
                {
                    check.too_long("payload.summary", SUMMARY_MAX);
                }
                source = check.string(payload, "payload.source");
                timestamp = check.timestamp(payload, "payload.timestamp");
                custom_details = payload
                    .get("custom_details")
                    .filter(|v| !v.is_null())
                    .cloned();
            }
        }
    }
    let links = check.links(obj);
    match (routing_key, summary) {
        (Some(routing_key), Some(summary)) if check.errors.is_empty() => Ok(PdChange {
            routing_key: routing_key.to_string(),
            summary: summary.to_string(),
            source: source.map(str::to_string),
            timestamp,
            custom_details,
            links,
        }),
        _ => Err(check.errors),
    }
}

impl PdChange {
    /// The change as tocsin records it. Change events have no structured kind or commit, so these
    /// come from the wording and from `custom_details` keys build tools commonly send.
    pub fn into_change(self, ctx: &IntegrationContext) -> Change {
        let details_text = self
            .custom_details
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        let mentions_deploy = |text: &str| text.to_lowercase().contains("deploy");
        let kind = if mentions_deploy(&self.summary) || mentions_deploy(&details_text) {
            ChangeKind::Deploy
        } else {
            ChangeKind::Other
        };
        let custom = self.custom_details.as_ref();
        let pick = |keys: &[&str]| -> Option<String> {
            let custom = custom?.as_object()?;
            keys.iter().find_map(|key| match custom.get(*key)? {
                Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            })
        };
        let links_json: Vec<Value> = self
            .links
            .iter()
            .map(|link| serde_json::json!({ "href": link.href, "text": link.text.as_deref().unwrap_or(&link.href) }))
            .collect();
        Change {
            source: ctx.source(),
            kind,
            external_id: pick(&["id", "build_id", "deploy_id", "deployment_id"]),
            summary: self.summary.clone(),
            service: pick(&["service"]).or_else(|| ctx.component.clone()),
            environment: pick(&["environment", "env"]),
            commit: pick(&["commit", "sha", "commit_sha", "revision"]),
            branch: pick(&["branch"]),
            author: pick(&["author", "user", "actor"]),
            status: pick(&["status", "build_state", "state"]),
            url: self.links.first().map(|link| link.href.clone()),
            occurred_at: self.timestamp.unwrap_or(ctx.now),
            details: details([
                ("source", text(self.source.as_deref())),
                ("custom_details", self.custom_details),
                (
                    "links",
                    (!links_json.is_empty()).then_some(Value::Array(links_json)),
                ),
            ]),
        }
    }
}

/// Absent, `null` or a blank string: what PagerDuty calls "missing or blank".
fn absent(obj: &serde_json::Map<String, Value>, key: &str) -> bool {
    match obj.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.trim().is_empty(),
        Some(_) => false,
    }
}

fn parse_body(body: &[u8]) -> Result<Value, Vec<String>> {
    serde_json::from_slice(body).map_err(|err| {
        vec![format!(
            "Event object is invalid: the body is not valid JSON ({err})"
        )]
    })
}

/// Collects PagerDuty-worded errors while reading fields.
#[derive(Default)]
struct Checker {
    errors: Vec<String>,
}

impl Checker {
    fn missing(&mut self, field: &str) {
        self.errors.push(format!("'{field}' is missing or blank"));
    }

    fn invalid(&mut self, field: &str, rule: &str) {
        self.errors.push(format!("'{field}' is invalid ({rule})"));
    }

    fn too_long(&mut self, field: &str, max: usize) {
        self.errors.push(format!(
            "'{field}' is too long (maximum is {max} characters)"
        ));
    }

    fn object<'a>(
        &mut self,
        value: &'a Value,
        field: &str,
    ) -> Option<&'a serde_json::Map<String, Value>> {
        let obj = value.as_object();
        if obj.is_none() {
            if field.is_empty() {
                self.errors
                    .push("Event object is invalid: the body must be a JSON object".into());
            } else {
                self.invalid(field, "must be an object");
            }
        }
        obj
    }

    /// An optional string; blank counts as absent, as PagerDuty's "missing or blank" implies.
    /// `path` is the field's full name; its last segment is the key in `obj`.
    fn string<'a>(
        &mut self,
        obj: &'a serde_json::Map<String, Value>,
        path: &str,
    ) -> Option<&'a str> {
        let key = path.rsplit('.').next().unwrap_or(path);
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.as_str()).filter(|text| !text.trim().is_empty()),
            Some(_) => {
                self.invalid(path, "must be a string");
                None
            }
        }
    }

    fn required<'a>(
        &mut self,
        obj: &'a serde_json::Map<String, Value>,
        path: &str,
    ) -> Option<&'a str> {
        let key = path.rsplit('.').next().unwrap_or(path);
        if absent(obj, key) {
            self.missing(path);
        }
        self.string(obj, path)
    }

    fn timestamp(&mut self, obj: &serde_json::Map<String, Value>, path: &str) -> Option<Timestamp> {
        let text = self.string(obj, path)?;
        let parsed = parse_timestamp(text);
        if parsed.is_none() {
            self.invalid(
                path,
                "must be an ISO 8601 date-time, e.g. 2015-07-17T08:42:58.315+0000",
            );
        }
        parsed
    }

    fn payload(&mut self, value: &Value) -> Option<PdPayload> {
        let obj = self.object(value, "payload")?;
        let summary = self.required(obj, "payload.summary");
        if let Some(text) = summary
            && text.chars().count() > SUMMARY_MAX
        {
            self.too_long("payload.summary", SUMMARY_MAX);
        }
        let source = self.required(obj, "payload.source");
        let severity = match self.string(obj, "payload.severity") {
            None => {
                if absent(obj, "severity") {
                    self.missing("payload.severity");
                }
                None
            }
            Some(word) => {
                let severity = PdSeverity::parse(word);
                if severity.is_none() {
                    self.invalid(
                        "payload.severity",
                        "must be one of the following: 'critical', 'warning', 'error' or 'info'",
                    );
                }
                severity
            }
        };
        let timestamp = self.timestamp(obj, "payload.timestamp");
        let component = self.string(obj, "payload.component").map(str::to_string);
        let group = self.string(obj, "payload.group").map(str::to_string);
        let class = self.string(obj, "payload.class").map(str::to_string);
        let custom_details = obj.get("custom_details").filter(|v| !v.is_null()).cloned();
        Some(PdPayload {
            summary: summary?.to_string(),
            source: source?.to_string(),
            severity: severity?,
            timestamp,
            component,
            group,
            class,
            custom_details,
        })
    }

    /// An optional array of objects at `key`, each handed to `each` with its path (`links[2]`).
    fn list<T>(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        key: &str,
        mut each: impl FnMut(&mut Self, &serde_json::Map<String, Value>, &str) -> Option<T>,
    ) -> Vec<T> {
        match obj.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| {
                    let path = format!("{key}[{index}]");
                    let item = self.object(item, &path)?;
                    each(self, item, &path)
                })
                .collect(),
            Some(_) => {
                self.invalid(key, "must be an array");
                Vec::new()
            }
        }
    }

    fn links(&mut self, obj: &serde_json::Map<String, Value>) -> Vec<PdLink> {
        self.list(obj, "links", |check, link, path| {
            let href = check.required(link, &format!("{path}.href"));
            let text = check.string(link, &format!("{path}.text"));
            Some(PdLink {
                href: href?.to_string(),
                text: text.map(str::to_string),
            })
        })
    }

    fn images(&mut self, obj: &serde_json::Map<String, Value>) -> Vec<PdImage> {
        self.list(obj, "images", |check, image, path| {
            let src = check.required(image, &format!("{path}.src"));
            let href = check.string(image, &format!("{path}.href"));
            let alt = check.string(image, &format!("{path}.alt"));
            Some(PdImage {
                src: src?.to_string(),
                href: href.map(str::to_string),
                alt: alt.map(str::to_string),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::inbound::{arbitrary_json, test_ctx};

    const KEY: &str = "R0UT1NGKEY000000000000000000000";
    const KEYS: &[&str] = &[
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "summary",
        "source",
        "severity",
        "timestamp",
        "links",
        "images",
        "href",
        "src",
        "custom_details",
        "trigger",
        "resolve",
        "acknowledge",
        "critical",
    ];

    fn trigger() -> Value {
        json!({
            "routing_key": KEY,
            "event_action": "trigger",
            "dedup_key": "db-primary/replication-lag",
            "client": "Nagios on mon-02",
            "client_url": "https://mon-02.example.net/nagios",
            "payload": {
                "summary": "Replication lag on db-primary is 95s (threshold 30s)",
                "source": "db-primary.prod.example.net",
                "severity": "critical",
                "timestamp": "2026-02-28T23:14:05.120+0000",
                "component": "postgres",
                "group": "prod-db",
                "class": "replication lag",
                "custom_details": { "lag_seconds": 95, "replica": "db-replica-2" }
            },
            "links": [{ "href": "https://grafana.example.net/d/pg", "text": "Postgres dashboard" }],
            "images": [{ "src": "https://grafana.example.net/render/pg.png", "alt": "lag graph" }]
        })
    }

    fn bytes(value: &Value) -> Vec<u8> {
        serde_json::to_vec(value).unwrap_or_default()
    }

    fn errors(value: &Value) -> Vec<String> {
        parse_event(&bytes(value)).err().unwrap_or_default()
    }

    #[test]
    fn a_full_trigger_becomes_a_firing_signal() {
        let ctx = test_ctx("events");
        let event = parse_event(&bytes(&trigger())).expect("valid trigger");
        assert_eq!(event.action, PdAction::Trigger);
        assert_eq!(event.routing_key, KEY);
        let (key, inbound) = event.into_inbound(&ctx, "generated-unused");
        assert_eq!(key, "db-primary/replication-lag");
        let Inbound::Signal(signal) = inbound else {
            panic!("expected a signal, got {inbound:?}")
        };
        assert_eq!(signal.source, "integration:events");
        assert_eq!(signal.dedup_key, "events:db-primary/replication-lag");
        assert_eq!(signal.status, SignalStatus::Firing);
        assert_eq!(signal.severity.as_deref(), Some("SEV-1"));
        assert_eq!(
            signal.title,
            "Replication lag on db-primary is 95s (threshold 30s)"
        );
        assert_eq!(
            signal.summary.as_deref(),
            Some(
                "Source: db-primary.prod.example.net\nComponent: postgres\nGroup: prod-db\nClass: replication lag"
            )
        );
        assert_eq!(signal.component.as_deref(), Some("postgres"));
        assert_eq!(signal.category.as_deref(), Some("backend"));
        assert_eq!(signal.runbook.as_deref(), Some("api-errors"));
        assert_eq!(signal.occurred_at.to_string(), "2026-02-28T23:14:05.12Z");
        assert_eq!(signal.details["custom_details"]["lag_seconds"], 95);
        assert_eq!(
            signal.details["links"][0]["href"],
            "https://grafana.example.net/d/pg"
        );
        assert_eq!(signal.details["images"][0]["alt"], "lag graph");
        assert_eq!(signal.details["client"], "Nagios on mon-02");
        // The routing key is a credential: it never reaches stored details or Debug output.
        assert!(!signal.details.to_string().contains(KEY));
        let debug = format!("{:?}", parse_event(&bytes(&trigger())));
        assert!(!debug.contains(KEY), "{debug}");
    }

    #[test]
    fn acknowledge_and_resolve_name_the_namespaced_alert() {
        let ctx = test_ctx("events");
        let ack =
            json!({ "routing_key": KEY, "event_action": "acknowledge", "dedup_key": "disk-full" });
        let (key, inbound) = parse_event(&bytes(&ack))
            .expect("valid ack")
            .into_inbound(&ctx, "unused");
        assert_eq!(key, "disk-full");
        assert_eq!(
            inbound,
            Inbound::Acknowledge {
                dedup_key: "events:disk-full".into(),
                actor: "integration:events".into()
            }
        );

        let resolve =
            json!({ "routing_key": KEY, "event_action": "resolve", "dedup_key": "disk-full" });
        let (key, inbound) = parse_event(&bytes(&resolve))
            .expect("valid resolve")
            .into_inbound(&ctx, "unused");
        assert_eq!(key, "disk-full");
        let Inbound::Signal(signal) = inbound else {
            panic!("expected a signal, got {inbound:?}")
        };
        assert_eq!(signal.status, SignalStatus::Resolved);
        assert_eq!(signal.dedup_key, "events:disk-full");
        assert_eq!(signal.occurred_at, ctx.now);
    }

    /// The dedup rules that belong to the parser (the rest — one open alert per key — are the
    /// engine's).
    #[test]
    fn dedup_key_rules() {
        let ctx = test_ctx("events");
        let cases: [(&str, Option<&str>, Result<&str, &str>); 7] = [
            ("trigger", Some("k-1"), Ok("k-1")),
            ("trigger", None, Ok("generated-uuid")),
            ("trigger", Some("  "), Ok("generated-uuid")),
            ("acknowledge", Some("k-1"), Ok("k-1")),
            ("resolve", Some("k-1"), Ok("k-1")),
            ("acknowledge", None, Err("'dedup_key' is missing or blank")),
            ("resolve", Some(""), Err("'dedup_key' is missing or blank")),
        ];
        for (action, dedup_key, expected) in cases {
            let mut event = trigger();
            event["event_action"] = json!(action);
            match dedup_key {
                Some(key) => event["dedup_key"] = json!(key),
                None => {
                    event.as_object_mut().map(|obj| obj.remove("dedup_key"));
                }
            }
            let got = parse_event(&bytes(&event))
                .map(|event| event.into_inbound(&ctx, "generated-uuid").0)
                .map_err(|errors| errors.join("; "));
            assert_eq!(
                got.as_deref().map_err(String::as_str),
                expected,
                "{action} {dedup_key:?}"
            );
        }
    }

    #[test]
    fn a_generated_key_is_namespaced_inside_but_returned_raw() {
        let mut event = trigger();
        event.as_object_mut().map(|obj| obj.remove("dedup_key"));
        let ctx = test_ctx("events");
        let (key, inbound) = parse_event(&bytes(&event))
            .expect("valid")
            .into_inbound(&ctx, "0195-uuid");
        assert_eq!(key, "0195-uuid");
        let Inbound::Signal(signal) = inbound else {
            panic!("expected a signal")
        };
        assert_eq!(signal.dedup_key, "events:0195-uuid");
    }

    #[test]
    fn every_error_is_reported_at_once_in_pagerduty_words() {
        let event = json!({
            "event_action": "trigger",
            "dedup_key": "x".repeat(256),
            "payload": {
                "summary": "s".repeat(1025),
                "severity": "fatal",
                "timestamp": "last tuesday"
            },
            "links": [{ "text": "no href" }],
            "images": [{ "href": "https://example.com" }]
        });
        assert_eq!(
            errors(&event),
            [
                "'routing_key' is missing or blank",
                "'dedup_key' is too long (maximum is 255 characters)",
                "'payload.summary' is too long (maximum is 1024 characters)",
                "'payload.source' is missing or blank",
                "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
                "'payload.timestamp' is invalid (must be an ISO 8601 date-time, e.g. 2015-07-17T08:42:58.315+0000)",
                "'links[0].href' is missing or blank",
                "'images[0].src' is missing or blank",
            ]
        );
    }

    #[test]
    fn each_field_error_names_its_field() {
        let cases: [(&str, Value, &str); 10] = [
            (
                "routing_key",
                json!(""),
                "'routing_key' is missing or blank",
            ),
            (
                "routing_key",
                json!(42),
                "'routing_key' is invalid (must be a string)",
            ),
            (
                "event_action",
                json!(null),
                "'event_action' is missing or blank",
            ),
            (
                "event_action",
                json!("escalate"),
                "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
            ),
            (
                "dedup_key",
                json!(["a"]),
                "'dedup_key' is invalid (must be a string)",
            ),
            ("payload", json!(null), "'payload' is missing or blank"),
            (
                "payload",
                json!("text"),
                "'payload' is invalid (must be an object)",
            ),
            ("links", json!({}), "'links' is invalid (must be an array)"),
            (
                "images",
                json!(["x"]),
                "'images[0]' is invalid (must be an object)",
            ),
            ("client", json!(1), "'client' is invalid (must be a string)"),
        ];
        for (field, value, expected) in cases {
            let mut event = trigger();
            event[field] = value;
            assert_eq!(errors(&event), [expected], "{field}");
        }
        let cases: [(&str, Value, &str); 5] = [
            (
                "summary",
                json!("   "),
                "'payload.summary' is missing or blank",
            ),
            (
                "source",
                json!(null),
                "'payload.source' is missing or blank",
            ),
            (
                "severity",
                json!(""),
                "'payload.severity' is missing or blank",
            ),
            (
                "severity",
                json!("CRITICAL"),
                "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
            ),
            (
                "component",
                json!(7),
                "'payload.component' is invalid (must be a string)",
            ),
        ];
        for (field, value, expected) in cases {
            let mut event = trigger();
            event["payload"][field] = value;
            assert_eq!(errors(&event), [expected], "payload.{field}");
        }
    }

    #[test]
    fn a_body_that_is_not_an_event_says_so() {
        assert!(errors(&json!([1, 2]))[0].contains("must be a JSON object"));
        let not_json = parse_event(b"{\"routing_key\":").err().unwrap_or_default();
        assert!(
            not_json[0].starts_with("Event object is invalid: the body is not valid JSON"),
            "{not_json:?}"
        );
    }

    #[test]
    fn ack_and_resolve_ignore_the_payload() {
        let event = json!({ "routing_key": KEY, "event_action": "resolve", "dedup_key": "k", "payload": "junk" });
        assert!(parse_event(&bytes(&event)).is_ok());
    }

    #[test]
    fn severity_maps_through_the_integration() {
        let mut ctx = test_ctx("events");
        ctx.severity_map.clear();
        ctx.severity = None;
        let event = parse_event(&bytes(&trigger())).expect("valid");
        let (_, inbound) = event.clone().into_inbound(&ctx, "g");
        let Inbound::Signal(signal) = inbound else {
            panic!("expected a signal")
        };
        assert_eq!(
            signal.severity, None,
            "nothing maps: the engine will refuse it, not the parser"
        );
        ctx.severity = Some("SEV-3".into());
        let Inbound::Signal(signal) = event.into_inbound(&ctx, "g").1 else {
            panic!("expected a signal")
        };
        assert_eq!(signal.severity.as_deref(), Some("SEV-3"));
    }

    #[test]
    fn a_long_summary_is_cut_in_the_title_and_kept_whole_in_the_summary() {
        let mut event = trigger();
        let long = "x".repeat(1000);
        event["payload"]["summary"] = json!(long);
        let parsed = parse_event(&bytes(&event)).expect("1000 chars is within the limit");
        let Inbound::Signal(signal) = parsed.into_inbound(&test_ctx("events"), "g").1 else {
            panic!("expected a signal")
        };
        assert_eq!(signal.title.chars().count(), TITLE_MAX);
        assert!(
            signal
                .summary
                .is_some_and(|summary| summary.starts_with(&long))
        );
    }

    fn change_event() -> Value {
        json!({
            "routing_key": KEY,
            "payload": {
                "summary": "Deployed checkout-service v2.31.0 to production",
                "timestamp": "2026-02-28T22:05:00Z",
                "source": "buildkite-agent-7",
                "custom_details": {
                    "build_state": "passed",
                    "build_number": "2218",
                    "commit": "4e1f0c2a9b",
                    "branch": "main",
                    "environment": "production",
                    "author": "lina"
                }
            },
            "links": [{ "href": "https://buildkite.com/acme/checkout/builds/2218", "text": "Build 2218" }]
        })
    }

    #[test]
    fn a_change_event_becomes_a_deploy_change() {
        let ctx = test_ctx("events");
        let change = parse_change(&bytes(&change_event())).expect("valid change");
        assert_eq!(change.routing_key, KEY);
        assert!(!format!("{change:?}").contains(KEY));
        let change = change.into_change(&ctx);
        assert_eq!(change.source, "integration:events");
        assert_eq!(change.kind, ChangeKind::Deploy);
        assert_eq!(
            change.summary,
            "Deployed checkout-service v2.31.0 to production"
        );
        assert_eq!(change.commit.as_deref(), Some("4e1f0c2a9b"));
        assert_eq!(change.branch.as_deref(), Some("main"));
        assert_eq!(change.environment.as_deref(), Some("production"));
        assert_eq!(change.author.as_deref(), Some("lina"));
        assert_eq!(change.status.as_deref(), Some("passed"));
        assert_eq!(change.service.as_deref(), Some("api"));
        assert_eq!(
            change.url.as_deref(),
            Some("https://buildkite.com/acme/checkout/builds/2218")
        );
        assert_eq!(change.occurred_at.to_string(), "2026-02-28T22:05:00Z");
        assert_eq!(change.details["source"], "buildkite-agent-7");
    }

    #[test]
    fn a_change_without_deploy_words_is_other() {
        let body =
            json!({ "routing_key": KEY, "payload": { "summary": "Rotated the Stripe API key" } });
        let change = parse_change(&bytes(&body))
            .expect("valid")
            .into_change(&test_ctx("events"));
        assert_eq!(change.kind, ChangeKind::Other);
        assert_eq!(change.occurred_at, test_ctx("events").now);
        assert_eq!(change.commit, None);
    }

    #[test]
    fn change_errors_name_their_fields() {
        let cases: [(Value, Vec<&str>); 4] = [
            (
                json!({}),
                vec![
                    "'routing_key' is missing or blank",
                    "'payload' is missing or blank",
                ],
            ),
            (
                json!({ "routing_key": KEY, "payload": {} }),
                vec!["'payload.summary' is missing or blank"],
            ),
            (
                json!({ "routing_key": KEY, "payload": { "summary": "s".repeat(1025), "timestamp": "noon" } }),
                vec![
                    "'payload.summary' is too long (maximum is 1024 characters)",
                    "'payload.timestamp' is invalid (must be an ISO 8601 date-time, e.g. 2015-07-17T08:42:58.315+0000)",
                ],
            ),
            (
                json!({ "routing_key": KEY, "payload": { "summary": "ok" }, "links": [{}] }),
                vec!["'links[0].href' is missing or blank"],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                parse_change(&bytes(&body)).err().unwrap_or_default(),
                expected,
                "{body}"
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let ctx = test_ctx("events");
            if let Ok(event) = parse_event(&body) {
                let _ = event.into_inbound(&ctx, "g");
            }
            if let Ok(change) = parse_change(&body) {
                let _ = change.into_change(&ctx);
            }
        }

        #[test]
        fn arbitrary_json_shapes_never_panic(body in arbitrary_json(KEYS)) {
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            let _ = parse_event(&bytes);
            let _ = parse_change(&bytes);
        }

        #[test]
        fn valid_triggers_round_trip(
            summary in "[^\u{0}]{0,40}[a-zA-Z0-9][^\u{0}]{0,40}",
            source in "[a-z0-9.-]{1,30}",
            dedup_key in proptest::option::of("[ -~]{0,40}[!-~][ -~]{0,40}"),
            severity in prop_oneof![Just("critical"), Just("error"), Just("warning"), Just("info")],
        ) {
            let mut event = json!({
                "routing_key": KEY,
                "event_action": "trigger",
                "payload": { "summary": summary, "source": source, "severity": severity },
            });
            if let Some(key) = &dedup_key {
                event["dedup_key"] = json!(key);
            }
            let parsed = parse_event(&bytes(&event));
            prop_assert!(parsed.is_ok(), "{:?}", parsed);
            let parsed = parsed.unwrap_or_else(|_| unreachable!());
            prop_assert_eq!(parsed.payload.as_ref().map(|p| p.summary.clone()), Some(summary.clone()));
            prop_assert_eq!(&parsed.dedup_key, &dedup_key);
            let (key, inbound) = parsed.into_inbound(&test_ctx("events"), "generated");
            prop_assert_eq!(key.clone(), dedup_key.unwrap_or_else(|| "generated".to_string()));
            match inbound {
                Inbound::Signal(signal) => {
                    prop_assert_eq!(signal.dedup_key, format!("events:{key}"));
                    prop_assert_eq!(signal.title, truncate(&summary, TITLE_MAX));
                }
                other => prop_assert!(false, "expected a signal, got {:?}", other),
            }
        }
    }
}
