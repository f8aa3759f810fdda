//! Slack interactivity: verifying a request with the app's signing secret (`v0` scheme: an
//! HMAC-SHA256 of `v0:{timestamp}:{raw body}`, within 5 minutes), and reading which incident
//! a block action's "Acknowledge" button names and who pressed it.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use super::ParseError;

/// Requests older or newer than this are refused (Slack's own recommendation), so a captured
/// request cannot be replayed later.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// The `action_id` of the Acknowledge button in tocsin's Slack messages.
pub const ACKNOWLEDGE_ACTION: &str = "acknowledge";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackVerifyError {
    #[error("the X-Slack-Request-Timestamp header is missing or not a number")]
    BadTimestamp,
    #[error("the request is {0} s away from now; Slack requests must be under 5 minutes old")]
    Stale(i64),
    #[error("the X-Slack-Signature header does not match the body and the signing secret")]
    BadSignature,
}

pub fn verify(
    signing_secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), SlackVerifyError> {
    let stamp: i64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SlackVerifyError::BadTimestamp)?;
    let skew = now.as_second().saturating_sub(stamp);
    if skew.abs() > MAX_SKEW_SECONDS {
        return Err(SlackVerifyError::Stale(skew));
    }
    let hex = signature
        .and_then(|s| s.trim().strip_prefix("v0="))
        .ok_or(SlackVerifyError::BadSignature)?;
    let expected = decode_hex(hex).ok_or(SlackVerifyError::BadSignature)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(signing_secret)
        .map_err(|_| SlackVerifyError::BadSignature)?;
    mac.update(format!("v0:{stamp}:").as_bytes());
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SlackVerifyError::BadSignature)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// An acknowledgement asked for by a button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonAck {
    pub incident_id: String,
    /// `slack:<username>`.
    pub actor: String,
}

/// Reads a form-encoded interactivity request (`payload=<json>`). `Ok(None)` for interactions
/// that are not an Acknowledge press (they are accepted and ignored).
pub fn parse_interaction(body: &[u8]) -> Result<Option<ButtonAck>, ParseError> {
    let payload = form_urlencoded::parse(body)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| ParseError::Missing("payload".into()))?;
    let payload: serde_json::Value =
        serde_json::from_str(&payload).map_err(|e| ParseError::Json(e.to_string()))?;
    let Some(actions) = payload.get("actions").and_then(|a| a.as_array()) else {
        return Ok(None);
    };
    let Some(action) = actions.iter().find(|action| {
        action.get("action_id").and_then(|id| id.as_str()) == Some(ACKNOWLEDGE_ACTION)
    }) else {
        return Ok(None);
    };
    let incident_id = action
        .get("value")
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ParseError::Missing("actions[].value".into()))?;
    let user = payload.get("user");
    let name = user
        .and_then(|u| {
            u.get("username")
                .or_else(|| u.get("name"))
                .or_else(|| u.get("id"))
        })
        .and_then(|n| n.as_str())
        .unwrap_or("someone");
    Ok(Some(ButtonAck {
        incident_id: incident_id.to_owned(),
        actor: format!("slack:{name}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's documented example: signing secret, timestamp, body, and the signature it gives.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const STAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn slacks_documented_example_verifies() {
        assert_eq!(
            verify(
                SECRET.as_bytes(),
                Some(STAMP),
                Some(SIGNATURE),
                BODY.as_bytes(),
                at(1_531_420_618 + 10)
            ),
            Ok(())
        );
    }

    #[test]
    fn a_bad_signature_or_an_old_request_is_refused() {
        let now = at(1_531_420_618);
        assert_eq!(
            verify(b"other", Some(STAMP), Some(SIGNATURE), BODY.as_bytes(), now),
            Err(SlackVerifyError::BadSignature)
        );
        assert_eq!(
            verify(
                SECRET.as_bytes(),
                Some(STAMP),
                Some("v0=zz"),
                BODY.as_bytes(),
                now
            ),
            Err(SlackVerifyError::BadSignature)
        );
        assert!(matches!(
            verify(
                SECRET.as_bytes(),
                Some(STAMP),
                Some(SIGNATURE),
                BODY.as_bytes(),
                at(1_531_420_618 + 600)
            ),
            Err(SlackVerifyError::Stale(600))
        ));
        assert_eq!(
            verify(
                SECRET.as_bytes(),
                None,
                Some(SIGNATURE),
                BODY.as_bytes(),
                now
            ),
            Err(SlackVerifyError::BadTimestamp)
        );
    }

    #[test]
    fn an_acknowledge_press_names_the_incident_and_the_person() {
        let payload = serde_json::json!({
            "type": "block_actions",
            "user": { "id": "U1", "username": "sami", "name": "sami" },
            "actions": [{ "action_id": "acknowledge", "value": "0190-incident", "type": "button" }],
        });
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        assert_eq!(
            parse_interaction(body.as_bytes()),
            Ok(Some(ButtonAck {
                incident_id: "0190-incident".into(),
                actor: "slack:sami".into()
            }))
        );
        let other = form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "payload",
                r#"{"type":"block_actions","actions":[{"action_id":"open","value":"x"}]}"#,
            )
            .finish();
        assert_eq!(parse_interaction(other.as_bytes()), Ok(None));
        assert!(parse_interaction(b"nothing=here").is_err());
    }
}
