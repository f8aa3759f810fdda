//! The HTTP probe: send one request and judge the answer against an [`HttpCheck`].

use std::error::Error as _;
use std::io;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method, Request, Response, Url};
use tocsin_core::check::{CheckOutcome, HttpCheck, StatusRange};
use tocsin_core::format_duration;

use crate::MAX_REDIRECTS;

/// How much of the body `body_contains` searches: more than any health page needs, small enough
/// that a probe pointed at a large download cannot exhaust memory.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Runs one HTTP check. Never fails: every problem becomes a failed [`CheckOutcome`] whose `error`
/// says, in one line, what an on-call engineer would look at first.
///
/// The whole exchange (connect, TLS, redirects, and reading the body when `body_contains` is set)
/// is bounded by `check.timeout`; `latency_ms` covers the same span.
pub async fn check(client: &Client, check: &HttpCheck) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let mut status = None;
    let verdict = match prepare(client, check) {
        Err(error) => Err(error),
        Ok(request) => {
            // `status` is written inside the timed future so that a body that stalls after the
            // headers still reports the status it came with.
            let exchange = exchange(client, request, check, &mut status);
            match tokio::time::timeout(check.timeout, exchange).await {
                Ok(verdict) => verdict,
                Err(_elapsed) => Err(format!(
                    "timed out after {}",
                    format_duration(check.timeout)
                )),
            }
        }
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    CheckOutcome {
        ok: verdict.is_ok(),
        status,
        latency_ms,
        error: verdict.err(),
    }
}

/// Turns the check into a request, refusing what cannot be sent before touching the network.
fn prepare(client: &Client, check: &HttpCheck) -> Result<Request, String> {
    let url = Url::parse(check.url.trim()).map_err(|err| format!("invalid URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "invalid URL: scheme \"{}\" is not http or https",
            url.scheme()
        ));
    }
    let method = Method::from_bytes(check.method.as_bytes())
        .map_err(|_| format!("invalid method {:?}", check.method))?;
    let mut headers = HeaderMap::new();
    for (name, value) in &check.headers {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        // The value is not echoed: headers are where tokens live.
        let header_value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for header {name:?}"))?;
        headers.append(header_name, header_value);
    }
    client
        .request(method, url)
        .headers(headers)
        .build()
        .map_err(describe)
}

/// Sends the request and judges the answer. Runs under the check's timeout.
async fn exchange(
    client: &Client,
    request: Request,
    check: &HttpCheck,
    status: &mut Option<u16>,
) -> Result<(), String> {
    let mut response = client.execute(request).await.map_err(describe)?;
    let code = response.status().as_u16();
    *status = Some(code);

    // An empty list would fail every answer; the sensible reading is "the default", 2xx.
    let expected: &[StatusRange] = if check.expect_status.is_empty() {
        &[StatusRange::SUCCESS]
    } else {
        &check.expect_status
    };
    if !expected.iter().any(|range| range.contains(code)) {
        return Err(format!(
            "status {code}, expected {}",
            describe_ranges(expected)
        ));
    }

    if let Some(needle) = &check.body_contains {
        match search_body(&mut response, needle.as_bytes()).await {
            Ok(Search::Found) => {}
            Ok(Search::NotFound { truncated: false }) => {
                return Err(format!("body does not contain {needle:?}"));
            }
            Ok(Search::NotFound { truncated: true }) => {
                return Err(format!(
                    "body does not contain {needle:?} (searched the first {} KiB)",
                    BODY_LIMIT / 1024
                ));
            }
            Err(err) => return Err(describe(err)),
        }
    }
    Ok(())
}

/// What a body search found.
#[derive(Debug, PartialEq, Eq)]
enum Search {
    Found,
    /// `truncated`: the body was longer than [`BODY_LIMIT`] and only its start was searched.
    NotFound {
        truncated: bool,
    },
}

/// Reads the body chunk by chunk, up to [`BODY_LIMIT`], and stops as soon as `needle` shows up,
/// so a streaming endpoint that never ends still passes once it has said the word.
async fn search_body(response: &mut Response, needle: &[u8]) -> Result<Search, reqwest::Error> {
    let mut body: Vec<u8> = Vec::new();
    let mut searcher = Searcher::new(needle);
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_LIMIT - body.len();
        let take = chunk.len().min(room);
        body.extend_from_slice(&chunk[..take]);
        if searcher.found_in(&body) {
            return Ok(Search::Found);
        }
        if take < chunk.len() || body.len() == BODY_LIMIT {
            return Ok(Search::NotFound { truncated: true });
        }
    }
    Ok(Search::NotFound { truncated: false })
}

