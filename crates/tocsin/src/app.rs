//! Assembles a running tocsin: store, engine, workers and HTTP server, and stops them gracefully.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tocsin_config::{Config, Synchronous};
use tocsin_engine::{Clock, Engine, Workers};
use tocsin_store::prelude::*;
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug)]
pub struct AppOptions {
    pub config: Arc<Config>,
    /// Overrides `server.database` (the CLI's `--database`).
    pub database: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// Start the background workers; tests leave them off and step the engine themselves.
    pub run_workers: bool,
    /// More routes to serve beside tocsin's own (the demo's pages).
    pub extra_routes: Option<axum::Router>,
}

/// A running tocsin.
#[derive(Debug)]
pub struct App {
    pub addr: SocketAddr,
    pub engine: Arc<Engine>,
    server: JoinHandle<()>,
    stop_server: oneshot::Sender<()>,
    workers: Option<Workers>,
}

/// Which backend a database URL names.
pub(crate) enum Database {
    Sqlite(String),
    Postgres(String),
}

/// The backend `url` names; a relative SQLite path lives beside the configuration file, like
/// the runbooks folder.
pub(crate) fn database(url: &str, config_path: &Path) -> Database {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Database::Postgres(url.to_owned());
    }
    let path = sqlite_path(url);
    if path.contains(":memory:") || Path::new(path).is_absolute() {
        return Database::Sqlite(url.to_owned());
    }
    let base = config_path.parent().unwrap_or(Path::new("."));
    Database::Sqlite(format!("sqlite://{}", base.join(path).display()))
}

/// The file a `sqlite:` URL (or a plain path) names.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

pub async fn open_store(config: &Config, database: Option<&str>) -> anyhow::Result<Arc<dyn Store>> {
    let store = open_store_beside_server(config, database).await?;
    store
        .release_leases()
        .await
        .context("cannot release the leases of the previous run")?;
    Ok(store)
}

/// Opens the store (applying migrations) without releasing leases: for commands such as
/// `tocsin user add` that may run while a server is working on the same database, whose claimed
/// work must stay claimed.
pub async fn open_store_beside_server(
    config: &Config,
    database_url: Option<&str>,
) -> anyhow::Result<Arc<dyn Store>> {
    let url = database_url.unwrap_or(&config.server.database);
    match database(url, &config.path) {
        Database::Sqlite(url) => {
            let options = SqliteOptions {
                synchronous_full: matches!(config.server.sqlite_synchronous, Synchronous::Full),
                ..SqliteOptions::default()
            };
            let store = SqliteStore::open(&url, &options)
                .await
                .with_context(|| format!("cannot open the database {url}"))?;
            Ok(Arc::new(store))
        }
        Database::Postgres(url) => {
            let options = PgOptions {
                lease_owner: replica_name(config),
                pool_size: config.server.database_pool,
            };
            // The URL may carry a password: the error names the server, never the URL.
            let store = PgStore::open(&url, &options).await.with_context(|| {
                format!("cannot open the PostgreSQL database at {}", redacted(&url))
            })?;
            Ok(Arc::new(store))
        }
    }
}

/// This replica's lease owner: `server.replica`, else the host name.
fn replica_name(config: &Config) -> String {
    config.server.replica.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| tocsin_store::DEFAULT_LEASE_OWNER.to_owned())
    })
}

/// A database URL fit for a log or an error: any password replaced.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or("");
            let hidden = if user_info.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

impl App {
    pub async fn start(options: AppOptions, listener: TcpListener) -> anyhow::Result<App> {
        let store = open_store(&options.config, options.database.as_deref()).await?;
        let engine = Arc::new(Engine::new(options.config.clone(), store, options.clock).await?);
        let workers = options.run_workers.then(|| Workers::start(engine.clone()));
        let mut router = tocsin_web::router(engine.clone());
        if let Some(extra) = options.extra_routes {
            router = router.merge(extra);
        }
        let addr = listener.local_addr()?;
        let (stop_server, stopped) = oneshot::channel::<()>();
        let limits = crate::serve::ServeLimits::from_config(&options.config);
        let server = tokio::spawn(crate::serve::serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        Ok(App {
            addr,
            engine,
            server,
            stop_server,
            workers,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets in-flight requests and work finish; queued work stays queued.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop_server.send(());
        self.server.await.context("the HTTP server task failed")?;
        if let Some(workers) = self.workers {
            workers.shutdown().await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_database_password_never_reaches_a_message() {
        assert_eq!(
            redacted("postgres://tocsin:s3cret@db.internal:5432/tocsin?sslmode=require"),
            "postgres://tocsin:***@db.internal:5432/tocsin?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://tocsin@db/tocsin"),
            "postgres://tocsin@db/tocsin"
        );
        assert_eq!(
            redacted("sqlite://data/tocsin.db"),
            "sqlite://data/tocsin.db"
        );
    }
}
