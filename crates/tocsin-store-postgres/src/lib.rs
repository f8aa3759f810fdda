//! tocsin-store-postgres: the PostgreSQL backend of `tocsin_store`, for several replicas on one
//! database. Every replica decides through the same rules as the SQLite backend
//! (`tocsin_store::plan`, `tocsin_store::rows`); what SQLite gets from its single writer,
//! PostgreSQL gets from the database itself: per-key transaction locks for deciding, leases
//! claimed with `FOR UPDATE SKIP LOCKED` for due work, and an advisory lock around migrations.

mod changes;
mod chat_messages;
mod copy;
mod due_work;
mod follow_up;
mod intake;
mod monitors;
mod people;
mod silences;
mod status_page;
mod write;

use std::time::Duration;

pub use copy::PgCopy;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tocsin_store::{Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How a replica connects.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Who this replica's claims are leased to (see `tocsin_store::Queue`): unique per replica.
    pub lease_owner: String,
    /// Connections this replica keeps at most.
    pub pool_size: u32,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            lease_owner: tocsin_store::DEFAULT_LEASE_OWNER.to_owned(),
            pool_size: 8,
        }
    }
}

/// One replica's handle on the shared database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    lease_owner: String,
    /// Other replicas' changes, heard (see `changes.rs`).
    changes: std::sync::Arc<changes::Changes>,
}

impl PgStore {
    /// Connects to a `postgres://` URL (TLS as its `sslmode`, `sslrootcert`, `sslcert` and
    /// `sslkey` say) and applies the migrations. Two replicas starting together do not race:
    /// the migrations run under a PostgreSQL advisory lock, so the second waits, then finds
    /// them applied. A database migrated by a newer tocsin is refused (see `MIGRATOR`).
    pub async fn open(url: &str, options: &PgOptions) -> Result<Self> {
        let connect: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(options.pool_size.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect.application_name("tocsin"))
            .await?;
        migrate(&pool).await?;
        let changes = std::sync::Arc::new(changes::Changes::listen(&pool).await?);
        Ok(PgStore {
            pool,
            lease_owner: options.lease_owner.clone(),
            changes,
        })
    }

    /// How many changes other replicas made to incidents and timelines this store has heard
    /// of, to wait on (`IncidentStore::changes_elsewhere` reads the same count).
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.watch()
    }

    /// The connection pool, for the parts' queries.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Migrates, under sqlx's advisory lock (two replicas starting together do not race). sqlx
/// refuses a database holding a migration it does not know; when that migration is newer than
/// every one this tocsin has, the error says so in tocsin's words. (During a rolling upgrade the
/// new replicas migrate first, expand-only, and the old ones keep running until replaced; an old
/// replica *starting* on the newer schema is what this refuses.)
async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await.map_err(|error| {
        let known = MIGRATOR
            .iter()
            .map(|migration| migration.version)
            .max()
            .unwrap_or(0);
        match error {
            sqlx::migrate::MigrateError::VersionMissing(applied) if applied > known => {
                StoreError::NewerSchema { applied, known }
            }
            other => other.into(),
        }
    })
}

/// A stored value the core cannot take back.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}
