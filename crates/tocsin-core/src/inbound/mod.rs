//! Inbound formats: pure functions from a request's bytes to what it means for tocsin —
//! signals, acknowledgements, changes — or a precise error naming the field. One file per format.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::signal::Signal;

pub mod alertmanager;
pub mod generic;
pub mod github;
pub mod heartbeat;
pub mod pagerduty;
pub mod railway;
pub mod sentry;
pub mod slack;
pub mod slack_app;
pub mod sms;
pub mod uptimerobot;

/// What one inbound item asks of tocsin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// An alert firing or resolved.
    Signal(Signal),
    /// Acknowledge the incident holding the alert with this dedup key (PagerDuty `acknowledge`).
    Acknowledge { dedup_key: String, actor: String },
    /// A deploy, merge or push: recorded on the change log, never pages.
    Change(Change),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Deploy,
    Merge,
    Push,
    Other,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Merge => "merge",
            ChangeKind::Push => "push",
            ChangeKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "deploy" => Some(ChangeKind::Deploy),
            "merge" => Some(ChangeKind::Merge),
            "push" => Some(ChangeKind::Push),
            "other" => Some(ChangeKind::Other),
            _ => None,
        }
    }
}

/// A change to production, as a source reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `integration:<id>`.
    pub source: String,
    pub kind: ChangeKind,
    /// The source's id for it (deployment id, PR number, commit sha); with `source` it is unique.
    pub external_id: Option<String>,
    pub summary: String,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub author: Option<String>,
    /// The source's status word (`success`, `failed`, `building`, …), if it has one.
    pub status: Option<String>,
    pub url: Option<String>,
    pub occurred_at: Timestamp,
    pub details: serde_json::Value,
}

/// What a parser needs to know of the integration that received the request.
#[derive(Debug, Clone, Default)]
pub struct IntegrationContext {
    /// The integration's id: signals get `source = "integration:<id>"`.
    pub id: String,
    /// The severity when the payload's own does not map.
    pub severity: Option<String>,
    /// The tool's severity word → a tocsin severity id.
    pub severity_map: BTreeMap<String, String>,
    /// Alertmanager: which label holds the severity word (default `severity`).
    pub severity_label: Option<String>,
    pub category: Option<String>,
    pub component: Option<String>,
    pub runbook: Option<String>,
    /// The receiving time: the default for a payload's missing timestamps.
    pub now: Timestamp,
}

impl IntegrationContext {
    pub fn source(&self) -> String {
        format!("integration:{}", self.id)
    }

    /// Maps the tool's severity word, falling back to the integration's default.
    pub fn map_severity(&self, word: Option<&str>) -> Option<String> {
        word.and_then(|word| {
            self.severity_map
                .get(word)
                .or_else(|| self.severity_map.get(&word.to_lowercase()))
        })
        .cloned()
        .or_else(|| self.severity.clone())
    }
}

/// Why a request's body was refused. `Display` names the field and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("`{0}` is required")]
    Missing(String),
    #[error("`{field}` {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl ParseError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

// ── Helpers shared by the format parsers ──────────────────────────────────────────────────────────
// Parsers walk `serde_json::Value` by hand rather than deriving structs: a derived struct reports
// "missing field `x` at line 1 column 40", while these name the whole path (`alerts[3].status`).

type Object = serde_json::Map<String, serde_json::Value>;

/// Parses a body as JSON, or says why it is not.
pub(crate) fn parse_json(body: &[u8]) -> Result<serde_json::Value, ParseError> {
    serde_json::from_slice(body).map_err(|err| ParseError::Json(err.to_string()))
}

/// The value as a JSON object, or an error naming `path`.
pub(crate) fn as_object<'a>(
    value: &'a serde_json::Value,
    path: &str,
) -> Result<&'a Object, ParseError> {
    value
        .as_object()
        .ok_or_else(|| ParseError::invalid(path, "must be a JSON object"))
}

/// `parent.key` for error messages; the top level has no prefix.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// An optional object member: absent or `null` is `None`; any other non-object is an error.
pub(crate) fn opt_object<'a>(
    obj: &'a Object,
    key: &str,
    parent: &str,
) -> Result<Option<&'a Object>, ParseError> {
    match obj.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ParseError::invalid(
            join(parent, key),
            "must be a JSON object",
        )),
    }
}

/// A required object member.
pub(crate) fn req_object<'a>(
    obj: &'a Object,
    key: &str,
    parent: &str,
) -> Result<&'a Object, ParseError> {
    opt_object(obj, key, parent)?.ok_or_else(|| ParseError::Missing(join(parent, key)))
}

/// An optional string member: absent, `null` or blank is `None`; a non-string is an error.
pub(crate) fn opt_str<'a>(
    obj: &'a Object,
    key: &str,
    parent: &str,
) -> Result<Option<&'a str>, ParseError> {
    match obj.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => {
            Ok(Some(text.as_str()).filter(|text| !text.trim().is_empty()))
        }
        Some(_) => Err(ParseError::invalid(join(parent, key), "must be a string")),
    }
}

