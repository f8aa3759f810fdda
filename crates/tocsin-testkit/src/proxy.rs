//! [`RecordingProxy`]: a real HTTP forward proxy on loopback that records every request it
//! forwards, to prove outbound requests honour `HTTP_PROXY`/`HTTPS_PROXY`. Plain `http://`
//! requests arrive in absolute form and are forwarded (one request per connection); `CONNECT`
//! (what a client does for `https://`) is recorded and tunnelled byte for byte.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxied {
    /// `GET`, `POST`, `CONNECT`, …
    pub method: String,
    /// What the request line named: an absolute URL (`http://127.0.0.1:4000/hook`), or
    /// `host:port` for `CONNECT`.
    pub target: String,
    /// Header names and values as they arrived.
    pub headers: Vec<(String, String)>,
}

/// A forward proxy that records what passes through it.
#[derive(Debug, Clone)]
pub struct RecordingProxy {
    /// `http://127.0.0.1:<port>`: the value for `HTTP_PROXY`/`HTTPS_PROXY`.
    pub url: String,
    seen: Arc<Mutex<Vec<Proxied>>>,
    arrived: Arc<Notify>,
}

impl RecordingProxy {
    /// Binds 127.0.0.1 on a free port and serves until the runtime shuts down.
    pub async fn start() -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let proxy = RecordingProxy {
            url,
            seen: Arc::default(),
            arrived: Arc::default(),
        };
        let serving = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let proxy = serving.clone();
                tokio::spawn(async move {
                    // A client that hangs up mid-request is its own problem, not the test's.
                    let _ = proxy.serve(client).await;
                });
            }
        });
        proxy
    }

    /// Every request so far, in order of arrival.
    pub fn seen(&self) -> Vec<Proxied> {
        self.lock().clone()
    }

    /// Waits (on arrivals, not on a timer) until `done` holds; panics after `limit`.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&[Proxied]) -> bool) {
        let wait = async {
            loop {
                let arrival = self.arrived.notified();
                if done(&self.seen()) {
                    return;
                }
                arrival.await;
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
            panic!(
                "the proxy did not see what was expected within {limit:?}: {:#?}",
                self.seen()
            );
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Proxied>> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn serve(&self, client: TcpStream) -> std::io::Result<()> {
        let mut client = BufReader::new(client);
        let mut line = String::new();
        client.read_line(&mut line).await?;
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return Ok(());
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            client.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        self.lock().push(Proxied {
            method: method.clone(),
            target: target.clone(),
            headers: headers.clone(),
        });
        self.arrived.notify_waiters();
        if method == "CONNECT" {
            let mut upstream = TcpStream::connect(&target).await?;
            client
                .get_mut()
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?;
            tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
            return Ok(());
        }
        // `http://host:port/path?query` → connect to host:port, send `/path?query`.
        let Some(rest) = target.strip_prefix("http://") else {
            client
                .get_mut()
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Ok(());
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let length: usize = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        client.read_exact(&mut body).await?;
        let mut request = format!("{method} {path} HTTP/1.1\r\n");
        for (name, value) in &headers {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("proxy-") || lower == "connection" {
                continue;
            }
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("connection: close\r\n\r\n");
        let mut upstream = TcpStream::connect(authority).await?;
        upstream.write_all(request.as_bytes()).await?;
        upstream.write_all(&body).await?;
        let mut answer = Vec::new();
        upstream.read_to_end(&mut answer).await?;
        client.get_mut().write_all(&answer).await?;
        client.get_mut().shutdown().await?;
        Ok(())
    }
}
