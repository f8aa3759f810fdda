//! A PostgreSQL database of a test's own on this machine's server: created empty, dropped when
//! the handle is, so tests run side by side and leave nothing behind.
//!
//! The server is `TOCSIN_TEST_POSTGRES` (a `postgres://` URL of a role that may create
//! databases), by default `postgres://postgres@127.0.0.1:5432/postgres`; `scripts/test` starts
//! it when it is not running.

use sqlx::{Connection, PgConnection};

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The server URL tests create their databases on.
pub fn server_url() -> String {
    std::env::var("TOCSIN_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// A fresh, empty database; dropped (closing its connections) with this handle.
#[derive(Debug)]
pub struct PgScratch {
    server: String,
    name: String,
    url: String,
}

impl PgScratch {
    /// Creates a database with a name no other test uses. Panics when the server cannot be
    /// reached, saying which one: a test that needs PostgreSQL must not pass without it.
    pub async fn create() -> PgScratch {
        let server = server_url();
        let name = format!("tocsin_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&server)
            .await
            .unwrap_or_else(|error| panic!("PostgreSQL at {server}: {error}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("create database {name}: {error}"));
        let _ = admin.close().await;
        let url = with_database(&server, &name);
        PgScratch { server, name, url }
    }

    /// The `postgres://` URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let server = self.server.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop may run inside a runtime (a test's end) or outside: a thread of its own with its
        // own runtime works in both. A database left behind is only litter, never a failure.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// `server` with its database name replaced by `name` (query parameters kept).
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let authority_end = base
        .find("://")
        .map(|scheme| scheme + 3)
        .and_then(|start| base[start..].find('/').map(|slash| start + slash))
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_options_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@db:5432?sslmode=require", "t2"),
            "postgres://u:p@db:5432/t2?sslmode=require"
        );
    }
}
