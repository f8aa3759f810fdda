//! The HTTP probe: send one request and judge the answer against an [`HttpCheck`].

use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use jiff::Timestamp;
use reqwest::Url;
use tocsin_core::check::{CheckOutcome, HttpCheck, JsonExpect, StatusRange};
use tocsin_core::format_duration;

use crate::wire::{Outgoing, next_chunk};
use crate::{Probers, elapsed_ms, one_line};

/// How much of the body `body_contains`, `body_regex` and `json` look at: more than any health
/// page needs, small enough that a probe pointed at a large download cannot exhaust memory.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Runs one HTTP check. Never fails: every problem becomes a failed [`CheckOutcome`] whose `error`
/// says, in one line, what an on-call engineer would look at first.
///
/// The whole exchange (connect, TLS, redirects, and reading the body when the body is judged) is
/// bounded by `check.timeout`; `latency_ms` covers the same span. A passing answer slower than
/// `max_latency` is degraded. Every request goes out on a new connection (`wire.rs`), verifying
/// the certificate against the probers' trusted authorities at `now`, the engine's time, unless
/// `tls_verify` is off.
pub async fn check(probers: &Probers, check: &HttpCheck, now: Timestamp) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let mut status = None;
    let verdict = match prepare(check) {
        Err(error) => Err(error),
        Ok(request) => {
            // `status` is written inside the timed future so that a body that stalls after the
            // headers still reports the status it came with.
            let exchange = exchange(probers, request, check, now, &mut status);
            match tokio::time::timeout(check.timeout, exchange).await {
                Ok(verdict) => verdict,
                Err(_elapsed) => Err(format!(
                    "timed out after {}",
                    format_duration(check.timeout)
                )),
            }
        }
    };
    let latency_ms = elapsed_ms(started);
    match verdict {
        Err(error) => CheckOutcome::down(status, latency_ms, error),
        Ok(()) => CheckOutcome {
            degraded: slower_than(latency_ms, check.max_latency),
            ..CheckOutcome::up(status, latency_ms)
        },
    }
}

/// `Some("answered in 2s500ms, slower than max_latency 2s")` when the answer was too slow.
pub(crate) fn slower_than(latency_ms: u64, max_latency: Option<Duration>) -> Option<String> {
    let max = max_latency?;
    let took = Duration::from_millis(latency_ms);
    (took > max).then(|| {
        format!(
            "answered in {}, slower than max_latency {}",
            format_duration(took),
            format_duration(max)
        )
    })
}

/// Turns the check into a request, refusing what cannot be sent before touching the network.
fn prepare(check: &HttpCheck) -> Result<Outgoing, String> {
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
        let header_value = HeaderValue::from_str(value.expose())
            .map_err(|_| format!("invalid value for header {name:?}"))?;
        headers.append(header_name, header_value);
    }
    Ok(Outgoing {
        method,
        url,
        headers,
        body: check.body.clone().map(Bytes::from),
    })
}

/// Sends the request and judges the answer. Runs under the check's timeout.
async fn exchange(
    probers: &Probers,
    request: Outgoing,
    check: &HttpCheck,
    now: Timestamp,
    status: &mut Option<u16>,
) -> Result<(), String> {
    let mut response = follow(probers, request, check, now).await?;
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

    if check.body_regex.is_some() || check.json.is_some() {
        let body = read_body(&mut response)
            .await
            .map_err(|err| describe_body_error(&err))?;
        return judge_body(&body, check);
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
            Err(err) => return Err(describe_body_error(&err)),
        }
    }
    Ok(())
}

