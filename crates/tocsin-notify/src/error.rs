//! What a failed delivery means: retry it (and when) or give up, with a detail a person can act on.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::StatusCode;

use crate::one_line;

/// How much of an error answer's body goes into the detail: enough for Slack's `invalid_payload` or
/// a short JSON error, not enough for an HTML error page to drown the log line.
pub const DETAIL_BODY_BYTES: usize = 200;

/// The longest `Retry-After` honoured. A receiver asking for more is treated as asking for an hour,
/// so a page is never parked for a day on one header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Why a delivery failed. `Display` is `detail`; secrets never appear in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct SendError {
    /// Whether trying again later can succeed (timeouts, 5xx, 429), as opposed to a configuration
    /// or payload problem that will fail the same way every time.
    pub retryable: bool,
    /// How long the receiver asked us to wait, already capped at [`MAX_RETRY_AFTER`].
    pub retry_after: Option<Duration>,
    /// The HTTP status, when an answer came back.
    pub status: Option<u16>,
    pub detail: String,
}

impl SendError {
    pub fn permanent(status: Option<u16>, detail: String) -> Self {
        Self {
            retryable: false,
            retry_after: None,
            status,
            detail,
        }
    }

    pub fn retryable(status: Option<u16>, detail: String) -> Self {
        Self {
            retryable: true,
            retry_after: None,
            status,
            detail,
        }
    }
}

/// Classifies an HTTP answer: 2xx is delivered; 429, 408 and 5xx are worth retrying (429 and 503
/// honour `Retry-After`); everything else, 3xx included, is permanent.
///
/// `retry_after` is the raw header value, `body` the start of the answer (only the first
/// [`DETAIL_BODY_BYTES`] are used), `now` the time of the attempt, against which an HTTP-date
/// `Retry-After` is measured.
pub fn classify(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), SendError> {
    if (200..=299).contains(&status) {
        return Ok(());
    }
    let mut detail = format!("HTTP {status}");
    if let Some(reason) = StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
    {
        detail.push(' ');
        detail.push_str(reason);
    }
    if (300..=399).contains(&status) {
        // Said outright, because "302 Found" alone reads like success.
        detail.push_str(" (redirects are not followed; use the final URL)");
    }
    let excerpt = excerpt(body);
    if !excerpt.is_empty() {
        detail.push_str(": ");
        detail.push_str(&excerpt);
    }

    match status {
        429 | 503 => Err(SendError {
            retry_after: retry_after.and_then(|value| parse_retry_after(value, now)),
            ..SendError::retryable(Some(status), detail)
        }),
        408 | 500..=599 => Err(SendError::retryable(Some(status), detail)),
        _ => Err(SendError::permanent(Some(status), detail)),
    }
}

/// Reads `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date, measured from `now`.
/// A date in the past means "now"; anything unreadable is ignored and the caller's backoff applies.
fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // All digits but too large for u64 is still "a very long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is RFC 2822 with the `GMT` zone; the
        // obsolete RFC 850 and asctime forms are not worth a parser of their own.
        let date = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(value)
            .ok()?;
        let seconds = date.as_second().saturating_sub(now.as_second());
        Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The start of the answer body on one line. A multi-byte character cut by the byte limit is
/// dropped rather than shown as garbage.
fn excerpt(body: &[u8]) -> String {
    let body = &body[..body.len().min(DETAIL_BODY_BYTES)];
    let body = match std::str::from_utf8(body) {
        Err(err) if err.error_len().is_none() => &body[..err.valid_up_to()],
        _ => body,
    };
    one_line(&String::from_utf8_lossy(body))
}

