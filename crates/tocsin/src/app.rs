//! Assembles a running tocsin: store, engine, workers and HTTP server, and stops them gracefully.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use tocsin_config::{Config, Synchronous};
use tocsin_engine::{Clock, Engine, Workers};
use tocsin_store::prelude::*;
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
    server: JoinHandle<std::io::Result<()>>,
    stop_server: oneshot::Sender<()>,
    workers: Option<Workers>,
}

/// Where a relative SQLite path lives: beside the configuration file, like the runbooks folder.
fn database_url(url: &str, config_path: &Path) -> anyhow::Result<String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        bail!("PostgreSQL is not supported by this build yet; use a sqlite:// database");
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.contains(":memory:") || Path::new(path).is_absolute() {
        return Ok(url.to_owned());
    }
    let base = config_path.parent().unwrap_or(Path::new("."));
    Ok(format!("sqlite://{}", base.join(path).display()))
}

pub async fn open_store(
    config: &Config,
    database: Option<&str>,
) -> anyhow::Result<Arc<SqliteStore>> {
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
    database: Option<&str>,
) -> anyhow::Result<Arc<SqliteStore>> {
    let url = database_url(database.unwrap_or(&config.server.database), &config.path)?;
    let options = SqliteOptions {
        synchronous_full: matches!(config.server.sqlite_synchronous, Synchronous::Full),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(&url, &options)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    Ok(Arc::new(store))
}

impl App {
    pub async fn start(options: AppOptions, listener: TcpListener) -> anyhow::Result<App> {
        let store = open_store(&options.config, options.database.as_deref()).await?;
        let store: Arc<dyn Store> = store;
        let engine = Arc::new(Engine::new(options.config.clone(), store, options.clock).await?);
        let workers = options.run_workers.then(|| Workers::start(engine.clone()));
        let mut router = tocsin_web::router(engine.clone());
        if let Some(extra) = options.extra_routes {
            router = router.merge(extra);
        }
        let addr = listener.local_addr()?;
        let (stop_server, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
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
        self.server.await.context("the HTTP server task failed")??;
        if let Some(workers) = self.workers {
            workers.shutdown().await;
        }
        Ok(())
    }
}
