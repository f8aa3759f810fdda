//! People who sign in to the web UI: passwords (Argon2id), sessions and their timeouts.
//!
//! A session ends after [`SESSION_IDLE`] without a request or [`SESSION_LIFETIME`] after sign-in,
//! whichever is first, and whenever its person's password, role or standing changes (see
//! `accounts`). The browser holds a random 32-byte token; the store keeps only its SHA-256, so a
//! copy of the database opens no session.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tocsin_store::{Role, SessionRecord, Store, StoreError, UserRecord};

use crate::{Engine, EngineError};

/// A session ends after this long without a request: a laptop left signed in overnight asks again.
pub const SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);
/// A session ends this long after sign-in, however active: a stolen cookie does not last.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Activity is written at most this often per session, so a page polling every few seconds does
/// not turn every poll into a write.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("`{0}` is not an e-mail address")]
    InvalidEmail(String),
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("a user with the e-mail `{0}` already exists")]
    EmailTaken(String),
    #[error("there is no user with the e-mail `{0}`")]
    NoSuchUser(String),
    /// Deliberately the same for an unknown e-mail and a wrong password.
    #[error("the e-mail or the password is not right")]
    WrongCredentials,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The canonical form of an e-mail: trimmed and lower-cased, so sign-in ignores case.
pub fn normalize_email(email: &str) -> Result<String, UserError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if valid {
        Ok(email)
    } else {
        Err(UserError::InvalidEmail(email))
    }
}

pub fn check_password_rules(password: &str) -> Result<(), UserError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::WeakPassword);
    }
    Ok(())
}

/// Argon2id with the crate's defaults (OWASP's recommendation: 19 MiB, 2 passes) and a random
/// salt, as a PHC string. Slow on purpose: call it off the async runtime's threads.
pub fn hash_password(password: &str) -> Result<String, UserError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| UserError::Hash(error.to_string()))
}

/// Whether `password` matches the PHC string (its own parameters are used). Slow on purpose.
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

async fn hash_off_runtime(password: String) -> Result<String, UserError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| UserError::Hash(error.to_string()))?
}

/// Adds a person (the `tocsin user add` command).
pub async fn add_user(
    store: &dyn Store,
    email: &str,
    role: Role,
    password: &str,
    now: Timestamp,
) -> Result<UserRecord, UserError> {
    let email = normalize_email(email)?;
    check_password_rules(password)?;
    let mut user = UserRecord {
        id: 0,
        email: email.clone(),
        role,
        password_hash: hash_off_runtime(password.to_owned()).await?,
        created_at: now,
        password_changed_at: now,
        disabled_at: None,
    };
    if !store.add_user(&user).await? {
        return Err(UserError::EmailTaken(email));
    }
    if let Some(stored) = store.user_by_email(&email).await? {
        user.id = stored.id;
    }
    Ok(user)
}

/// Sets a new password and ends every session of that person (the `tocsin user passwd` command).
pub async fn change_password(
    store: &dyn Store,
    email: &str,
    password: &str,
    now: Timestamp,
) -> Result<(), UserError> {
    let email = normalize_email(email)?;
    check_password_rules(password)?;
    let hash = hash_off_runtime(password.to_owned()).await?;
    if store.set_password(&email, &hash, now).await? {
        Ok(())
    } else {
        Err(UserError::NoSuchUser(email))
    }
}

/// A session just opened: the token goes into the browser's cookie, and nowhere else.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub user: UserRecord,
}

/// A valid session and who holds it.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The session's id (the SHA-256 of its token).
    pub session_id: String,
    pub csrf_token: String,
    pub email: String,
    pub role: Role,
}

/// The session id a token stands for.
fn session_id(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

fn random_token() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// Whether `token` has the shape [`random_token`] gives: 64 lowercase hex digits.
fn is_session_token(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

fn add(at: Timestamp, by: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(by)
        .ok()
        .and_then(|by| at.checked_add(by).ok())
        .unwrap_or(Timestamp::MAX)
}

/// A PHC string of a password nobody has, checked when the e-mail is unknown so that the answer
/// takes as long as for a wrong password and does not tell which e-mails exist.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

impl Engine {
    /// Checks an e-mail and password and opens a session. One answer for an unknown e-mail and
    /// a wrong password.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignedIn, UserError> {
        let Ok(email) = normalize_email(email) else {
            return Err(UserError::WrongCredentials);
        };
        let user = self.store.user_by_email(&email).await?;
        let phc = user.as_ref().map(|user| user.password_hash.clone());
        let password = password.to_owned();
        // The decoy is made on first use, inside the blocking task like every hash.
        let matches = tokio::task::spawn_blocking(move || {
            verify_password(phc.as_deref().unwrap_or_else(|| decoy_hash()), &password)
        })
        .await
        .unwrap_or(false);
        // A disabled person gets the answer a wrong password gets, after the same work.
        let Some(user) = user.filter(|user| matches && user.disabled_at.is_none()) else {
            return Err(UserError::WrongCredentials);
        };
        let now = self.now();
        let token = random_token();
        let session = SessionRecord {
            id: session_id(&token),
            user_id: user.id,
            csrf_token: random_token(),
            created_at: now,
            last_seen_at: now,
            expires_at: add(now, SESSION_LIFETIME),
        };
        self.store.add_session(&session).await?;
        Ok(SignedIn { token, user })
    }

    /// The session a cookie's token opens, if it is still valid; records the activity.
    /// A cookie that cannot be one tocsin made is refused before the store is asked, so junk
    /// cookies cost no database work; a real one is looked up on a reader (never the writer).
    pub async fn session(&self, token: &str) -> Result<Option<SessionUser>, EngineError> {
        if !is_session_token(token) {
            return Ok(None);
        }
        let id = session_id(token);
        let Some((session, user)) = self.store.session(&id).await? else {
            return Ok(None);
        };
        // Disabling deletes the sessions too; this also covers a row that outlived that.
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        let now = self.now();
        if now >= session.expires_at || now >= add(session.last_seen_at, SESSION_IDLE) {
            self.store.delete_session(&id).await?;
            return Ok(None);
        }
        if now >= add(session.last_seen_at, TOUCH_EVERY) {
            self.store.touch_session(&id, now).await?;
        }
        Ok(Some(SessionUser {
            session_id: id,
            csrf_token: session.csrf_token,
            email: user.email,
            role: user.role,
        }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, session_id: &str) -> Result<(), EngineError> {
        Ok(self.store.delete_session(session_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_without_case_and_must_look_like_emails() {
        assert_eq!(
            normalize_email("  Dana@Example.COM ").ok().as_deref(),
            Some("dana@example.com")
        );
        assert!(normalize_email("dana").is_err());
        assert!(normalize_email("@example.com").is_err());
        assert!(normalize_email("da na@example.com").is_err());
    }

    #[test]
    fn passwords_are_argon2id_and_verify_only_themselves() {
        assert!(check_password_rules("short").is_err());
        assert!(check_password_rules("twelve chars").is_ok());
        let phc = hash_password("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(&phc, "correct horse battery"));
        assert!(!verify_password(&phc, "correct horse battery!"));
        assert!(!verify_password("not a phc string", "anything"));
    }

    #[test]
    fn only_cookies_shaped_like_a_session_token_reach_the_store() {
        assert!(is_session_token(&random_token()));
        let upper = random_token().to_uppercase();
        for junk in [
            "",
            "abc",
            &upper,
            &format!("{}0", random_token()),
            &"g".repeat(64),
        ] {
            assert!(!is_session_token(junk), "{junk:?}");
        }
    }
}
