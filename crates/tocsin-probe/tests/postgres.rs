//! The PostgreSQL probe against this machine's PostgreSQL (127.0.0.1:5432, trust auth) and a
//! closed port.

mod support;

use tocsin_core::Secret;
use tocsin_core::check::{Check, PostgresCheck};
use tocsin_probe::Probers;

fn postgres(dsn: String) -> Check {
    Check::Postgres(PostgresCheck {
        dsn: Secret::new(dsn),
        timeout: support::TIMEOUT,
    })
}

#[tokio::test]
async fn the_local_database_is_up() {
    let check = postgres("postgres://postgres@127.0.0.1:5432/postgres".into());
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(outcome.ok, "{outcome:?}");
}

#[tokio::test]
async fn a_closed_port_is_down_and_the_error_never_shows_the_dsn() {
    let addr = support::closed_port().await;
    let dsn = format!("postgres://app:hunter2@{addr}/app");
    let outcome = tocsin_probe::run(&Probers::new(), &postgres(dsn), support::now()).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.error.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn a_missing_database_is_down_with_the_servers_reason() {
    let check =
        postgres("postgres://postgres:s3cret-pw@127.0.0.1:5432/no_such_db_for_tocsin".into());
    let outcome = tocsin_probe::run(&Probers::new(), &check, support::now()).await;
    assert!(!outcome.ok);
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.contains("database \"no_such_db_for_tocsin\" does not exist"),
        "{error}"
    );
    assert!(!error.contains("s3cret-pw"), "{error}");
}