/// A required, non-blank string member.
pub(crate) fn req_str<'a>(obj: &'a Object, key: &str, parent: &str) -> Result<&'a str, ParseError> {
    opt_str(obj, key, parent)?.ok_or_else(|| ParseError::Missing(join(parent, key)))
}

/// An optional id: senders disagree on whether ids are strings or numbers (GitHub uses numbers,
/// Sentry strings), and the id is only ever compared, so both become a string.
pub(crate) fn opt_id(obj: &Object, key: &str, parent: &str) -> Result<Option<String>, ParseError> {
    match obj.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => {
            Ok(Some(text.trim().to_string()).filter(|text| !text.is_empty()))
        }
        Some(serde_json::Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(ParseError::invalid(
            join(parent, key),
            "must be a string or a number",
        )),
    }
}

/// A string at a path of nested objects, if every step is there; never an error. For optional
/// decoration (links, names) where a malformed value is better ignored than refused.
pub(crate) fn lookup_str<'a>(value: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(serde_json::Value::as_str)
        .filter(|text| !text.trim().is_empty())
}

/// Like [`lookup_str`], but numbers are accepted and printed.
pub(crate) fn lookup_id(value: &serde_json::Value, path: &[&str]) -> Option<String> {
    match path.iter().try_fold(value, |value, key| value.get(key))? {
        serde_json::Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Parses an RFC 3339 / ISO 8601 timestamp. Also takes the `+0000` offset (no colon) that
/// PagerDuty's own examples use, which strict RFC 3339 parsers refuse.
pub(crate) fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    // `…+HHMM` → `…+HH:MM`. Only when the last five characters are a sign and four digits.
    let split = text.len().checked_sub(5)?;
    let (head, tail) = (text.get(..split)?, text.get(split..)?);
    let bytes = tail.as_bytes();
    let signed = matches!(bytes.first(), Some(b'+' | b'-'));
    if signed && bytes.iter().skip(1).all(u8::is_ascii_digit) {
        let fixed = format!("{head}{}:{}", tail.get(..3)?, tail.get(3..)?);
        return fixed.parse::<Timestamp>().ok();
    }
    None
}

/// A timestamp only if it is after 1970: Go's zero time (`0001-01-01T00:00:00Z`, Alertmanager's
/// `endsAt` while firing) parses fine but means "unset".
pub(crate) fn meaningful(ts: Timestamp) -> Option<Timestamp> {
    (ts > Timestamp::UNIX_EPOCH).then_some(ts)
}

/// Unix seconds (as a number or a numeric string, possibly fractional) to a timestamp.
pub(crate) fn unix_seconds(value: &serde_json::Value) -> Option<Timestamp> {
    let seconds = match value {
        serde_json::Value::Number(number) => number.as_f64()?,
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    // Reject NaN, negatives and anything past jiff's range before converting.
    if !(0.0..=253_402_207_200.0).contains(&seconds) {
        return None;
    }
    // In range by the check above, so the cast cannot saturate.
    let millis = (seconds * 1000.0).round() as i64;
    Timestamp::from_millisecond(millis)
        .ok()
        .and_then(meaningful)
}

/// The first line of a text, trimmed: commit messages put the subject first.
pub(crate) fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
}

/// At most `max` characters, with `…` when cut: titles must stay short in every channel.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let kept: String = text.chars().take(max.saturating_sub(1)).collect();
            format!("{kept}…")
        }
    }
}

/// How long a signal's title may be; longer text goes to the summary.
pub(crate) const TITLE_MAX: usize = 200;

/// Decodes lowercase or uppercase hex; `None` on odd length or a non-hex character.
pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(byte: u8) -> Option<u8> {
        match byte {
            b'0'..=b'9' => Some(byte - b'0'),
            b'a'..=b'f' => Some(byte - b'a' + 10),
            b'A'..=b'F' => Some(byte - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(*pair.first()?)? << 4 | nibble(*pair.get(1)?)?))
        .collect()
}

/// HMAC-SHA256 over the concatenated parts, ready to verify. HMAC takes keys of any length, so
/// `None` never happens in practice; it keeps the function free of a panic path.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<hmac::Hmac<sha2::Sha256>> {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// Checks a hex HMAC-SHA256 of `body` in constant time (the comparison, not the hex decoding,
/// is what leaks timing about the expected value).
pub(crate) fn verify_hex_hmac(secret: &[u8], hex: &str, body: &[u8]) -> bool {
    use hmac::Mac;
    let (Some(tag), Some(mac)) = (decode_hex(hex.trim()), hmac_sha256(secret, &[body])) else {
        return false;
    };
    mac.verify_slice(&tag).is_ok()
}

/// A `details` object from named parts, leaving out the absent ones. Every format puts its links
/// under `links` as `[{"href", "text"}]`, so the web UI and notices render them one way.
pub(crate) fn details<const N: usize>(
    parts: [(&str, Option<serde_json::Value>); N],
) -> serde_json::Value {
    let map: Object = parts
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?)))
        .filter(|(_, value)| !value.is_null())
        .collect();
    serde_json::Value::Object(map)
}