/// A request that got no answer. Only a request that could not even be built is permanent:
/// refused, reset, DNS and timeouts can all clear up.
pub(crate) fn from_transport(err: reqwest::Error) -> SendError {
    // The URL stays out: for Slack it is the secret.
    let err = err.without_url();
    let detail = describe(&err);
    if err.is_builder() {
        SendError::permanent(None, detail)
    } else {
        SendError::retryable(None, detail)
    }
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    if let Some(io) = io_error(err) {
        match io.kind() {
            io::ErrorKind::ConnectionRefused => return "connection refused".to_owned(),
            io::ErrorKind::ConnectionReset => return "connection reset by the server".to_owned(),
            io::ErrorKind::TimedOut => return "connect timed out".to_owned(),
            _ => {}
        }
    }
    let cause = root_cause(err);
    if err.is_dns() {
        format!("DNS lookup failed: {cause}")
    } else if err.is_connect() {
        format!("connection failed: {cause}")
    } else if err.is_builder() {
        format!("invalid request: {cause}")
    } else {
        format!("request failed: {cause}")
    }
}

/// The first I/O error in the chain, where the operating system's verdict (refused, reset) lives.
fn io_error(err: &reqwest::Error) -> Option<&io::Error> {
    let mut source = err.source();
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = current.source();
    }
    None
}

/// The innermost message: the outer layers only say "error sending request".
fn root_cause(err: &reqwest::Error) -> String {
    let mut deepest: &dyn std::error::Error = err;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    one_line(&deepest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-26T21:30:00Z".parse().expect("valid timestamp")
    }

    fn error(status: u16, retry_after: Option<&str>, body: &str) -> SendError {
        classify(status, retry_after, body.as_bytes(), now()).expect_err("a failure")
    }

    #[test]
    fn any_2xx_is_delivered() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(classify(status, None, b"", now()), Ok(()));
        }
    }

    #[test]
    fn server_trouble_and_timeouts_are_retryable() {
        for status in [408, 500, 502, 503, 504, 599] {
            let err = error(status, None, "");
            assert!(err.retryable, "{status}");
            assert_eq!(err.status, Some(status));
            assert_eq!(err.retry_after, None);
        }
        assert_eq!(error(502, None, "").detail, "HTTP 502 Bad Gateway");
    }

    #[test]
    fn too_many_requests_honours_retry_after_seconds() {
        let err = error(429, Some("7"), "slow down");
        assert!(err.retryable);
        assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(err.detail, "HTTP 429 Too Many Requests: slow down");
        assert_eq!(error(429, None, "").retry_after, None);
        assert_eq!(
            error(503, Some("30"), "").retry_after,
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn retry_after_dates_are_relative_to_now_and_capped() {
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 21:31:30 GMT", now()),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 21:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 21:30:00 GMT", now()),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("86400", now()), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now()),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after(" 5 ", now()),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-5", now()), None);
        assert_eq!(parse_retry_after("", now()), None);
    }

    #[test]
    fn redirects_and_other_client_errors_are_permanent_with_the_body() {
        let err = error(400, Some("7"), "invalid_payload");
        assert!(!err.retryable);
        assert_eq!(err.retry_after, None);
        assert_eq!(err.status, Some(400));
        assert_eq!(err.detail, "HTTP 400 Bad Request: invalid_payload");
        assert_eq!(err.to_string(), err.detail);

        let err = error(404, None, "channel_not_found");
        assert!(!err.retryable);
        assert_eq!(err.detail, "HTTP 404 Not Found: channel_not_found");

        let err = error(302, None, "");
        assert!(!err.retryable);
        assert_eq!(
            err.detail,
            "HTTP 302 Found (redirects are not followed; use the final URL)"
        );
        for status in [301, 401, 403, 410, 413, 422] {
            assert!(!error(status, None, "").retryable, "{status}");
        }
    }

    #[test]
    fn the_body_excerpt_is_one_line_and_at_most_200_bytes() {
        let err = error(
            400,
            None,
            &format!("line one\nline  two {}", "x".repeat(500)),
        );
        assert!(
            err.detail
                .starts_with("HTTP 400 Bad Request: line one line two xxx")
        );
        assert!(err.detail.len() <= "HTTP 400 Bad Request: ".len() + DETAIL_BODY_BYTES);

        // 199 ASCII bytes then a 3-byte character cut at byte 200: the fragment is dropped.
        let body = format!("{}€", "a".repeat(199));
        assert_eq!(excerpt(body.as_bytes()), "a".repeat(199));
        assert_eq!(excerpt(b"\xff\xfe ok"), "\u{fffd}\u{fffd} ok");
    }
}
