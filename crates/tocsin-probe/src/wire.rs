//! One HTTP/1.1 request on a connection of its own: what the HTTP probe sends.
//!
//! The probe wants exactly what a new visitor does — look the name up, connect, shake hands, ask
//! once, read the answer, hang up — and nothing a general client adds on top: no pool (every
//! check connects afresh anyway), no proxy, no redirect layer (the check follows redirects
//! itself, `http::follow`). Built on hyper's HTTP/1.1 connection directly, a check costs about
//! two thirds of the CPU of the same check through reqwest's client with no idle connections
//! (measured with `benches/probes/floor`, see BENCHMARKS.md), and the probe path runs 333 checks
//! a second for 10,000 monitors at 30 s.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONNECTION, HOST, HeaderMap, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use reqwest::Url;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;

use crate::{one_line, os_verdict, root_cause};

/// One request as the probe sends it (and sends again, changed, to follow a redirect).
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

/// What went wrong on the wire, kept apart by stage so that the check can say where.
#[derive(Debug)]
pub(crate) enum WireError {
    /// The name did not resolve (or resolved to nothing).
    Dns(String),
    /// No connection: every address refused, or the route failed.
    Connect(io::Error),
    /// Connected, but the TLS handshake failed (an untrusted certificate, say).
    Tls(io::Error),
    /// Connected; sending the request or reading the answer's head failed.
    Http(hyper::Error),
    /// The URL could not be made into a request line.
    Request(String),
}

impl WireError {
    /// One line for the check's `error`: the operating system's verdict in an engineer's words
    /// (refused, reset), else the stage and the innermost cause. Never the URL: the check names
    /// it already, and URLs sometimes carry tokens.
    pub(crate) fn describe(&self) -> String {
        match self {
            WireError::Dns(cause) => format!("DNS lookup failed: {cause}"),
            WireError::Connect(err) => {
                os_verdict(err).unwrap_or_else(|| format!("connection failed: {}", root_cause(err)))
            }
            WireError::Tls(err) => format!("connection failed: {}", root_cause(err)),
            WireError::Http(err) => {
                os_verdict(err).unwrap_or_else(|| format!("request failed: {}", root_cause(err)))
            }
            WireError::Request(cause) => format!("invalid request: {cause}"),
        }
    }
}

/// What an HTTPS check's handshake trusts: the probers' certificate authorities, judged at the
/// engine's time (as the TLS check does: simulated time reaches certificates too), or, with
/// `tls_verify = false`, any certificate.
#[derive(Debug, Clone)]
pub(crate) struct Connector {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl Connector {
    pub(crate) fn new(roots: Arc<RootCertStore>) -> Self {
        Connector {
            roots,
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        }
    }

    /// The handshake's settings for one check at `now` (built per HTTPS check: a handshake
    /// costs far more).
    fn tls_config(&self, verify: bool, now: Timestamp) -> Result<Arc<ClientConfig>, String> {
        let time = Arc::new(crate::tls::FixedTime(now));
        let builder = ClientConfig::builder_with_details(self.provider.clone(), time)
            .with_safe_default_protocol_versions()
            .map_err(|err| format!("TLS setup failed: {err}"))?;
        let mut config = if verify {
            builder
                .with_root_certificates(self.roots.clone())
                .with_no_client_auth()
        } else {
            // The TLS check's verifier records WebPKI's verdict and lets the handshake finish;
            // nobody reads the verdict here, so any certificate is accepted while the
            // handshake's signatures are still checked.
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(crate::tls::Recording::new(
                    self.roots.clone(),
                )))
                .with_no_client_auth()
        };
        // The probe speaks HTTP/1.1 only; say so, so that no server picks h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Sends `request` on a new connection and returns the answer, its body still to be read.
    /// The caller bounds the whole exchange with its timeout; the connection is driven by a task
    /// of its own that ends when the server hangs up, the answer is dropped, or `linger` passes.
    pub(crate) async fn send(
        &self,
        request: &Outgoing,
        tls_verify: bool,
        now: Timestamp,
        linger: std::time::Duration,
    ) -> Result<Response<Incoming>, WireError> {
        let url = &request.url;
        let https = url.scheme() == "https";
        let head = head(request)?;
        // `prepare` let only http and https through: both have a known port.
        let port = url.port_or_known_default().unwrap_or(80);
        let tcp = connect(url, port).await?;
        if https {
            let config = self
                .tls_config(tls_verify, now)
                .map_err(|reason| WireError::Tls(io::Error::other(reason)))?;
            let name = server_name(url)?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(WireError::Tls)?;
            exchange(TokioIo::new(tls), head, linger).await
        } else {
            exchange(TokioIo::new(tcp), head, linger).await
        }
    }
}

/// Connects to the URL's host: a literal address directly, a name through the system's
/// resolver, trying each address in turn as a client would; the first that answers wins.
async fn connect(url: &Url, port: u16) -> Result<TcpStream, WireError> {
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|err| WireError::Dns(one_line(&err.to_string())))?
            .collect(),
        None => return Err(WireError::Dns("the URL has no host".to_owned())),
    };
    let mut last = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                // A probe sends one small request: Nagle's delay would only add latency.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(err) => last = Some(err),
        }
    }
    Err(match last {
        Some(err) => WireError::Connect(err),
        None => WireError::Dns("the name has no addresses".to_owned()),
    })
}