/// Incremental substring search over a growing buffer: each call only looks at bytes that could
/// start a match not already ruled out, so reading a large body in small chunks stays linear.
struct Searcher<'a> {
    needle: &'a [u8],
    /// Every match starting before this offset has been ruled out.
    next_start: usize,
}

impl<'a> Searcher<'a> {
    fn new(needle: &'a [u8]) -> Self {
        Self {
            needle,
            next_start: 0,
        }
    }

    fn found_in(&mut self, haystack: &[u8]) -> bool {
        if self.needle.is_empty() {
            return true;
        }
        let Some(tail) = haystack.get(self.next_start..) else {
            return false;
        };
        if tail
            .windows(self.needle.len())
            .any(|window| window == self.needle)
        {
            return true;
        }
        // The last `needle.len() - 1` bytes may still begin a match once more bytes arrive.
        self.next_start = haystack.len().saturating_sub(self.needle.len() - 1);
        false
    }
}

/// `200-299`, `204`, or several joined with "or".
fn describe_ranges(ranges: &[StatusRange]) -> String {
    ranges
        .iter()
        .map(|range| {
            if range.low == range.high {
                range.low.to_string()
            } else {
                format!("{}-{}", range.low, range.high)
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// One line saying what went wrong on the wire. The URL is left out: the check already names it,
/// and URLs sometimes carry tokens in their query string.
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    if err.is_redirect() {
        return format!("too many redirects (more than {MAX_REDIRECTS})");
    }
    if let Some(io) = io_error(&err) {
        match io.kind() {
            io::ErrorKind::ConnectionRefused => return "connection refused".to_owned(),
            io::ErrorKind::ConnectionReset => return "connection reset by the server".to_owned(),
            io::ErrorKind::TimedOut => return "connect timed out".to_owned(),
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                return format!("host unreachable: {}", one_line(&io.to_string()));
            }
            _ => {}
        }
    }
    let cause = root_cause(&err);
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

/// The innermost error's message: the outer layers only say "error sending request".
fn root_cause(err: &reqwest::Error) -> String {
    let mut deepest: &dyn std::error::Error = err;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    one_line(&deepest.to_string())
}

/// Error texts go into one-line fields and logs.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searcher_finds_a_needle_split_across_chunks() {
        let mut searcher = Searcher::new(b"healthy");
        let mut body = b"status: hea".to_vec();
        assert!(!searcher.found_in(&body));
        body.extend_from_slice(b"lthy\n");
        assert!(searcher.found_in(&body));
    }

    #[test]
    fn searcher_does_not_rescan_ruled_out_bytes_and_handles_short_input() {
        let mut searcher = Searcher::new(b"abc");
        assert!(!searcher.found_in(b"a"));
        assert!(!searcher.found_in(b"ab"));
        assert!(!searcher.found_in(b"abx"));
        assert_eq!(searcher.next_start, 1);
        assert!(searcher.found_in(b"abxabc"));
        assert!(Searcher::new(b"").found_in(b""));
    }

    #[test]
    fn ranges_read_like_the_configuration() {
        assert_eq!(describe_ranges(&[StatusRange::SUCCESS]), "200-299");
        assert_eq!(
            describe_ranges(&[
                StatusRange::SUCCESS,
                StatusRange {
                    low: 404,
                    high: 404
                }
            ]),
            "200-299 or 404"
        );
    }

    fn check_for(url: &str, method: &str) -> HttpCheck {
        HttpCheck {
            url: url.to_owned(),
            method: method.to_owned(),
            headers: Default::default(),
            timeout: std::time::Duration::from_secs(1),
            expect_status: vec![StatusRange::SUCCESS],
            body_contains: None,
        }
    }

    #[test]
    fn bad_urls_methods_and_headers_are_refused_before_sending() {
        let client = crate::http_client();
        let err = |check: &HttpCheck| prepare(&client, check).err().unwrap_or_default();

        assert_eq!(
            err(&check_for("not a url", "GET")),
            "invalid URL: relative URL without a base"
        );
        assert_eq!(
            err(&check_for("ftp://example.com/", "GET")),
            "invalid URL: scheme \"ftp\" is not http or https"
        );
        assert_eq!(
            err(&check_for("http://example.com/", "G ET")),
            "invalid method \"G ET\""
        );

        let mut check = check_for("http://example.com/", "GET");
        check
            .headers
            .insert("Authorization".into(), "Bearer s3cret\n".into());
        let message = err(&check);
        assert_eq!(message, "invalid value for header \"Authorization\"");
        assert!(!message.contains("s3cret"));
    }
}