/// Sends `request`, following up to `max_redirects` redirects itself:
/// a redirect to another host fails the check unless `follow_other_hosts`, and the request sent
/// to another host carries none of the check's own headers — an `Authorization` meant for the
/// monitored service must never reach wherever it points. `http://` to `https://` on the same
/// host is the same host. With `max_redirects = 0` the redirect is the answer.
async fn follow(
    probers: &Probers,
    request: Outgoing,
    check: &HttpCheck,
    now: Timestamp,
) -> Result<Response<Incoming>, String> {
    let origin = request.url.host_str().map(str::to_ascii_lowercase);
    let mut request = request;
    let mut hops = 0;
    loop {
        let response = probers
            .connector
            .send(&request, check.tls_verify, now, check.timeout)
            .await
            .map_err(|err| err.describe())?;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok());
        let (true, Some(location), true) =
            (status.is_redirection(), location, check.max_redirects > 0)
        else {
            return Ok(response);
        };
        if hops == check.max_redirects {
            return Err(format!(
                "too many redirects (more than {})",
                check.max_redirects
            ));
        }
        hops += 1;
        let to = request
            .url
            .join(location)
            .map_err(|err| format!("the redirect's Location is not a URL: {err}"))?;
        if !matches!(to.scheme(), "http" | "https") {
            return Err(format!(
                "redirected to a {} URL; only http and https are followed",
                to.scheme()
            ));
        }
        let host = to.host_str().map(str::to_ascii_lowercase);
        let other_host = host != origin;
        if other_host && !check.follow_other_hosts {
            return Err(format!(
                "redirected to another host ({}); set `follow_other_hosts = true` on the \
                 monitor to follow it",
                host.as_deref().unwrap_or("none")
            ));
        }
        let mut next = request.clone();
        next.url = to;
        // 303, and 301/302 after a POST (as browsers do), turn into a GET without the body.
        let method = &request.method;
        let to_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
            || matches!(status.as_u16(), 301 | 302) && method == Method::POST;
        if to_get {
            next.method = Method::GET;
            next.body = None;
            next.headers.remove(header::CONTENT_TYPE);
            next.headers.remove(header::CONTENT_LENGTH);
        }
        if other_host {
            for name in check.headers.keys() {
                next.headers.remove(name.as_str());
            }
            next.headers.remove(header::AUTHORIZATION);
            next.headers.remove(header::COOKIE);
        }
        request = next;
    }
}

/// Reads the body up to [`BODY_LIMIT`]; the rest is left unread.
async fn read_body(response: &mut Response<Incoming>) -> Result<Body, hyper::Error> {
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = next_chunk(response.body_mut()).await? {
        let room = BODY_LIMIT - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() >= room {
            return Ok(Body {
                bytes,
                truncated: true,
            });
        }
    }
    Ok(Body {
        bytes,
        truncated: false,
    })
}

/// A body read whole, or its first [`BODY_LIMIT`] bytes.
struct Body {
    bytes: Vec<u8>,
    truncated: bool,
}

impl Body {
    /// "(searched the first 1024 KiB)" when only the start was read.
    fn note(&self) -> String {
        if self.truncated {
            format!(" (searched the first {} KiB)", BODY_LIMIT / 1024)
        } else {
            String::new()
        }
    }
}

/// Judges a body read whole against `body_contains`, `body_regex` and `json`, in that order.
fn judge_body(body: &Body, check: &HttpCheck) -> Result<(), String> {
    if let Some(needle) = &check.body_contains
        && !Searcher::new(needle.as_bytes()).found_in(&body.bytes)
    {
        return Err(format!("body does not contain {needle:?}{}", body.note()));
    }
    let text = String::from_utf8_lossy(&body.bytes);
    if let Some(pattern) = &check.body_regex {
        let regex = regex::Regex::new(pattern)
            .map_err(|err| format!("invalid body_regex: {}", one_line(&err.to_string())))?;
        if !regex.is_match(&text) {
            return Err(format!("body does not match {pattern:?}{}", body.note()));
        }
    }
    if let Some(expect) = &check.json {
        if body.truncated {
            return Err(format!(
                "body is larger than {} KiB, too large to read as JSON",
                BODY_LIMIT / 1024
            ));
        }
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|err| format!("body is not JSON: {}", one_line(&err.to_string())))?;
        json_equals(&value, expect)?;
    }
    Ok(())
}

