//! The TLS probe against a real TLS server whose certificate expires three days after the test's
//! `now`, signed by a test authority the probe is told to trust.

mod support;

use std::time::Duration;

use tocsin_core::check::{Check, TlsCheck};
use tocsin_probe::Probers;

const DAY: Duration = Duration::from_secs(86_400);

fn tls(host: String, expires_within: Duration) -> Check {
    Check::Tls(TlsCheck {
        host,
        expires_within,
        timeout: support::TIMEOUT,
    })
}

#[tokio::test]
async fn a_certificate_expiring_within_expires_within_fails_saying_how_many_days_are_left() {
    let pki = support::Pki::new();
    let addr = pki.serve().await;
    let probers = Probers::with_roots(pki.roots());
    let check = tls(format!("localhost:{}", addr.port()), 14 * DAY);
    let outcome = tocsin_probe::run(&probers, &check, support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("certificate expires in 3 days (on 2026-11-30 00:00 UTC), within expires_within 2w")
    );
}

#[tokio::test]
async fn a_valid_certificate_further_out_than_expires_within_passes() {
    let pki = support::Pki::new();
    let addr = pki.serve().await;
    let probers = Probers::with_roots(pki.roots());
    for host in [format!("localhost:{}", addr.port()), addr.to_string()] {
        let outcome = tocsin_probe::run(&probers, &tls(host, DAY), support::now()).await;
        assert!(outcome.ok, "{outcome:?}");
    }
}

#[tokio::test]
async fn a_certificate_for_another_name_fails_and_still_reports_its_expiry() {
    let pki = support::Pki::for_names(&["api.tocsin.test"]);
    let addr = pki.serve().await;
    let probers = Probers::with_roots(pki.roots());
    let outcome = tocsin_probe::run(&probers, &tls(addr.to_string(), DAY), support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some(
            "certificate is not valid for 127.0.0.1; it expires in 3 days (on 2026-11-30 00:00 UTC)"
        )
    );
}

#[tokio::test]
async fn an_untrusted_chain_fails_and_still_reports_its_expiry() {
    let pki = support::Pki::new();
    let addr = pki.serve().await;
    // Trust another authority: the server's chain leads nowhere we trust.
    let probers = Probers::with_roots(support::Pki::another_authority().roots());
    let outcome = tocsin_probe::run(&probers, &tls(addr.to_string(), DAY), support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some(
            "certificate chain is not trusted (unknown issuer); it expires in 3 days (on 2026-11-30 00:00 UTC)"
        )
    );
}

#[tokio::test]
async fn an_expired_certificate_says_when_it_expired() {
    let pki = support::Pki::new();
    let addr = pki.serve().await;
    let probers = Probers::with_roots(pki.roots());
    let later: jiff::Timestamp = "2026-12-05T12:00:00Z".parse().expect("timestamp");
    let outcome = tocsin_probe::run(&probers, &tls(addr.to_string(), DAY), later).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("certificate expired 5 days ago (on 2026-11-30 00:00 UTC)")
    );
}

#[tokio::test]
async fn a_closed_port_fails_before_any_handshake() {
    let addr = support::closed_port().await;
    let outcome =
        tocsin_probe::run(&Probers::new(), &tls(addr.to_string(), DAY), support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.error.as_deref(), Some("connection refused"));
}
