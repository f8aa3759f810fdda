//! Managing who may sign in: disable, enable, change a role or remove a person (each ends all of
//! their sessions), list people with their live sessions, and end one session.
//!
//! The last-admin rule: tocsin must always keep a way to administer it through the server, so
//! a change that would leave no enabled admin is refused unless `server.admin_token` is set
//! (that token is the way back in). The `tocsin user` command follows the same rule, though it
//! works on the database directly: it says to add another admin first, which it can always do.

use jiff::Timestamp;
use tocsin_config::Config;
pub use tocsin_store::UserChange;
use tocsin_store::{
    ApiTokenRecord, Role, SessionRecord, Store, StoreError, UserChanged, UserRecord,
};

use crate::api_tokens::{ApiTokenError, NewToken, Revoked};
use crate::users::{SESSION_IDLE, normalize_email};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("there is no user with the e-mail `{0}`; `tocsin user list` shows everyone")]
    NoSuchUser(String),
    #[error(
        "`{0}` is the last enabled admin, and `server.admin_token` is not set: make someone else an admin first (`tocsin user add EMAIL --role admin` or `tocsin user role EMAIL --role admin`), or set `server.admin_token`"
    )]
    LastAdmin(String),
    #[error("`{0}` is not an e-mail address")]
    InvalidEmail(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `server.admin_token` gives a way to administer tocsin without any admin person.
pub fn admin_token_configured(config: &Config) -> bool {
    config
        .server
        .admin_token
        .as_ref()
        .is_some_and(|token| !token.is_empty())
}

/// Makes one change to the person with this e-mail and ends all of their sessions, refusing
/// (with nothing changed) one that would leave no enabled admin when no admin token is set.
pub async fn change_user(
    store: &dyn Store,
    config: &Config,
    email: &str,
    change: UserChange,
) -> Result<UserRecord, AccountError> {
    let email = normalize_email(email).map_err(|_| AccountError::InvalidEmail(email.to_owned()))?;
    let keep_an_admin = !admin_token_configured(config);
    match store.change_user(&email, change, keep_an_admin).await? {
        UserChanged::Changed(user) => Ok(user),
        UserChanged::NoSuchUser => Err(AccountError::NoSuchUser(email)),
        UserChanged::LastAdmin => Err(AccountError::LastAdmin(email)),
    }
}

/// A session as an admin sees it: whose, and when; never its token.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The session's id (the SHA-256 of its token): it opens nothing, and names it to end it.
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Sessions still open at `now` (neither past their absolute end nor idle too long), newest
/// first.
pub async fn live_sessions(
    store: &dyn Store,
    now: Timestamp,
) -> Result<Vec<LiveSession>, AccountError> {
    let idle = jiff::SignedDuration::try_from(SESSION_IDLE).unwrap_or(jiff::SignedDuration::MAX);
    Ok(store
        .live_sessions(now)
        .await?
        .into_iter()
        .filter(|(session, user)| {
            user.disabled_at.is_none()
                && session
                    .last_seen_at
                    .checked_add(idle)
                    .is_ok_and(|idle_end| now < idle_end)
        })
        .map(|(session, user): (SessionRecord, UserRecord)| LiveSession {
            id: session.id,
            email: user.email,
            role: user.role,
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
        })
        .collect())
}

/// Everyone who may sign in or was disabled, by e-mail.
pub async fn users(store: &dyn Store) -> Result<Vec<UserRecord>, AccountError> {
    Ok(store.users().await?)
}

/// Ends one session (an admin's "sign out" for someone else's browser).
pub async fn end_session(store: &dyn Store, id: &str) -> Result<(), AccountError> {
    Ok(store.delete_session(id).await?)
}

/// The admin page's view of people, sessions and tokens, and its changes: the same functions the
/// `tocsin user` and `tocsin token` commands call, on this engine's store and clock (the web
/// crate reaches the store only through the engine).
impl crate::Engine {
    /// Everyone who may sign in or was disabled, by e-mail.
    pub async fn users(&self) -> Result<Vec<UserRecord>, AccountError> {
        users(self.store.as_ref()).await
    }

    /// Sessions open now, newest first.
    pub async fn live_sessions(&self) -> Result<Vec<LiveSession>, AccountError> {
        live_sessions(self.store.as_ref(), self.now()).await
    }

    /// One change to a person; their sessions end with it.
    pub async fn change_user(
        &self,
        email: &str,
        change: UserChange,
    ) -> Result<UserRecord, AccountError> {
        change_user(self.store.as_ref(), &self.config(), email, change).await
    }

    /// Ends one session.
    pub async fn end_session(&self, id: &str) -> Result<(), AccountError> {
        end_session(self.store.as_ref(), id).await
    }

    /// Every API token, revoked ones too; never a secret.
    pub async fn api_tokens(&self) -> Result<Vec<ApiTokenRecord>, ApiTokenError> {
        crate::api_tokens::list(self.store.as_ref()).await
    }

    /// Makes an API token now; its secret is in the answer and nowhere else.
    pub async fn create_api_token(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<Timestamp>,
    ) -> Result<NewToken, ApiTokenError> {
        crate::api_tokens::create_api_token(self.store.as_ref(), name, role, expires_at, self.now())
            .await
    }

    /// Revokes an API token now.
    pub async fn revoke_api_token(&self, id: &str) -> Result<Revoked, ApiTokenError> {
        crate::api_tokens::revoke(self.store.as_ref(), id, self.now()).await
    }
}
