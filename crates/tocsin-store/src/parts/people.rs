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

    /// Keeps a new API token's hash and role.
    async fn add_api_token(
        &self,
        id: &str,
        token_hash: &str,
        role: Role,
        at: Timestamp,
    ) -> Result<()>;

    /// The role of the token with this hash, if one was created.
    async fn api_token_role(&self, token_hash: &str) -> Result<Option<Role>>;
}
