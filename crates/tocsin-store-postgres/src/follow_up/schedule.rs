//! One-row schedules (`drill_schedule`, `review_schedule`): the next due instant of a recurring
//! job, kept while its rule is unchanged so a restart neither skips nor doubles a run, and moved
//! on by exactly one replica per due instant.

use jiff::Timestamp;
use sqlx::{PgConnection, PgPool};
use tocsin_store::Result;
use tocsin_store::rows::{ms, ts_opt};

/// A schedule table's statements (static SQL: the tables differ only in name and in the column
/// holding the rule the due time was computed from).
pub(crate) struct ScheduleTable {
    delete: &'static str,
    upsert: &'static str,
    due_at: &'static str,
    advance: &'static str,
}

impl ScheduleTable {
    /// No rule: no row. A new or changed rule is first due at `first_due`; an unchanged one keeps
    /// its due time (a run missed while down stays due). One upsert, so replicas syncing the
    /// same rule at once agree: the second finds the rule unchanged and leaves the row alone.
    pub(crate) async fn sync(
        &self,
        pool: &PgPool,
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
    pub(crate) async fn due_at(&self, pool: &PgPool) -> Result<Option<Timestamp>> {
        let due: Option<i64> = sqlx::query_scalar(self.due_at).fetch_optional(pool).await?;
        ts_opt(due)
    }

    /// Moves the schedule from `due` to `next` inside the caller's transaction; `false` when it
    /// is no longer at `due`. This is what makes a run start once: a second replica's UPDATE
    /// waits for the first one's row lock, then (READ COMMITTED) re-checks `due_at = due`
    /// against the committed row, matches nothing, and its caller writes nothing.
    pub(crate) async fn advance(
        &self,
        tx: &mut PgConnection,
        due: Timestamp,
        next: Timestamp,
    ) -> Result<bool> {
        let moved = sqlx::query(self.advance)
            .bind(ms(next))
            .bind(ms(due))
            .execute(tx)
            .await?
            .rows_affected();
        Ok(moved > 0)
    }
}

pub(crate) const DRILL: ScheduleTable = ScheduleTable {
    delete: "DELETE FROM drill_schedule",
    upsert: "INSERT INTO drill_schedule (id, expr, due_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET expr = EXCLUDED.expr, due_at = EXCLUDED.due_at \
             WHERE drill_schedule.expr <> EXCLUDED.expr",
    due_at: "SELECT due_at FROM drill_schedule WHERE id = 1",
    advance: "UPDATE drill_schedule SET due_at = $1 WHERE id = 1 AND due_at = $2",
};

pub(crate) const REVIEW: ScheduleTable = ScheduleTable {
    delete: "DELETE FROM review_schedule",
    upsert: "INSERT INTO review_schedule (id, rule, due_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET rule = EXCLUDED.rule, due_at = EXCLUDED.due_at \
             WHERE review_schedule.rule <> EXCLUDED.rule",
    due_at: "SELECT due_at FROM review_schedule WHERE id = 1",
    advance: "UPDATE review_schedule SET due_at = $1 WHERE id = 1 AND due_at = $2",
};
