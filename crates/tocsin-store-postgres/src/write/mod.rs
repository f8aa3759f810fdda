//! The write path on PostgreSQL: every decision's writes in one transaction, the same writes
//! as on SQLite (`tocsin_store::plan`), each as PostgreSQL SQL.

pub(crate) mod checks;
pub(crate) mod follow_up;
pub(crate) mod rows;
