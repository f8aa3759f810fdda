//! One-row schedules (`drill_schedule`, `review_schedule`): the next due instant of a recurring
//! job, kept while its rule is unchanged so a restart neither skips nor doubles a run.

use jiff::Timestamp;
use sqlx::SqlitePool;

use crate::rows::{ms, ts_opt};
use tocsin_store::Result;

/// A schedule table's three statements (static SQL: the tables differ only in name and in the
/// column holding the rule the due time was computed from).
pub(super) struct ScheduleTable {
    delete: &'static str,
    upsert: &'static str,
    due_at: &'static str,
}

impl ScheduleTable {
    /// No rule: no row. A new or changed rule is first due at `first_due`; an unchanged one keeps
    /// its due time (a run missed while down stays due).
    pub(super) async fn sync(
        &self,
        pool: &SqlitePool,
        rule: Option<&str>,
        first_due: Timestamp,
    ) -> Result<()> {
        match rule {
            None => {
                sqlx::query(self.delete).execute(pool).await?;
            }
            Some(rule) => {
                sqlx::query(self.upsert)
                    .bind(rule)
                    .bind(ms(first_due))
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// When the job is next due; none without a rule.
    pub(super) async fn due_at(&self, pool: &SqlitePool) -> Result<Option<Timestamp>> {
        let due: Option<i64> = sqlx::query_scalar(self.due_at).fetch_optional(pool).await?;
        ts_opt(due)
    }
}

pub(super) const DRILL: ScheduleTable = ScheduleTable {
    delete: "DELETE FROM drill_schedule",
    upsert: "INSERT INTO drill_schedule (id, expr, due_at) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET expr = excluded.expr, due_at = excluded.due_at \
             WHERE drill_schedule.expr != excluded.expr",
    due_at: "SELECT due_at FROM drill_schedule WHERE id = 1",
};

pub(super) const REVIEW: ScheduleTable = ScheduleTable {
    delete: "DELETE FROM review_schedule",
    upsert: "INSERT INTO review_schedule (id, rule, due_at) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, due_at = excluded.due_at \
             WHERE review_schedule.rule != excluded.rule",
    due_at: "SELECT due_at FROM review_schedule WHERE id = 1",
};
