//! PeopleStore on PostgreSQL: schedule overrides, kept settings, users, sessions and API tokens.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;
use tocsin_store::rows::{self, ms};
use tocsin_store::*;

use crate::PgStore;

/// The columns [`rows::session`] reads, from `sessions s JOIN users u`.
const SESSION_COLUMNS: &str = "s.id AS session_id, s.user_id, s.csrf_token, \
     s.created_at AS session_created_at, s.last_seen_at, s.expires_at, u.*";

#[async_trait]
impl PeopleStore for PgStore {
    async fn add_override(&self, entry: &OverrideRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO overrides (id, schedule, contact, starts_at, ends_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&entry.id)
        .bind(&entry.schedule)
        .bind(&entry.contact)
        .bind(ms(entry.starts_at))
        .bind(ms(entry.ends_at))
        .bind(&entry.created_by)
        .bind(ms(entry.created_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn overrides(&self, ending_after: Timestamp) -> Result<Vec<OverrideRecord>> {
        // Ids compare byte by byte, as on SQLite, whatever the database's locale.
        sqlx::query(
            "SELECT * FROM overrides WHERE ends_at > $1 ORDER BY starts_at, id COLLATE \"C\"",
        )
        .bind(ms(ending_after))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::override_record)
        .collect()
    }

    async fn delete_override(&self, id: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM overrides WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn setting_or_insert(&self, name: &str, create: String) -> Result<String> {
        // Two statements, not one: an insert that finds another replica's row still
        // uncommitted waits for it and then does nothing, and only a statement started after
        // that (a fresh snapshot under READ COMMITTED) sees the value the other replica kept.
        // So racing replicas all return the one value stored.
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(&create)
            .execute(self.pool())
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_one(self.pool())
                .await?,
        )
    }

    async fn add_user(&self, user: &UserRecord) -> Result<bool> {
        // Unique on lower(email): an address taken in another case is refused here too.
        let inserted = sqlx::query(
            "INSERT INTO users (email, role, password_hash, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT ((lower(email))) DO NOTHING",
        )
        .bind(&user.email)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(ms(user.created_at))
        .bind(ms(user.password_changed_at))
        .execute(self.pool())
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        sqlx::query("SELECT * FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(self.pool())
            .await?
            .map(|row| rows::user(&row))
            .transpose()
    }

    async fn set_password(&self, email: &str, password_hash: &str, at: Timestamp) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET password_hash = $1, password_changed_at = $2 \
             WHERE lower(email) = lower($3) RETURNING id",
        )
        .bind(password_hash)
        .bind(ms(at))
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(false);
        };
        // Whoever knew the old password may hold a session: the change ends them all, in the
        // same transaction, so no replica sees the new password with the old sessions alive.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_session(&self, session: &SessionRecord) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        // Sweeping here keeps the table small without a worker of its own.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ms(session.created_at))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.id)
        .bind(session.user_id)
        .bind(&session.csrf_token)
        .bind(ms(session.created_at))
        .bind(ms(session.last_seen_at))
        .bind(ms(session.expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn touch_session(&self, id: &str, at: Timestamp) -> Result<()> {
        // GREATEST, in the statement: two replicas touching at once never move it back.
        sqlx::query("UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = $2")
            .bind(ms(at))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        sqlx::query("SELECT * FROM users ORDER BY lower(email) COLLATE \"C\"")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::user)
            .collect()
    }

    async fn change_user(
        &self,
        email: &str,
        change: UserChange,
        keep_an_admin: bool,
    ) -> Result<UserChanged> {
        let mut tx = self.pool().begin().await?;
        if keep_an_admin {
            // Every enabled admin's row is locked (in one order, so two callers never wait on
            // each other in a cycle) before the change: a second replica demoting the other
            // admin at once waits here, then finds only the admins still standing.
            sqlx::query(
                "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL \
                 ORDER BY id FOR UPDATE",
            )
            .fetch_all(&mut *tx)
            .await?;
        }
        let Some(before) = sqlx::query("SELECT * FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::user(&row))
            .transpose()?
        else {
            return Ok(UserChanged::NoSuchUser);
        };
        // Whoever holds a session got it under the old standing: every change ends them all,
        // in the same transaction, so no replica sees the change with the old sessions alive.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
        apply(&mut tx, before.id, change).await?;
        if keep_an_admin && enabled_admins(&mut tx).await? == 0 {
            tx.rollback().await?;
            return Ok(UserChanged::LastAdmin);
        }
        let after = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(before.id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::user(&row))
            .transpose()?;
        tx.commit().await?;
        Ok(UserChanged::Changed(after.unwrap_or(before)))
    }

    async fn live_sessions(&self, now: Timestamp) -> Result<Vec<(SessionRecord, UserRecord)>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.expires_at > $1 ORDER BY s.created_at DESC, s.id COLLATE \"C\""
        )))
        .bind(ms(now))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::session)
        .collect()
    }

    async fn add_api_token(&self, token: &ApiTokenRecord, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, role, created_at, name, expires_at, \
               last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&token.id)
        .bind(token_hash)
        .bind(token.role.as_str())
        .bind(ms(token.created_at))
        .bind(&token.name)
        .bind(token.expires_at.map(ms))
        .bind(token.last_used_at.map(ms))
        .bind(token.revoked_at.map(ms))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>> {
        // A role this version does not know grants nothing, as on SQLite.
        sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?
            .map(|row| rows::api_token(&row))
            .transpose()
    }

    async fn api_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        sqlx::query("SELECT * FROM api_tokens ORDER BY created_at, id COLLATE \"C\"")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::api_token)
            .collect()
    }

    async fn touch_api_token(&self, id: &str, at: Timestamp) -> Result<()> {
        // GREATEST, in the statement: two replicas touching at once never move it back.
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = GREATEST(coalesce(last_used_at, 0), $1) \
             WHERE id = $2",
        )
        .bind(ms(at))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn revoke_api_token(&self, id: &str, at: Timestamp) -> Result<Option<Timestamp>> {
        let revoked: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 \
             RETURNING revoked_at",
        )
        .bind(ms(at))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        revoked.map(rows::ts).transpose()
    }
}

/// Makes one [`UserChange`] to the person with this id, inside the caller's transaction.
async fn apply(tx: &mut PgConnection, id: i64, change: UserChange) -> Result<()> {
    let query = match change {
        UserChange::Disable { at } => {
            sqlx::query("UPDATE users SET disabled_at = coalesce(disabled_at, $2) WHERE id = $1")
                .bind(id)
                .bind(ms(at))
        }
        UserChange::Enable => {
            sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(id)
        }
        UserChange::SetRole(role) => sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
            .bind(id)
            .bind(role.as_str()),
        UserChange::Remove => sqlx::query("DELETE FROM users WHERE id = $1").bind(id),
    };
    query.execute(tx).await?;
    Ok(())
}

/// How many admins may still sign in.
async fn enabled_admins(tx: &mut PgConnection) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
    )
    .fetch_one(tx)
    .await?)
}
