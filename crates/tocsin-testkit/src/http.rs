//! [`HttpSink`]: records every HTTP request it receives and answers the status the test sets.
//!
//! The same API as the `Sink` in `crates/tocsin/tests/it/support.rs` (`start`, `answer`,
//! `received`, `accepted`, `wait_until`), plus the method, query and raw body, which senders of
//! form-encoded or templated bodies need to check.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::any;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One request the sink received, and what it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The query string without the `?`, when there was one.
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
    /// The body exactly as it arrived.
    pub raw: Vec<u8>,
    pub answered: u16,
    /// When it arrived (before any hold).
    pub at: std::time::Instant,
}

impl Received {
    /// The raw body as text (lossy), for form-encoded and other non-JSON bodies.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// A header's value as text, when present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A local stand-in for Slack, a webhook receiver or a provider's HTTP API: records every request
/// (any method, any path) and answers the status the test sets (200 until told otherwise).
#[derive(Debug, Clone)]
pub struct HttpSink {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub url: String,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    /// While true, requests are recorded at once but answered only when it turns false: a
    /// receiver that hangs, to catch a sender mid-send.
    held: Arc<tokio::sync::watch::Sender<bool>>,
}

impl HttpSink {
    /// Binds 127.0.0.1 on a free port and serves until the runtime shuts down.
    pub async fn start() -> HttpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the HTTP sink");
        HttpSink::start_on(listener).await
    }

    /// Serves on a listener the test bound itself (to know the port before the sink exists, or to
    /// restart a sink on the same port).
    pub async fn start_on(listener: TcpListener) -> HttpSink {
        let url = format!("http://{}", listener.local_addr().expect("sink address"));
        let sink = HttpSink {
            url,
            status: Arc::new(AtomicU16::new(200)),
            received: Arc::default(),
            arrived: Arc::default(),
            held: Arc::new(tokio::sync::watch::channel(false).0),
        };
        let app = Router::new()
            .route("/", any(record))
            .route("/{*path}", any(record))
            .with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        sink
    }

    /// The status every following request is answered with.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Holds every answer (`true`) until released (`false`); requests are still recorded as
    /// they arrive. Released answers carry the status set when they arrived.
    pub fn hold(&self, held: bool) {
        self.held.send_replace(held);
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.lock().clone()
    }

    /// Requests answered with a 2xx: what the receiver accepted.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits (on arrivals, not on a timer) until `done` holds for what was received; panics
    /// after `limit` so a broken sender fails the test instead of hanging it.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&[Received]) -> bool) {
        if !self.wait_for(limit, done).await {
            panic!(
                "the HTTP sink did not receive what was expected within {limit:?}: {:#?}",
                self.received()
            );
        }
    }

    /// Like [`HttpSink::wait_until`], but says whether `done` came to hold within `limit`
    /// instead of panicking: for asserting that something did *not* arrive (the wait still
    /// ends at the first arrival that makes `done` true).
    pub async fn wait_for(&self, limit: Duration, done: impl Fn(&[Received]) -> bool) -> bool {
        let wait = async {
            loop {
                // Registered before the check, so an arrival between the check and the await
                // still wakes us (`notify_waiters` reaches futures created before it is called).
                let arrival = self.arrived.notified();
                if done(&self.received()) {
                    return;
                }
                arrival.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Received>> {
        // A test that panicked while holding the lock already failed; its records are still
        // worth showing.
        self.received
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "a real receiver's arrival times, for tests of real processes over real time"
)]
async fn record(
    State(sink): State<HttpSink>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let answered = sink.status.load(Ordering::SeqCst);
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    sink.lock().push(Received {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body: parsed,
        raw: body.to_vec(),
        answered,
        at: std::time::Instant::now(),
    });
    sink.arrived.notify_waiters();
    let mut held = sink.held.subscribe();
    // Ends when released, or never if the sink is dropped while holding (the test is over).
    let _ = held.wait_for(|held| !*held).await;
    StatusCode::from_u16(answered).unwrap_or(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn records_requests_and_answers_the_status_it_is_told() {
        let sink = HttpSink::start().await;
        let client = reqwest::Client::new();

        let response = client
            .post(format!("{}/hooks/a?x=1", sink.url))
            .header("x-api-key", "k1")
            .json(&serde_json::json!({ "text": "مرحبا \"quoted\"" }))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200);

        sink.answer(503);
        let response = client
            .put(format!("{}/", sink.url))
            .body("to=%2B1555&text=hi")
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 503);

        sink.wait_until(LIMIT, |received| received.len() == 2).await;
        let received = sink.received();
        assert_eq!(received[0].method, "POST");
        assert_eq!(received[0].path, "/hooks/a");
        assert_eq!(received[0].query.as_deref(), Some("x=1"));
        assert_eq!(received[0].header("x-api-key"), Some("k1"));
        assert_eq!(received[0].body["text"], "مرحبا \"quoted\"");
        assert_eq!(received[0].answered, 200);

        assert_eq!(received[1].method, "PUT");
        assert_eq!(received[1].path, "/");
        assert_eq!(received[1].body, Value::Null);
        assert_eq!(received[1].text(), "to=%2B1555&text=hi");
        assert_eq!(received[1].answered, 503);

        let accepted = sink.accepted();
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].path, "/hooks/a");
    }

    #[tokio::test]
    async fn wait_until_wakes_on_an_arrival_after_it_started_waiting() {
        let sink = HttpSink::start().await;
        let waiter = {
            let sink = sink.clone();
            tokio::spawn(async move {
                sink.wait_until(LIMIT, |received| !received.is_empty())
                    .await;
            })
        };
        reqwest::Client::new()
            .post(format!("{}/late", sink.url))
            .send()
            .await
            .expect("send");
        waiter.await.expect("the waiter saw the request");
    }

    #[tokio::test]
    #[should_panic(expected = "did not receive what was expected")]
    async fn wait_until_panics_after_its_limit() {
        let sink = HttpSink::start().await;
        sink.wait_until(Duration::from_millis(50), |received| !received.is_empty())
            .await;
    }
}
