//! The PostgreSQL side of `tocsin store copy`: rows moved into an empty database in ONE
//! transaction (a copy that fails half-way leaves the database as empty as it was), then each
//! identity moved past the ids it received.

use std::collections::HashMap;

use sqlx::{Postgres, Row, Transaction};
use tocsin_store::copy::{self, Cell, TABLES};
use tocsin_store::{Result, StoreError};

use crate::PgStore;

/// A copy in progress; nothing of it is visible until [`PgCopy::finish`].
#[derive(Debug)]
pub struct PgCopy {
    tx: Transaction<'static, Postgres>,
    /// Per table, its columns and whether each holds text: read once, at the table's first batch.
    text_columns: HashMap<&'static str, HashMap<String, bool>>,
}

impl PgStore {
    /// Begins a copy into this database, refusing one that already holds any row: a copy adds
    /// a whole installation, it never merges two.
    pub async fn copy_in(&self) -> Result<PgCopy> {
        let mut tx = self.pool().begin().await?;
        for table in TABLES {
            let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM {table})"
            )))
            .fetch_one(&mut *tx)
            .await?;
            if any {
                return Err(StoreError::Corrupt(format!(
                    "the PostgreSQL database is not empty (table `{table}` has rows): copy into a new, empty database"
                )));
            }
        }
        Ok(PgCopy {
            tx,
            text_columns: HashMap::new(),
        })
    }

    /// The tables this database has (the migrations' own excepted), for checking `TABLES`.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let names = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx\\_%' ORDER BY 1",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(names)
    }
}

impl PgCopy {
    /// Inserts `rows` (cells in the order of `columns`) into `table`.
    pub async fn insert(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[Vec<Cell>],
    ) -> Result<()> {
        let table = copy::known_table(table)?;
        if !self.text_columns.contains_key(table) {
            let read = self.read_text_columns(table).await?;
            self.text_columns.insert(table, read);
        }
        let text_columns = &self.text_columns[table];
        let mut kinds = Vec::with_capacity(columns.len());
        for column in columns {
            match text_columns.get(column.as_str()) {
                Some(is_text) => kinds.push(*is_text),
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "`{table}.{column}` is not a column of the PostgreSQL schema"
                    )));
                }
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        // Column names were checked against the schema above; values are all bound.
        let names = columns
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!("INSERT INTO {table} ({names}) VALUES ");
        let mut parameter = 0;
        for (index, _) in rows.iter().enumerate() {
            if index > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for column in 0..columns.len() {
                if column > 0 {
                    sql.push_str(", ");
                }
                parameter += 1;
                sql.push_str(&format!("${parameter}"));
            }
            sql.push(')');
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in rows {
            if row.len() != columns.len() {
                return Err(StoreError::Corrupt(format!(
                    "a `{table}` row has {} cells for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            for (cell, is_text) in row.iter().zip(&kinds) {
                query = match (cell, is_text) {
                    (Cell::Int(value), false) => query.bind(*value),
                    (Cell::Text(value), true) => query.bind(value.clone()),
                    (Cell::Null, false) => query.bind(None::<i64>),
                    (Cell::Null, true) => query.bind(None::<String>),
                    (Cell::Int(value), true) => query.bind(value.to_string()),
                    (Cell::Text(value), false) => {
                        query.bind(value.parse::<i64>().map_err(|_| {
                            StoreError::Corrupt(format!(
                                "`{table}` holds text `{value}` where a number belongs"
                            ))
                        })?)
                    }
                };
            }
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Moves every identity past the ids copied in, then commits the whole copy.
    pub async fn finish(mut self) -> Result<()> {
        let identities = sqlx::query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        for identity in identities {
            let table: String = identity.try_get(0)?;
            let column: String = identity.try_get(1)?;
            let table = copy::known_table(&table)?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', $1), \
                 GREATEST(coalesce(max(\"{column}\"), 0), 1), max(\"{column}\") IS NOT NULL) FROM {table}"
            )))
            .bind(&column)
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// `table`'s columns, each with whether it holds text (else a number).
    async fn read_text_columns(&mut self, table: &str) -> Result<HashMap<String, bool>> {
        let rows = sqlx::query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get::<String, _>(1)? == "text")))
            .collect()
    }
}
