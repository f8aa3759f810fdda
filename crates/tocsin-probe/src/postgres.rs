//! The PostgreSQL probe: connect and run `SELECT 1` within the timeout. The DSN is a secret: it
//! never appears in an outcome or a log line, not even when the server echoes part of it.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tocsin_core::check::{CheckOutcome, PostgresCheck};

use crate::{describe_io, elapsed_ms, one_line, within};

/// Connects with the DSN, runs `SELECT 1`, and closes the connection.
pub async fn check(check: &PostgresCheck) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let dsn = check.dsn.expose();
    let verdict = within(check.timeout, select_one(dsn)).await;
    let latency_ms = elapsed_ms(started);
    match verdict {
        Ok(()) => CheckOutcome::up(None, latency_ms),
        Err(error) => CheckOutcome::down(None, latency_ms, redact(&error, dsn)),
    }
}

async fn select_one(dsn: &str) -> Result<(), String> {
    // The parser's own message can quote the DSN; say what is wrong without it.
    let options = PgConnectOptions::from_str(dsn)
        .map_err(|_| "the dsn is not a valid postgres:// connection string".to_owned())?
        .application_name("tocsin-probe")
        .disable_statement_logging();
    let mut connection = options.connect().await.map_err(describe)?;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut connection)
        .await
        .map_err(|err| format!("SELECT 1 failed: {}", describe(err)))?;
    // Closing politely is best effort: the verdict is already in.
    let _ = PgConnection::close(connection).await;
    if one == 1 {
        Ok(())
    } else {
        Err(format!("SELECT 1 answered {one}"))
    }
}

/// One line per kind of failure, in the words the on-call engineer will search the server's log
/// for (the server's own message for authentication and missing databases).
fn describe(err: sqlx::Error) -> String {
    match err {
        sqlx::Error::Io(io) => describe_io(&io),
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!(
                "the server refused: {} (SQLSTATE {code})",
                one_line(db.message())
            ),
            None => format!("the server refused: {}", one_line(db.message())),
        },
        sqlx::Error::Tls(tls) => format!("TLS failed: {}", crate::root_cause(tls.as_ref())),
        sqlx::Error::Protocol(message) => {
            format!("not a PostgreSQL server? {}", one_line(&message))
        }
        other => crate::root_cause(&other),
    }
}

/// Removes the DSN and its password from a message, whatever produced it.
fn redact(message: &str, dsn: &str) -> String {
    let mut message = message.replace(dsn, "[dsn]");
    if let Some(password) = password_of(dsn)
        && !password.is_empty()
    {
        message = message.replace(password, "[redacted]");
    }
    message
}

/// The password in `postgres://user:password@host/db`, if written there.
fn password_of(dsn: &str) -> Option<&str> {
    let rest = dsn.split_once("://")?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_carry_the_dsn_or_its_password() {
        let dsn = "postgres://app:hunter2@db.internal:5432/app";
        assert_eq!(password_of(dsn), Some("hunter2"));
        assert_eq!(password_of("postgres://app@db/app"), None);
        assert_eq!(
            redact(&format!("failed for {dsn}: password hunter2 wrong"), dsn),
            "failed for [dsn]: password [redacted] wrong"
        );
    }
}
