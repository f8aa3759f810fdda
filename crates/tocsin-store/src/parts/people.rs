//! People and sessions: users, sign-in sessions, API tokens, schedule overrides and kept settings.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::*;

/// People and sessions: users, sign-in sessions, API tokens, schedule overrides and kept settings.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// Schedule overrides.
    async fn add_override(&self, entry: &OverrideRecord) -> Result<()>;

    /// Overrides that end after `ending_after` (current and future ones).
    async fn overrides(&self, ending_after: Timestamp) -> Result<Vec<OverrideRecord>>;

    async fn delete_override(&self, id: &str) -> Result<bool>;

    /// A named value kept across restarts, created by `create` on first use.
    async fn setting_or_insert(&self, name: &str, create: String) -> Result<String>;

    /// Adds a person who signs in to the web UI; `false` when the e-mail is taken (any case).
    async fn add_user(&self, user: &UserRecord) -> Result<bool>;

    /// The person with this e-mail (any case).
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;

    /// Sets a person's password hash and ends all of their sessions, in one transaction;
    /// `false` when there is no such person.
    async fn set_password(&self, email: &str, password_hash: &str, at: Timestamp) -> Result<bool>;

    /// Records a new session (and deletes sessions that ended before `session.created_at`).
    async fn add_session(&self, session: &SessionRecord) -> Result<()>;

    /// The session with this id and its person, whether or not it has expired.
    async fn session(&self, id: &str) -> Result<Option<(SessionRecord, UserRecord)>>;

    /// Records activity on a session (for the idle timeout).
    async fn touch_session(&self, id: &str, at: Timestamp) -> Result<()>;

    async fn delete_session(&self, id: &str) -> Result<()>;

    /// Everyone who may sign in (or was disabled), by e-mail.
    async fn users(&self) -> Result<Vec<UserRecord>>;

    /// Disables, enables, re-roles or removes a person and ends all of their sessions, in one
    /// transaction. With `keep_an_admin`, a change that would leave no enabled admin changes
    /// nothing and answers [`UserChanged::LastAdmin`]; two admins changed at once by two
    /// callers cannot both pass that check.
    async fn change_user(
        &self,
        email: &str,
        change: UserChange,
        keep_an_admin: bool,
    ) -> Result<UserChanged>;

    /// Sessions that have not reached their absolute end by `now`, with their people, newest
    /// first (the idle timeout is the engine's to apply).
    async fn live_sessions(&self, now: Timestamp) -> Result<Vec<(SessionRecord, UserRecord)>>;

    /// Keeps a new API token: its record and the SHA-256 of its secret, never the secret.
    async fn add_api_token(&self, token: &ApiTokenRecord, token_hash: &str) -> Result<()>;

    /// The token with this hash, whatever its expiry or revocation (the caller decides).
    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>>;

    /// Every API token ever made, revoked ones too, oldest first.
    async fn api_tokens(&self) -> Result<Vec<ApiTokenRecord>>;

    /// Records a use of a token; never moves `last_used_at` back.
    async fn touch_api_token(&self, id: &str, at: Timestamp) -> Result<()>;

    /// Revokes a token; its `revoked_at` afterwards (an earlier one when it was already
    /// revoked), or `None` when there is no token with this id.
    async fn revoke_api_token(&self, id: &str, at: Timestamp) -> Result<Option<Timestamp>>;
}
