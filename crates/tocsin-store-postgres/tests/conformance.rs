//! The conformance story suite (`tocsin_store::conformance`) on PostgreSQL: each story gets a
//! database of its own on this machine's server, and every handle a story opens is another
//! replica's connection pool on it.

use std::sync::Arc;

use tocsin_store::Store;
use tocsin_store::conformance::Backend;
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

struct PgBackend {
    database: PgScratch,
}

impl PgBackend {
    async fn fresh() -> PgBackend {
        PgBackend {
            database: PgScratch::create().await,
        }
    }
}

#[async_trait::async_trait]
impl Backend for PgBackend {
    async fn open(&self, owner: &str) -> Arc<dyn Store> {
        let options = PgOptions {
            lease_owner: owner.to_owned(),
            ..PgOptions::default()
        };
        Arc::new(
            PgStore::open(self.database.url(), &options)
                .await
                .expect("open"),
        )
    }
}

tocsin_store::conformance_suite!(PgBackend::fresh().await);

/// `tocsin store copy` moves the tables `tocsin_store::copy::TABLES` names: every table of the
/// PostgreSQL schema must be among them (or among those a copy leaves out), as of SQLite's.
#[tokio::test]
async fn the_copy_names_every_table_of_the_postgres_schema() {
    let database = PgScratch::create().await;
    let store = PgStore::open(database.url(), &PgOptions::default())
        .await
        .expect("open");
    let mut tables: Vec<_> = tocsin_store::copy::TABLES.to_vec();
    tables.extend(tocsin_store::copy::NOT_COPIED);
    tables.sort_unstable();
    assert_eq!(store.table_names().await.expect("tables"), tables);
}