/// Checks `expect.equals` against the value at `expect.path`.
fn json_equals(value: &serde_json::Value, expect: &JsonExpect) -> Result<(), String> {
    let path = &expect.path;
    let found = json_at(value, path).ok_or_else(|| format!("JSON has nothing at {path}"))?;
    let text = match found {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text == expect.equals {
        Ok(())
    } else {
        Err(format!(
            "JSON {path} is {}, expected {:?}",
            shorten(&found.to_string()),
            expect.equals
        ))
    }
}

/// The value at a dotted path: `$.status`, `status`, `data.items.0.state` (a number indexes an
/// array). `$` or an empty path is the whole document.
pub fn json_at<'a>(value: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let path = path.trim();
    let path = path.strip_prefix('$').unwrap_or(path);
    let path = path.strip_prefix('.').unwrap_or(path);
    if path.is_empty() {
        return Some(value);
    }
    path.split('.')
        .try_fold(value, |current, step| match current {
            serde_json::Value::Object(map) => map.get(step),
            serde_json::Value::Array(items) => items.get(step.parse::<usize>().ok()?),
            _ => None,
        })
}

/// At most 80 characters of a value, so a huge object does not flood the error line.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head}…")
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
async fn search_body(
    response: &mut Response<Incoming>,
    needle: &[u8],
) -> Result<Search, hyper::Error> {
    let mut body: Vec<u8> = Vec::new();
    let mut searcher = Searcher::new(needle);
    while let Some(chunk) = next_chunk(response.body_mut()).await? {
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

/// One line for a body that broke off while being read.
fn describe_body_error(err: &hyper::Error) -> String {
    format!("error reading the body: {}", crate::root_cause(err))
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
    fn json_paths_walk_objects_and_arrays() {
        let doc = serde_json::json!({"status": "ok", "data": {"items": [{"state": "up"}, 7]}});
        assert_eq!(json_at(&doc, "$.status"), Some(&serde_json::json!("ok")));
        assert_eq!(json_at(&doc, "status"), Some(&serde_json::json!("ok")));
        assert_eq!(
            json_at(&doc, "data.items.0.state"),
            Some(&serde_json::json!("up"))
        );
        assert_eq!(json_at(&doc, "$.data.items.1"), Some(&serde_json::json!(7)));
        assert_eq!(json_at(&doc, "$"), Some(&doc));
        assert_eq!(json_at(&doc, "data.items.x"), None);
        assert_eq!(json_at(&doc, "status.deeper"), None);
        let expect = |path: &str, equals: &str| JsonExpect {
            path: path.to_owned(),
            equals: equals.to_owned(),
        };
        assert_eq!(json_equals(&doc, &expect("data.items.1", "7")), Ok(()));
        assert_eq!(
            json_equals(&doc, &expect("$.status", "down")),
            Err("JSON $.status is \"ok\", expected \"down\"".to_owned())
        );
        assert_eq!(
            json_equals(&doc, &expect("$.missing", "x")),
            Err("JSON has nothing at $.missing".to_owned())
        );
    }

    #[test]
    fn only_answers_slower_than_max_latency_are_degraded() {
        let max = Some(Duration::from_secs(2));
        assert_eq!(slower_than(2000, max), None);
        assert_eq!(slower_than(5000, None), None);
        assert_eq!(
            slower_than(2500, max).as_deref(),
            Some("answered in 2s500ms, slower than max_latency 2s")
        );
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
            body: None,
            timeout: std::time::Duration::from_secs(1),
            expect_status: vec![StatusRange::SUCCESS],
            body_contains: None,
            body_regex: None,
            json: None,
            max_latency: None,
            max_redirects: crate::MAX_REDIRECTS,
            tls_verify: true,
            follow_other_hosts: false,
        }
    }

    #[test]
    fn bad_urls_methods_and_headers_are_refused_before_sending() {
        let err = |check: &HttpCheck| prepare(check).err().unwrap_or_default();

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
        check.headers.insert(
            "Authorization".into(),
            tocsin_core::Secret::new("Bearer s3cret\n"),
        );
        let message = err(&check);
        assert_eq!(message, "invalid value for header \"Authorization\"");
        assert!(!message.contains("s3cret"));
    }
}