/// One `{"href", "text"}` entry for `details.links`, if there is a URL.
pub(crate) fn link(href: Option<&str>, text: &str) -> Option<serde_json::Value> {
    href.map(|href| serde_json::json!({ "href": href, "text": text }))
}

/// `details.links` from candidate links, dropping the absent ones; `None` when there are none.
pub(crate) fn links(
    candidates: impl IntoIterator<Item = Option<serde_json::Value>>,
) -> Option<serde_json::Value> {
    let list: Vec<serde_json::Value> = candidates.into_iter().flatten().collect();
    (!list.is_empty()).then_some(serde_json::Value::Array(list))
}

/// An optional string as a JSON value, for [`details`].
pub(crate) fn text(value: Option<&str>) -> Option<serde_json::Value> {
    value.map(serde_json::Value::from)
}

/// A context like a configured integration's, shared by the format tests.
#[cfg(test)]
pub(crate) fn test_ctx(id: &str) -> IntegrationContext {
    let severity_map = [
        ("critical", "SEV-1"),
        ("page", "SEV-1"),
        ("error", "SEV-2"),
        ("warning", "SEV-3"),
        ("info", "SEV-4"),
    ]
    .into_iter()
    .map(|(word, id)| (word.to_string(), id.to_string()))
    .collect();
    IntegrationContext {
        id: id.to_string(),
        severity: Some("SEV-2".into()),
        severity_map,
        severity_label: None,
        category: Some("backend".into()),
        component: Some("api".into()),
        runbook: Some("api-errors".into()),
        now: "2026-03-01T12:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH),
    }
}

/// Arbitrary JSON for property tests, biased toward `words` (the keys and values a format reads)
/// so that deep checks run, not just the first type test.
#[cfg(test)]
pub(crate) fn arbitrary_json(
    words: &'static [&'static str],
) -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::Value;
    let word = proptest::sample::select(words).prop_map(str::to_string);
    let key = prop_oneof![3 => word.clone(), 1 => "[a-zA-Z*]{0,8}"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        word.prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
        Just(Value::from("2026-03-01T12:00:00Z")),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_in_the_shapes_senders_use() {
        let cases = [
            ("2026-03-01T12:00:00Z", Some("2026-03-01T12:00:00Z")),
            (
                "2021-10-12T09:51:03.157076+02:00",
                Some("2021-10-12T07:51:03.157076Z"),
            ),
            // PagerDuty's own example: an offset without a colon.
            (
                "2015-07-17T08:42:58.315+0000",
                Some("2015-07-17T08:42:58.315Z"),
            ),
            ("2015-07-17T10:42:58-0130", Some("2015-07-17T12:12:58Z")),
            (
                "2019-08-19T21:06:17.677000Z",
                Some("2019-08-19T21:06:17.677Z"),
            ),
            ("yesterday", None),
            ("2015-07-17T08:42:58", None),
            ("", None),
            ("+0000", None),
            ("é+0000", None),
        ];
        for (text, expected) in cases {
            let got = parse_timestamp(text).map(|ts| ts.to_string());
            assert_eq!(got.as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn go_zero_time_is_not_meaningful() {
        let zero = parse_timestamp("0001-01-01T00:00:00Z");
        assert!(zero.is_some());
        assert_eq!(zero.and_then(meaningful), None);
    }

    #[test]
    fn unix_seconds_accept_numbers_and_numeric_strings() {
        let expected: Timestamp = "2019-08-19T21:06:17.677Z".parse().unwrap_or_default();
        assert_eq!(
            unix_seconds(&serde_json::json!(1_566_248_777.677)),
            Some(expected)
        );
        assert_eq!(
            unix_seconds(&serde_json::json!("1566248777.677")),
            Some(expected)
        );
        assert_eq!(unix_seconds(&serde_json::json!(-5)), None);
        assert_eq!(unix_seconds(&serde_json::json!(1e300)), None);
        assert_eq!(unix_seconds(&serde_json::json!("soon")), None);
        assert_eq!(unix_seconds(&serde_json::json!(null)), None);
    }

    #[test]
    fn hex_decoding_rejects_odd_lengths_and_non_hex() {
        assert_eq!(decode_hex("00ff7A"), Some(vec![0, 255, 122]));
        assert_eq!(decode_hex(""), Some(vec![]));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("é1"), None);
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn first_line_skips_blank_lines() {
        assert_eq!(
            first_line("\n  Fix checkout totals  \n\nLonger body"),
            "Fix checkout totals"
        );
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn errors_name_their_field() {
        assert_eq!(
            ParseError::Missing("alerts[3].status".into()).to_string(),
            "`alerts[3].status` is required"
        );
        let invalid = ParseError::invalid("alerts[3].status", "must be \"firing\" or \"resolved\"");
        assert_eq!(
            invalid.to_string(),
            "`alerts[3].status` must be \"firing\" or \"resolved\""
        );
    }
}
