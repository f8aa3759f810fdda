//! API tokens: made by `tocsin token create` (or an admin's page), checked on every API
//! request. The store keeps only a token's SHA-256, so a copy of the database opens nothing.
//! A token has a name for the timeline, may expire, and may be revoked; either refuses it at
//! once, since every request reads the token's row (on a reader, never the writer).

use std::time::Duration;

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tocsin_core::access::Role;
use tocsin_store::{ApiTokenRecord, Store, StoreError};

use crate::{Engine, EngineError};

/// The last-used time is written at most this often per token, so a busy client's requests are
/// reads, not one write each.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// The longest name a token may have.
pub const MAX_NAME_CHARS: usize = 64;

/// A token just made: its secret is shown once and kept nowhere.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Names the token without revealing it (`tok_` and the secret's first 8 characters).
    pub id: String,
    /// `tcn_` and 64 hex characters: what a client sends as `Authorization: Bearer …`.
    pub token: String,
    pub name: String,
    pub role: Role,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error(
        "`{0}` is not a token name: use 1 to {MAX_NAME_CHARS} letters, digits, spaces, `-`, `_`, `.` or `@`, like `ci-deploy`"
    )]
    InvalidName(String),
    #[error(
        "`{0}` is not an expiry: write a duration from now like `30d` or `12h`, a date like `2027-01-01` (its start, UTC), or a time like `2027-01-01T09:00:00Z`"
    )]
    InvalidExpiry(String),
    #[error("the expiry {0} has already passed: give a later one")]
    ExpiryPassed(Timestamp),
    #[error("there is no API token with the id `{0}`; `tocsin token list` shows them")]
    NoSuchToken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `revoke` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now(Timestamp),
    /// It had been revoked already, at this time; nothing changed.
    Already(Timestamp),
}

/// The SHA-256 of an API token, hex: what the store keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether `token` has the shape [`create_api_token`] gives: `tcn_` and 64 lowercase hex digits.
fn is_api_token(token: &str) -> bool {
    token.strip_prefix("tcn_").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    })
}

/// A token's name, trimmed, if it is one: plain characters only, since it is written into the
/// timeline and the logs inside quotes.
pub fn check_name(name: &str) -> Result<String, ApiTokenError> {
    let name = name.trim();
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '@'));
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !plain {
        return Err(ApiTokenError::InvalidName(name.to_owned()));
    }
    Ok(name.to_owned())
}

/// When a token given `--expires TEXT` at `now` expires: a duration from now (`30d`, `12h`), a
/// date (its start, UTC) or an RFC 3339 time. It must be later than `now`.
pub fn parse_expiry(text: &str, now: Timestamp) -> Result<Timestamp, ApiTokenError> {
    let text = text.trim();
    let invalid = || ApiTokenError::InvalidExpiry(text.to_owned());
    let at =
        if text.starts_with(|c: char| c.is_ascii_digit()) && text.ends_with(char::is_alphabetic) {
            let duration = tocsin_core::duration::parse_duration(text).map_err(|_| invalid())?;
            jiff::SignedDuration::try_from(duration)
                .ok()
                .and_then(|by| now.checked_add(by).ok())
                .ok_or_else(invalid)?
        } else if let Ok(at) = text.parse::<Timestamp>() {
            at
        } else {
            let date: jiff::civil::Date = text.parse().map_err(|_| invalid())?;
            date.to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|_| invalid())?
                .timestamp()
        };
    if at <= now {
        return Err(ApiTokenError::ExpiryPassed(at));
    }
    Ok(at)
}

/// How the timeline and the logs name a request made with this token: `token "ci-deploy"
/// (tok_ab12cd34)`.
pub fn caller_name(token: &ApiTokenRecord) -> String {
    format!("token \"{}\" ({})", token.name, token.id)
}

