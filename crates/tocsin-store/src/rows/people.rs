//! The people's rows: users, API tokens, on-call overrides, and the timers that page them.

use tocsin_core::access::Role;
use tocsin_core::oncall::OverrideRecord;

use super::{Columns, corrupt, ts, ts_opt};
use crate::{ApiTokenRecord, Result, SessionRecord, Timer, UserRecord};

/// A `users` row (also the `u.*` half of a session's row).
pub fn user(row: &(impl Columns + ?Sized)) -> Result<UserRecord> {
    let role = row.text("role")?;
    Ok(UserRecord {
        id: row.int("id")?,
        email: row.text("email")?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        password_hash: row.text("password_hash")?,
        created_at: ts(row.int("created_at")?)?,
        password_changed_at: ts(row.int("password_changed_at")?)?,
        disabled_at: ts_opt(row.maybe_int("disabled_at")?)?,
    })
}

/// An `api_tokens` row, without its hash.
pub fn api_token(row: &(impl Columns + ?Sized)) -> Result<ApiTokenRecord> {
    let role = row.text("role")?;
    Ok(ApiTokenRecord {
        id: row.text("id")?,
        name: row.text("name")?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        created_at: ts(row.int("created_at")?)?,
        expires_at: ts_opt(row.maybe_int("expires_at")?)?,
        last_used_at: ts_opt(row.maybe_int("last_used_at")?)?,
        revoked_at: ts_opt(row.maybe_int("revoked_at")?)?,
    })
}

/// A session with its person, from `sessions s JOIN users u` selecting `u.*` and the session's
/// columns as `session_id` and `session_created_at` beside `user_id`, `csrf_token`,
/// `last_seen_at` and `expires_at`.
pub fn session(row: &(impl Columns + ?Sized)) -> Result<(SessionRecord, UserRecord)> {
    let session = SessionRecord {
        id: row.text("session_id")?,
        user_id: row.int("user_id")?,
        csrf_token: row.text("csrf_token")?,
        created_at: ts(row.int("session_created_at")?)?,
        last_seen_at: ts(row.int("last_seen_at")?)?,
        expires_at: ts(row.int("expires_at")?)?,
    };
    Ok((session, user(row)?))
}

/// An `overrides` row.
pub fn override_record(row: &(impl Columns + ?Sized)) -> Result<OverrideRecord> {
    Ok(OverrideRecord {
        id: row.text("id")?,
        schedule: row.text("schedule")?,
        contact: row.text("contact")?,
        starts_at: ts(row.int("starts_at")?)?,
        ends_at: ts(row.int("ends_at")?)?,
        created_by: row.text("created_by")?,
        created_at: ts(row.int("created_at")?)?,
    })
}

/// A `timers` row.
pub fn timer(row: &(impl Columns + ?Sized)) -> Result<Timer> {
    Ok(Timer {
        id: row.int("id")?,
        kind: row.text("kind")?,
        incident_id: row.text("incident_id")?,
        due_at: ts(row.int("due_at")?)?,
    })
}

/// A `silences` row; its matchers are kept as the JSON object they were written as.
pub fn silence(row: &(impl Columns + ?Sized)) -> Result<tocsin_core::silence::SilenceRecord> {
    let matchers = row.text("matchers")?;
    Ok(tocsin_core::silence::SilenceRecord {
        id: row.text("id")?,
        matchers: serde_json::from_str(&matchers)
            .map_err(|_| corrupt("silence matchers", &matchers))?,
        starts_at: ts(row.int("starts_at")?)?,
        ends_at: ts(row.int("ends_at")?)?,
        comment: row.text("comment")?,
        created_by: row.text("created_by")?,
    })
}
