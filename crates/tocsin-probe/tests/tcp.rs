//! The TCP probe against a real listener and a closed port.

mod support;

use tocsin_core::check::{Check, TcpCheck};
use tocsin_probe::Probers;

fn tcp(host: String) -> Check {
    Check::Tcp(TcpCheck {
        host,
        timeout: support::TIMEOUT,
    })
}

#[tokio::test]
async fn a_listening_port_is_up() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let outcome = tocsin_probe::run(&Probers::new(), &tcp(addr.to_string()), support::now()).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.error, None);
}

#[tokio::test]
async fn a_closed_port_is_down_with_connection_refused() {
    let addr = support::closed_port().await;
    let outcome = tocsin_probe::run(&Probers::new(), &tcp(addr.to_string()), support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.error.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn a_host_without_a_port_is_refused_before_connecting() {
    let outcome =
        tocsin_probe::run(&Probers::new(), &tcp("127.0.0.1".into()), support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("invalid host \"127.0.0.1\": write it as host:port")
    );
}
