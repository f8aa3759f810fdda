//! The conformance story suite (`tocsin_store::conformance`) on SQLite: each story gets a fresh
//! database file, and every handle a story opens is another connection pool on that file.

use std::path::PathBuf;
use std::sync::Arc;

use tocsin_store::Store;
use tocsin_store::conformance::Backend;
use tocsin_store_sqlite::{SqliteOptions, SqliteStore};

struct SqliteBackend {
    dir: PathBuf,
}

impl SqliteBackend {
    fn fresh() -> SqliteBackend {
        let dir = std::env::temp_dir().join(format!("tocsin-conformance-{}", uuid::Uuid::now_v7()));
        SqliteBackend { dir }
    }
}

impl Drop for SqliteBackend {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[async_trait::async_trait]
impl Backend for SqliteBackend {
    async fn open(&self, owner: &str) -> Arc<dyn Store> {
        let options = SqliteOptions {
            lease_owner: owner.to_owned(),
            ..SqliteOptions::default()
        };
        let url = format!("sqlite://{}", self.dir.join("tocsin.db").display());
        Arc::new(SqliteStore::open(&url, &options).await.expect("open"))
    }
}

tocsin_store::conformance_suite!(SqliteBackend::fresh());

/// `tocsin store copy` moves the tables `tocsin_store::copy::TABLES` names: every table of the
/// SQLite schema must be among them.
#[tokio::test]
async fn the_copy_names_every_table_of_the_sqlite_schema() {
    let backend = SqliteBackend::fresh();
    let url = format!("sqlite://{}", backend.dir.join("tocsin.db").display());
    let store = SqliteStore::open(&url, &SqliteOptions::default())
        .await
        .expect("open");
    let mut copied: Vec<_> = tocsin_store::copy::TABLES.to_vec();
    copied.sort_unstable();
    assert_eq!(store.table_names().await.expect("tables"), copied);
}