/// Makes a random token with this name, role and expiry and keeps its hash (the `tocsin token
/// create` command, and the admin's page).
pub async fn create_api_token(
    store: &dyn Store,
    name: &str,
    role: Role,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<NewToken, ApiTokenError> {
    let name = check_name(name)?;
    if let Some(at) = expires_at.filter(|at| *at <= now) {
        return Err(ApiTokenError::ExpiryPassed(at));
    }
    let secret = rand::random::<[u8; 32]>();
    let token = format!(
        "tcn_{}",
        secret
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let id = format!("tok_{}", &token[4..12]);
    let record = ApiTokenRecord {
        id: id.clone(),
        name: name.clone(),
        role,
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    store.add_api_token(&record, &token_hash(&token)).await?;
    Ok(NewToken {
        id,
        token,
        name,
        role,
        expires_at,
    })
}

/// Every token ever made, revoked ones too, oldest first; never a secret.
pub async fn list(store: &dyn Store) -> Result<Vec<ApiTokenRecord>, ApiTokenError> {
    Ok(store.api_tokens().await?)
}

/// Revokes the token with this id (the `tocsin token revoke` command): refused from the next
/// request on.
pub async fn revoke(store: &dyn Store, id: &str, now: Timestamp) -> Result<Revoked, ApiTokenError> {
    let id = id.trim();
    match store.revoke_api_token(id, now).await? {
        None => Err(ApiTokenError::NoSuchToken(id.to_owned())),
        Some(at) if at == now => Ok(Revoked::Now(at)),
        Some(at) => Ok(Revoked::Already(at)),
    }
}

/// Whether a token may be used at `now`: not revoked, not expired.
pub fn is_usable(token: &ApiTokenRecord, now: Timestamp) -> bool {
    token.revoked_at.is_none() && token.expires_at.is_none_or(|at| now < at)
}

fn add(at: Timestamp, by: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(by)
        .ok()
        .and_then(|by| at.checked_add(by).ok())
        .unwrap_or(Timestamp::MAX)
}

impl Engine {
    /// The API token a request presented, if it is one that was made and is neither revoked
    /// nor expired; records its use (at most once a [`TOUCH_EVERY`]). Hashes are compared in
    /// the database, which leaks nothing usable about a token; a string that cannot be a token
    /// is refused without asking the store.
    pub async fn api_token(&self, token: &str) -> Result<Option<ApiTokenRecord>, EngineError> {
        if !is_api_token(token) {
            return Ok(None);
        }
        let Some(record) = self.store.api_token(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !is_usable(&record, now) {
            return Ok(None);
        }
        if record
            .last_used_at
            .is_none_or(|used| now >= add(used, TOUCH_EVERY))
        {
            self.store.touch_api_token(&record.id, now).await?;
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a time")
    }

    #[test]
    fn an_expiry_is_a_duration_a_date_or_a_time_and_lies_ahead() {
        let now = at("2026-11-26T10:00:00Z");
        assert_eq!(
            parse_expiry("30d", now).ok(),
            Some(at("2026-12-26T10:00:00Z"))
        );
        assert_eq!(
            parse_expiry("2027-01-01", now).ok(),
            Some(at("2027-01-01T00:00:00Z"))
        );
        assert_eq!(
            parse_expiry("2027-01-01T09:30:00+02:00", now).ok(),
            Some(at("2027-01-01T07:30:00Z"))
        );
        assert!(matches!(
            parse_expiry("2026-01-01", now),
            Err(ApiTokenError::ExpiryPassed(_))
        ));
        for bad in ["", "soon", "30", "30 days", "2027-13-01"] {
            assert!(
                matches!(parse_expiry(bad, now), Err(ApiTokenError::InvalidExpiry(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_are_plain_and_short() {
        assert_eq!(
            check_name("  ci-deploy ").ok().as_deref(),
            Some("ci-deploy")
        );
        assert!(check_name("grafana@ops.example").is_ok());
        for bad in ["", "   ", "a\"b", "line\nbreak", "é", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_strings_shaped_like_a_token_reach_the_store() {
        assert!(is_api_token(&format!("tcn_{}", "ab".repeat(32))));
        for junk in ["", "tcn_", "tcn_abc", &format!("tcn_{}", "AB".repeat(32))] {
            assert!(!is_api_token(junk), "{junk:?}");
        }
    }

    #[test]
    fn a_revoked_or_expired_token_is_not_usable() {
        let token = ApiTokenRecord {
            id: "tok_ab12cd34".into(),
            name: "ci-deploy".into(),
            role: Role::Responder,
            created_at: at("2026-11-26T00:00:00Z"),
            expires_at: Some(at("2026-11-27T00:00:00Z")),
            last_used_at: None,
            revoked_at: None,
        };
        assert!(is_usable(&token, at("2026-11-26T23:59:59Z")));
        assert!(!is_usable(&token, at("2026-11-27T00:00:00Z")));
        let revoked = ApiTokenRecord {
            revoked_at: Some(at("2026-11-26T01:00:00Z")),
            ..token.clone()
        };
        assert!(!is_usable(&revoked, at("2026-11-26T02:00:00Z")));
        assert_eq!(caller_name(&token), "token \"ci-deploy\" (tok_ab12cd34)");
    }
}
