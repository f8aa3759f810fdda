//! The write path on PostgreSQL: every decision's writes in one transaction, the same writes
//! as on SQLite (`tocsin_store::plan`), each as PostgreSQL SQL; deciding under per-key locks
//! so several replicas writing at once keep one open incident per key.

pub(crate) mod checks;
mod decide;
pub(crate) mod follow_up;
mod locks;
mod retry;
pub(crate) mod rows;
mod situation;

pub(crate) use decide::{HandOver, transact_in, write_plan};
pub(crate) use retry::Attempts;
pub(crate) use situation::incident_alerts;
