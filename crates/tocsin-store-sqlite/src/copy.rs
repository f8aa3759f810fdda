//! The SQLite side of `tocsin store copy`: each table's columns, and its rows as plain cells.

use futures_util::stream::{BoxStream, StreamExt};
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Row, TypeInfo, ValueRef};
use tocsin_store::copy::{self, Cell};
use tocsin_store::{Result, StoreError};

use crate::SqliteStore;

impl SqliteStore {
    /// Every row of `table` (one of `tocsin_store::copy::TABLES`), with its column names.
    pub async fn copy_out(
        &self,
        table: &str,
    ) -> Result<(Vec<String>, BoxStream<'_, Result<Vec<Cell>>>)> {
        let table = copy::known_table(table)?;
        let columns = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        )))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch(&self.reader)
            .map(|row| cells(&row?))
            .boxed();
        Ok((columns, rows))
    }

    /// The tables this database has (SQLite's own excepted), for checking `TABLES` is whole.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let names = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(names)
    }
}

/// A row as cells, each by the type SQLite holds it in.
fn cells(row: &SqliteRow) -> Result<Vec<Cell>> {
    (0..row.columns().len())
        .map(|index| {
            let raw = row.try_get_raw(index)?;
            if raw.is_null() {
                return Ok(Cell::Null);
            }
            match raw.type_info().name() {
                "INTEGER" => Ok(Cell::Int(row.try_get(index)?)),
                "TEXT" => Ok(Cell::Text(row.try_get(index)?)),
                other => Err(StoreError::Corrupt(format!(
                    "column `{}` holds a {other}, which tocsin never writes",
                    row.columns()[index].name()
                ))),
            }
        })
        .collect()
}
