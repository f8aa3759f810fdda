//! Real servers on 127.0.0.1 for the probe tests: HTTP (axum), TLS with a test certificate
//! authority, and a tiny DNS server answering A records.

#![allow(dead_code, reason = "each test file uses the part it needs")]

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{RData, Record, RecordType};
use jiff::Timestamp;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// The time every check in these tests happens at; certificates are dated around it.
pub fn now() -> Timestamp {
    "2026-11-27T00:00:00Z".parse().expect("timestamp")
}

pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// A port nothing listens on: bound, then released.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("local addr")
}

/// A test certificate authority and a server certificate it signed (for `localhost` and
/// 127.0.0.1 unless told otherwise), valid from a day before [`now`] until three days after it.
pub struct Pki {
    pub ca: CertificateDer<'static>,
    pub leaf: CertificateDer<'static>,
    pub key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    pub fn new() -> Self {
        Self::for_names(&["localhost", "127.0.0.1"])
    }

    /// The same, with a server certificate for these names only.
    pub fn for_names(names: &[&str]) -> Self {
        Self::build("tocsin test CA", names)
    }

    /// An unrelated authority (its own name and key), for "the chain leads nowhere trusted".
    pub fn another_authority() -> Self {
        Self::build("another test CA", &["localhost"])
    }

    fn build(ca_name: &str, names: &[&str]) -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.not_before = date_time_ymd(2026, 1, 1);
        ca_params.not_after = date_time_ymd(2030, 1, 1);
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");

        let leaf_key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut leaf_params = CertificateParams::new(names).expect("leaf params");
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf_params.not_before = date_time_ymd(2026, 11, 26);
        leaf_params.not_after = date_time_ymd(2026, 11, 30);
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf certificate");
        Pki {
            ca: ca.der().clone(),
            leaf: leaf.der().clone(),
            key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        }
    }

    /// Trust anchors holding only the test authority.
    pub fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.clone()).expect("add the test CA");
        roots
    }

    /// A TLS server presenting the leaf (and the CA); each connection that sends anything gets a
    /// fixed `HTTP/1.1 200` answer, so HTTPS probes work against it too.
    pub async fn serve(&self) -> SocketAddr {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![self.leaf.clone(), self.ca.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut stream) = acceptor.accept(socket).await else {
                        return;
                    };
                    let mut request = [0u8; 4096];
                    if matches!(stream.read(&mut request).await, Ok(n) if n > 0) {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                            .await;
                        let _ = stream.shutdown().await;
                    }
                });
            }
        });
        addr
    }
}

/// A DNS server on a random UDP port answering A queries from `zone` (name without the final
/// dot → addresses); other names get NXDOMAIN.
pub async fn dns_server(zone: HashMap<String, Vec<Ipv4Addr>>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
    let addr = socket.local_addr().expect("local addr");
    tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        while let Ok((len, from)) = socket.recv_from(&mut buffer).await {
            let Ok(request) = Message::from_vec(&buffer[..len]) else {
                continue;
            };
            let mut response = Message::response(request.metadata.id, request.metadata.op_code);
            response.metadata.message_type = MessageType::Response;
            response.metadata.recursion_desired = request.metadata.recursion_desired;
            response.metadata.recursion_available = true;
            response.metadata.authoritative = true;
            for query in &request.queries {
                response.add_query(query.clone());
                let name = query.name().to_string();
                let name = name.trim_end_matches('.');
                match zone.get(name) {
                    Some(addresses) => {
                        if query.query_type() == RecordType::A {
                            for ip in addresses {
                                response.add_answer(Record::from_rdata(
                                    query.name().clone(),
                                    60,
                                    RData::A(A(*ip)),
                                ));
                            }
                        }
                    }
                    None => response.metadata.response_code = ResponseCode::NXDomain,
                }
            }
            if let Ok(bytes) = response.to_vec() {
                let _ = socket.send_to(&bytes, from).await;
            }
        }
    });
    addr
}

/// Five seconds: long enough for a loaded test machine, short enough to fail fast.
pub const TIMEOUT: Duration = Duration::from_secs(5);
