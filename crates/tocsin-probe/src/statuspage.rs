//! The Statuspage probe: a vendor's `/api/v2/status.json` indicator, for "is the payment provider
//! down?". `none` is up, `minor` degraded, `major` and `critical` down, each with the vendor's
//! own description.

use reqwest::Client;
use serde_json::Value;
use tocsin_core::check::{CheckOutcome, StatuspageCheck};

use crate::http::BODY_LIMIT;
use crate::{MAX_REDIRECTS, elapsed_ms, one_line, within};

/// Fetches the status JSON and reads `status.indicator`.
pub async fn check(client: &Client, check: &StatuspageCheck) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let mut status = None;
    let verdict = within(check.timeout, fetch(client, &check.url, &mut status)).await;
    let latency_ms = elapsed_ms(started);
    match verdict {
        Err(error) => CheckOutcome::down(status, latency_ms, error),
        Ok(Indicator::Operational) => CheckOutcome::up(status, latency_ms),
        Ok(Indicator::Minor(description)) => CheckOutcome {
            degraded: Some(format!("the vendor reports {description} (minor)")),
            ..CheckOutcome::up(status, latency_ms)
        },
        Ok(Indicator::Outage(description, level)) => CheckOutcome::down(
            status,
            latency_ms,
            format!("the vendor reports {description} ({level})"),
        ),
    }
}

/// What the vendor says about itself.
#[derive(Debug, PartialEq, Eq)]
enum Indicator {
    Operational,
    /// The vendor's description, like "Minor Service Outage".
    Minor(String),
    /// The description and the indicator (`major` or `critical`).
    Outage(String, String),
}

async fn fetch(client: &Client, url: &str, status: &mut Option<u16>) -> Result<Indicator, String> {
    let url = reqwest::Url::parse(url.trim()).map_err(|err| format!("invalid URL: {err}"))?;
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|err| describe(err, MAX_REDIRECTS))?;
    let code = response.status().as_u16();
    *status = Some(code);
    if !response.status().is_success() {
        return Err(format!("the status page answered {code}, expected 200-299"));
    }
    if response
        .content_length()
        .is_some_and(|length| length > BODY_LIMIT as u64)
    {
        return Err("the status page's answer is too large to be a status.json".to_owned());
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|err| describe(err, MAX_REDIRECTS))?;
    if bytes.len() > BODY_LIMIT {
        return Err("the status page's answer is too large to be a status.json".to_owned());
    }
    indicator(&bytes)
}

/// Reads `{"status": {"indicator": "...", "description": "..."}}`.
fn indicator(body: &[u8]) -> Result<Indicator, String> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        format!(
            "the status page did not answer JSON: {}",
            one_line(&err.to_string())
        )
    })?;
    let Some(indicator) = value.pointer("/status/indicator").and_then(Value::as_str) else {
        return Err("the status page's JSON has no status.indicator: is this a Statuspage /api/v2/status.json URL?".to_owned());
    };
    let description = value
        .pointer("/status/description")
        .and_then(Value::as_str)
        .map(one_line)
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| format!("indicator {indicator}"));
    match indicator {
        "none" => Ok(Indicator::Operational),
        "minor" => Ok(Indicator::Minor(description)),
        "major" | "critical" => Ok(Indicator::Outage(description, indicator.to_owned())),
        other => Err(format!(
            "the status page's indicator {:?} is not none, minor, major or critical",
            one_line(other)
        )),
    }
}

/// One line saying what went wrong on the wire. The URL is left out: the check already names it,
/// and URLs sometimes carry tokens in their query string.
fn describe(err: reqwest::Error, max_redirects: usize) -> String {
    let err = err.without_url();
    if err.is_redirect() {
        return format!("too many redirects (more than {max_redirects})");
    }
    if let Some(verdict) = crate::os_verdict(&err) {
        return verdict;
    }
    let cause = crate::root_cause(&err);
    if err.is_dns() {
        format!("DNS lookup failed: {cause}")
    } else if err.is_connect() {
        format!("connection failed: {cause}")
    } else if err.is_body() || err.is_decode() {
        format!("error reading the body: {cause}")
    } else if err.is_builder() {
        format!("invalid request: {cause}")
    } else {
        format!("request failed: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_indicator_and_refuses_other_shapes() {
        let doc = |indicator: &str, description: &str| {
            serde_json::json!({"page": {"id": "x"}, "status": {"indicator": indicator, "description": description}})
                .to_string()
        };
        assert_eq!(
            indicator(doc("none", "All Systems Operational").as_bytes()),
            Ok(Indicator::Operational)
        );
        assert_eq!(
            indicator(doc("minor", "Minor Service Outage").as_bytes()),
            Ok(Indicator::Minor("Minor Service Outage".into()))
        );
        assert_eq!(
            indicator(doc("critical", "Major Service Outage").as_bytes()),
            Ok(Indicator::Outage(
                "Major Service Outage".into(),
                "critical".into()
            ))
        );
        assert!(indicator(doc("maintenance", "").as_bytes()).is_err());
        assert!(
            indicator(b"<html>")
                .is_err_and(|e| e.starts_with("the status page did not answer JSON"))
        );
        assert!(
            indicator(b"{\"status\": \"ok\"}").is_err_and(|e| e.contains("no status.indicator"))
        );
    }
}
