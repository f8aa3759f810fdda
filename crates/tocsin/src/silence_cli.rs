//! `tocsin silence add|list|expire`: silences on a running server, through the API client.

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::Client;

#[derive(Debug, Subcommand)]
pub enum SilenceAction {
    /// Silence signals whose labels match, from now until `--for` or `--until`.
    Add {
        /// A matcher: `label=value`, or `label=~regex` (matched against the whole value).
        /// Repeat for several; all must match.
        #[arg(long = "match", value_name = "LABEL=VALUE", required = true)]
        matchers: Vec<String>,
        /// How long, like `1h` or `30m`.
        #[arg(long = "for", value_name = "DURATION", conflicts_with = "until")]
        duration: Option<String>,
        /// When it ends, in RFC 3339 (e.g. 2026-11-29T09:00:00Z).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// List silences, newest first (ended ones too).
    List,
    /// End a silence now.
    Expire { id: String },
}

/// Runs one action; the text to print.
pub async fn run(client: &Client, action: SilenceAction) -> anyhow::Result<String> {
    match action {
        SilenceAction::List => Ok(format_silences(&client.get("/api/v1/silences").await?)),
        SilenceAction::Expire { id } => {
            let expired = client
                .delete(&format!("/api/v1/silences/{}", crate::client::segment(&id)))
                .await?;
            Ok(format_silences(&json!({ "silences": [expired] })))
        }
        SilenceAction::Add {
            matchers,
            duration,
            until,
            comment,
        } => {
            let mut map = serde_json::Map::new();
            for matcher in &matchers {
                let Some((label, value)) = matcher.split_once('=') else {
                    bail!(
                        "`{matcher}` is not a matcher; write --match label=value or label=~regex"
                    );
                };
                map.insert(label.trim().to_owned(), Value::from(value.trim()));
            }
            // `--for` is counted on the server's clock: this machine's may differ.
            let mut body = json!({ "matchers": map, "comment": comment });
            match (duration, until) {
                (Some(duration), None) => {
                    tocsin_core::parse_duration(&duration)
                        .map_err(|error| anyhow::anyhow!("--for {duration}: {error}"))?;
                    body["for"] = Value::from(duration);
                }
                (None, Some(until)) => {
                    let until = until
                        .parse::<jiff::Timestamp>()
                        .with_context(|| format!("--until {until}: not an RFC 3339 time"))?;
                    body["ends_at"] = Value::from(until.to_string());
                }
                _ => bail!("say how long: --for 1h, or --until 2026-11-29T09:00:00Z"),
            }
            let created = client.post("/api/v1/silences", body).await?;
            Ok(format_silences(&json!({ "silences": [created] })))
        }
    }
}

/// One line per silence: id, in force or ended, until when, matchers, comment.
pub fn format_silences(body: &Value) -> String {
    let rows = body["silences"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "no silences\n".to_owned();
    }
    rows.iter()
        .map(|row| {
            let matchers = row["matchers"]
                .as_object()
                .map(|map| {
                    map.iter()
                        .map(|(label, value)| format!("{label}={}", value.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            format!(
                "{}  {:<7} until {}  {}  {}\n",
                row["id"].as_str().unwrap_or(""),
                if row["active"] == true {
                    "active"
                } else {
                    "ended"
                },
                row["ends_at"].as_str().unwrap_or(""),
                matchers,
                row["comment"].as_str().unwrap_or("")
            )
        })
        .collect()
}
