//! `tocsin store copy`: moves a single-node installation from SQLite to PostgreSQL with its
//! whole history (incidents and timelines, checks, users, sessions, tokens, post-mortem rows).
//! The source is read as it is (stop the server first); the target must be empty and gets
//! everything or nothing.

use std::path::Path;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use tocsin_store::copy::{ROWS_PER_BATCH, TABLES};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_store_sqlite::{SqliteOptions, SqliteStore};

use crate::app::{Database, database, redacted, sqlite_path};

/// Rows moved, per table, in the order they were copied.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies every table of the SQLite database at `from` into the empty PostgreSQL database at `to`.
pub async fn copy(from: &str, to: &str) -> anyhow::Result<Copied> {
    let Database::Sqlite(_) = database(from, Path::new("")) else {
        bail!(
            "--from must be the SQLite database to move (a sqlite:// URL or a path), not `{}`",
            redacted(from)
        );
    };
    let Database::Postgres(_) = database(to, Path::new("")) else {
        bail!(
            "--to must be a postgres:// URL (the database to move to), not `{}`",
            redacted(to)
        );
    };
    if from.contains(":memory:") {
        bail!("--from names an in-memory database, which holds nothing to copy");
    }
    let path = sqlite_path(from);
    if !Path::new(path).is_file() {
        bail!("there is no SQLite database at {path}");
    }
    let source = SqliteStore::open(from, &SqliteOptions::default())
        .await
        .with_context(|| format!("cannot open the SQLite database {from}"))?;
    let target = PgStore::open(to, &PgOptions::default())
        .await
        .with_context(|| format!("cannot open the PostgreSQL database at {}", redacted(to)))?;
    let mut copy = target.copy_in().await?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let (columns, rows) = source.copy_out(table).await?;
        let mut batches = rows.chunks(ROWS_PER_BATCH);
        let mut count = 0_u64;
        while let Some(batch) = batches.next().await {
            let batch = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
            copy.insert(table, &columns, &batch)
                .await
                .with_context(|| format!("cannot copy the rows of `{table}`"))?;
            count += batch.len() as u64;
        }
        copied.push((*table, count));
    }
    copy.finish().await.context("cannot commit the copy")?;
    Ok(copied)
}
