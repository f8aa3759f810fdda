//! PeopleStore on SQLite: schedule overrides, kept settings, users, sessions and API tokens.
//! Reads go to the reader pool, never waiting for the write turn; writes take the turn.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::SqliteConnection;
use tocsin_store::*;

use crate::SqliteStore;
use crate::rows::{self, ms, ts};

/// The columns [`rows::session`] reads, from `sessions s JOIN users u`.
const SESSION_COLUMNS: &str = "s.id AS session_id, s.user_id, s.csrf_token, \
     s.created_at AS session_created_at, s.last_seen_at, s.expires_at, u.*";

#[async_trait]
impl PeopleStore for SqliteStore {
    async fn add_override(&self, entry: &OverrideRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO overrides (id, schedule, contact, starts_at, ends_at, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&entry.id)
        .bind(&entry.schedule)
        .bind(&entry.contact)
        .bind(ms(entry.starts_at))
        .bind(ms(entry.ends_at))
        .bind(&entry.created_by)
        .bind(ms(entry.created_at))
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    async fn overrides(&self, ending_after: Timestamp) -> Result<Vec<OverrideRecord>> {
        // On a reader: it sees every committed override, and the roster read before each
        // group commit must not wait for the write turn.
        let rows = sqlx::query("SELECT * FROM overrides WHERE ends_at > ? ORDER BY starts_at, id")
            .bind(ms(ending_after))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(rows::override_record).collect()
    }

    async fn delete_override(&self, id: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM overrides WHERE id = ?")
            .bind(id)
            .execute(&*self.writer.turn().await)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn setting_or_insert(&self, name: &str, create: String) -> Result<String> {
        // One turn for both statements: the value read back is the one this call saw stored.
        let turn = self.writer.turn().await;
        sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(&create)
            .execute(&*turn)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_one(&*turn)
                .await?,
        )
    }

    async fn add_user(&self, user: &UserRecord) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO users (email, role, password_hash, created_at, password_changed_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user.email)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(ms(user.created_at))
        .bind(ms(user.password_changed_at))
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        // A reader sees every committed change: sqlx resets each statement when it is done,
        // so no reader keeps an older snapshot; a password just changed is the one checked.
        sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.reader)
            .await?
            .map(|row| rows::user(&row))
            .transpose()
    }

    async fn set_password(&self, email: &str, password_hash: &str, at: Timestamp) -> Result<bool> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE email = ? RETURNING id",
        )
        .bind(password_hash)
        .bind(ms(at))
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(false);
        };
        // Whoever knew the old password may hold a session: the change ends them all.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_session(&self, session: &SessionRecord) -> Result<()> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        // Sweeping here keeps the table small without a worker of its own.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(ms(session.created_at))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
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
        // On a reader, which never waits for the write turn: each statement reads the latest
        // commit (sqlx resets it when done), so a session ended a moment ago is not found.
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn touch_session(&self, id: &str, at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?")
            .bind(ms(at))
            .bind(id)
            .execute(&*self.writer.turn().await)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(id)
            .execute(&*self.writer.turn().await)
            .await?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        sqlx::query("SELECT * FROM users ORDER BY email")
            .fetch_all(&self.reader)
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
        // Under the one write turn no other change runs between the check and the commit, so
        // two admins demoted at once cannot both see the other still standing.
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        let Some(before) = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::user(&row))
            .transpose()?
        else {
            return Ok(UserChanged::NoSuchUser);
        };
        // Whoever holds a session got it under the old standing: every change ends them all.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
        apply(&mut tx, before.id, change).await?;
        if keep_an_admin && enabled_admins(&mut tx).await? == 0 {
            tx.rollback().await?;
            return Ok(UserChanged::LastAdmin);
        }
        let after = sqlx::query("SELECT * FROM users WHERE id = ?")
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
             WHERE s.expires_at > ? ORDER BY s.created_at DESC, s.id"
        )))
        .bind(ms(now))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::session)
        .collect()
    }

    async fn add_api_token(&self, token: &ApiTokenRecord, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, role, created_at, name, expires_at, \
               last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.id)
        .bind(token_hash)
        .bind(token.role.as_str())
        .bind(ms(token.created_at))
        .bind(&token.name)
        .bind(token.expires_at.map(ms))
        .bind(token.last_used_at.map(ms))
        .bind(token.revoked_at.map(ms))
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>> {
        // A role this version does not know grants nothing: the row reads as corrupt, and the
        // request is refused.
        sqlx::query("SELECT * FROM api_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?
            .map(|row| rows::api_token(&row))
            .transpose()
    }

    async fn api_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        sqlx::query("SELECT * FROM api_tokens ORDER BY created_at, id")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::api_token)
            .collect()
    }

    async fn touch_api_token(&self, id: &str, at: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?",
        )
        .bind(ms(at))
        .bind(id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    async fn revoke_api_token(&self, id: &str, at: Timestamp) -> Result<Option<Timestamp>> {
        let revoked: Option<i64> = sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? \
             RETURNING revoked_at",
        )
        .bind(ms(at))
        .bind(id)
        .fetch_optional(&*self.writer.turn().await)
        .await?;
        revoked.map(ts).transpose()
    }
}

/// Makes one [`UserChange`] to the person with this id, inside the caller's transaction.
async fn apply(tx: &mut SqliteConnection, id: i64, change: UserChange) -> Result<()> {
    let query = match change {
        UserChange::Disable { at } => {
            sqlx::query("UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?")
                .bind(ms(at))
        }
        UserChange::Enable => sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = ?"),
        UserChange::SetRole(role) => {
            sqlx::query("UPDATE users SET role = ? WHERE id = ?").bind(role.as_str())
        }
        UserChange::Remove => sqlx::query("DELETE FROM users WHERE id = ?"),
    };
    query.bind(id).execute(tx).await?;
    Ok(())
}

/// How many admins may still sign in.
async fn enabled_admins(tx: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
    )
    .fetch_one(tx)
    .await?)
}
