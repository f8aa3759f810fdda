//! The command-line client for a running server: `tocsin incident …` over the HTTP API.

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

/// Talks to one tocsin server with one token.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub fn new(url: &str, token: &str) -> anyhow::Result<Self> {
        // The user's environment decides: `HTTPS_PROXY`/`NO_PROXY` are honoured, as by curl.
        let http = reqwest::Client::builder()
            .build()
            .context("cannot start the HTTP client")?;
        Ok(Client {
            http,
            base: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| {
            format!(
                "cannot reach tocsin at {}; is it running, and is --url right?",
                self.base
            )
        })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let message = body["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| status.to_string());
        Err(anyhow!(Refused(message)))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    pub async fn list(&self, state: &str) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::GET,
            &format!("/api/v1/incidents?state={state}"),
            None,
        )
        .await
    }

    pub async fn show(&self, id: &str) -> anyhow::Result<(Value, Value)> {
        let incident = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/incidents/{id}"),
                None,
            )
            .await?;
        let timeline = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/incidents/{id}/timeline"),
                None,
            )
            .await?;
        Ok((incident, timeline))
    }

    pub async fn declare(
        &self,
        title: &str,
        severity: &str,
        summary: Option<&str>,
    ) -> anyhow::Result<Value> {
        let body = json!({ "title": title, "severity": severity, "summary": summary });
        self.call(reqwest::Method::POST, "/api/v1/incidents", Some(body))
            .await
    }

    pub async fn action(
        &self,
        id: &str,
        action: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/incidents/{id}/{action}"),
            Some(body.unwrap_or(json!({}))),
        )
        .await
    }
}

/// The server refused the request (as opposed to being unreachable): exit status 1.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One line per incident, newest first.
pub fn format_list(list: &Value) -> String {
    let mut out = String::new();
    let incidents = list["incidents"].as_array().cloned().unwrap_or_default();
    if incidents.is_empty() {
        return "no incidents\n".to_owned();
    }
    for incident in incidents {
        out.push_str(&format!(
            "{}  {:<6} {:<13} {}  {}\n",
            text(&incident["id"]),
            text(&incident["severity"]),
            text(&incident["state"]),
            text(&incident["opened_at"]),
            text(&incident["title"]),
        ));
    }
    out
}

pub fn format_incident(incident: &Value, timeline: Option<&Value>) -> String {
    let mut out = format!(
        "{} {}\nid:           {}\nstate:        {}\nopened:       {}\nrespond by:   {}\nacknowledged: {}\nresolved:     {}\nrunbook:      {}\nalerts:       {}\n",
        text(&incident["severity"]),
        text(&incident["title"]),
        text(&incident["id"]),
        text(&incident["state"]),
        text(&incident["opened_at"]),
        text(&incident["respond_by"]),
        text(&incident["acknowledged_at"]),
        text(&incident["resolved_at"]),
        text(&incident["runbook"]),
        text(&incident["alert_count"]),
    );
    for role in ["commander", "communications", "scribe"] {
        let holder = &incident["roles"][role];
        if !holder.is_null() {
            out.push_str(&format!(
                "{:<14}{} ({})\n",
                format!("{role}:"),
                text(&holder["name"]),
                text(&holder["id"])
            ));
        }
    }
    if !incident["merged_into"].is_null() {
        out.push_str(&format!(
            "merged into:  {}\n",
            text(&incident["merged_into"])
        ));
    }
    if !incident["snoozed_until"].is_null() {
        out.push_str(&format!(
            "snoozed until: {}\n",
            text(&incident["snoozed_until"])
        ));
    }
    if let Some(events) = timeline.and_then(|t| t["events"].as_array()) {
        out.push_str("timeline:\n");
        for event in events {
            out.push_str(&format!(
                "  {}  {:<17} {:<20} {}\n",
                text(&event["at"]),
                text(&event["kind"]),
                text(&event["actor"]),
                text(&event["text"])
            ));
        }
    }
    out
}

/// One line per schedule: who is on now, until when, and who is next.
pub fn format_oncall(body: &Value) -> String {
    let rows = body["oncall"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "no schedules\n".to_owned();
    }
    rows.iter()
        .map(|row| {
            format!(
                "{:<20} now: {:<12} until {}  next: {}\n",
                text(&row["schedule"]),
                text(&row["now"]),
                text(&row["until"]),
                text(&row["next"])
            )
        })
        .collect()
}

pub fn format_overrides(body: &Value) -> String {
    let rows = body["overrides"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "no overrides\n".to_owned();
    }
    rows.iter()
        .map(|row| {
            format!(
                "{}  {:<20} {:<12} {} → {}\n",
                text(&row["id"]),
                text(&row["schedule"]),
                text(&row["contact"]),
                text(&row["from"]),
                text(&row["until"])
            )
        })
        .collect()
}

/// A drill's report: its verdict, then one line per item (status, kind, subject, why).
pub fn format_drill(report: &Value) -> String {
    let mut out = format!(
        "drill {}: {}\nstarted:      {}\nconfirm by:   {}\nincident:     {}\nreport sent:  {}\n",
        text(&report["id"]),
        text(&report["status"]),
        text(&report["started_at"]),
        text(&report["confirm_by"]),
        text(&report["incident"]),
        text(&report["report_sent"]),
    );
    for item in report["items"].as_array().cloned().unwrap_or_default() {
        out.push_str(&format!(
            "  {:<8} {:<12} {:<28} {}\n",
            text(&item["status"]).to_uppercase(),
            text(&item["kind"]),
            text(&item["subject"]),
            text(&item["reason"]),
        ));
    }
    out
}

/// One line per drill, newest first.
pub fn format_drills(list: &Value) -> String {
    let drills = list["drills"].as_array().cloned().unwrap_or_default();
    if drills.is_empty() {
        return "no drills yet\n".to_owned();
    }
    drills
        .iter()
        .map(|drill| {
            format!(
                "{}  {:<8} {}  {}\n",
                text(&drill["id"]),
                text(&drill["status"]),
                text(&drill["started_at"]),
                text(&drill["trigger"]),
            )
        })
        .collect()
}

pub fn require(value: Option<String>, what: &str) -> anyhow::Result<String> {
    match value.filter(|v| !v.is_empty()) {
        Some(value) => Ok(value),
        None => bail!(
            "no {what}: pass --{what} or set TOCSIN_{}",
            what.to_uppercase()
        ),
    }
}

/// One URL path segment, percent-encoded.
pub fn segment(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

/// An action run for the terminal: what ran, how it ended, its output.
pub fn format_run(run: &Value) -> String {
    let mut out = format!(
        "{} {}: {}",
        text(&run["action_id"]),
        text(&run["status"]),
        text(&run["what"])
    );
    if let Some(status) = run["exit_status"].as_i64() {
        out.push_str(&format!(" (status {status})"));
    }
    out.push('\n');
    if let Some(output) = run["output"].as_str().filter(|o| !o.is_empty()) {
        out.push_str(output);
        if !output.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
