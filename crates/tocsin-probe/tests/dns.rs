//! The DNS probe against a DNS server run by the test on a random UDP port.

mod support;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use tocsin_core::check::{Check, DnsCheck};
use tocsin_probe::Probers;

async fn server() -> SocketAddr {
    support::dns_server(HashMap::from([(
        "api.dealix.example".to_owned(),
        vec![
            Ipv4Addr::new(203, 0, 113, 10),
            Ipv4Addr::new(203, 0, 113, 11),
        ],
    )]))
    .await
}

fn dns(resolver: SocketAddr, query: &str, expect: &[&str]) -> Check {
    Check::Dns(DnsCheck {
        query: query.to_owned(),
        record: "A".to_owned(),
        expect_values: expect.iter().map(|value| (*value).to_owned()).collect(),
        resolver: Some(resolver.to_string()),
        timeout: support::TIMEOUT,
    })
}

#[tokio::test]
async fn the_expected_address_in_the_answer_is_up() {
    let resolver = server().await;
    let check = dns(resolver, "api.dealix.example", &["203.0.113.10"]);
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(outcome.ok, "{outcome:?}");

    // Nothing expected: any answer will do.
    let check = dns(resolver, "api.dealix.example", &[]);
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(outcome.ok, "{outcome:?}");
}

#[tokio::test]
async fn an_answer_without_the_expected_address_is_down_and_says_what_it_got() {
    let resolver = server().await;
    let check = dns(resolver, "api.dealix.example", &["198.51.100.7"]);
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("A api.dealix.example is 203.0.113.10, 203.0.113.11, expected 198.51.100.7")
    );
}

#[tokio::test]
async fn a_name_that_does_not_exist_is_down() {
    let resolver = server().await;
    let check = dns(resolver, "gone.dealix.example", &[]);
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error,
        Some(format!(
            "gone.dealix.example does not exist (NXDOMAIN) at {resolver}"
        ))
    );
}

#[tokio::test]
async fn a_resolver_that_never_answers_times_out() {
    // A bound UDP socket that reads nothing: the query goes unanswered.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let mut check = dns(
        silent.local_addr().expect("addr"),
        "api.dealix.example",
        &[],
    );
    if let Check::Dns(dns) = &mut check {
        dns.timeout = std::time::Duration::from_millis(300);
    }
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(!outcome.ok);
    let error = outcome.error.unwrap_or_default();
    assert!(
        error == "timed out after 300ms" || error.ends_with("did not answer"),
        "{error}"
    );
}