/// The name the TLS handshake asks for and verifies the certificate against.
fn server_name(url: &Url) -> Result<ServerName<'static>, WireError> {
    let name = match url.host() {
        Some(url::Host::Ipv4(ip)) => ServerName::IpAddress(IpAddr::V4(ip).into()),
        Some(url::Host::Ipv6(ip)) => ServerName::IpAddress(IpAddr::V6(ip).into()),
        Some(url::Host::Domain(name)) => ServerName::try_from(name.to_owned()).map_err(|_| {
            WireError::Tls(io::Error::other(format!(
                "{name:?} is not a valid host name"
            )))
        })?,
        None => return Err(WireError::Dns("the URL has no host".to_owned())),
    };
    Ok(name)
}

/// The request as hyper sends it: origin-form target (the URL's path and query), `Host` (with
/// the port when the URL names one other than its scheme's), `Connection: close` (the connection
/// is never used again, so the server may hang up as soon as it has answered), and the headers a
/// client adds when the check does not set them (`User-Agent`, `Accept`).
fn head(request: &Outgoing) -> Result<Request<Full<Bytes>>, WireError> {
    let url = &request.url;
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let uri = target
        .parse()
        .map_err(|err| WireError::Request(format!("{err}")))?;
    // `url` leaves a scheme's own port out: what is left belongs in `Host`.
    let host = url::Position::BeforeHost..url::Position::AfterPort;
    let host = HeaderValue::from_str(&url[host])
        .map_err(|err| WireError::Request(format!("host: {err}")))?;
    let mut headers = request.headers.clone();
    headers.insert(HOST, host);
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, HeaderValue::from_static(crate::USER_AGENT));
    }
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    let mut outgoing = Request::new(Full::new(request.body.clone().unwrap_or_default()));
    *outgoing.method_mut() = request.method.clone();
    *outgoing.uri_mut() = uri;
    *outgoing.headers_mut() = headers;
    Ok(outgoing)
}

/// Hands the connection to hyper, sends the request and returns the answer's head.
async fn exchange<T>(
    io: TokioIo<T>,
    request: Request<Full<Bytes>>,
    linger: std::time::Duration,
) -> Result<Response<Incoming>, WireError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(WireError::Http)?;
    // The connection reads the answer while the caller reads the body; it ends when the server
    // hangs up or the answer is dropped, and in any case by `linger` (the check's timeout), so a
    // server that never closes holds no task past its check.
    tokio::spawn(async move {
        let _ = tokio::time::timeout(linger, connection).await;
    });
    sender.send_request(request).await.map_err(WireError::Http)
}

/// The next piece of the body, or `None` at its end (trailers are skipped).
pub(crate) async fn next_chunk(body: &mut Incoming) -> Result<Option<Bytes>, hyper::Error> {
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            return Ok(Some(data));
        }
    }
    Ok(None)
}
