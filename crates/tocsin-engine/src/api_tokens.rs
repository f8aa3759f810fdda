//! API tokens: made by `tocsin token create`, checked on every API request. The store keeps only
//! a token's SHA-256, so a copy of the database opens nothing.

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tocsin_core::access::Role;
use tocsin_store::Store;

use crate::{Engine, EngineError};

/// A token just made: its secret is shown once and kept nowhere.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Names the token without revealing it (`tok_` and the secret's first 8 characters).
    pub id: String,
    /// `tcn_` and 64 hex characters: what a client sends as `Authorization: Bearer …`.
    pub token: String,
    pub role: Role,
}

/// The SHA-256 of an API token, hex: what the store keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Makes a random token with this role and keeps its hash (the `tocsin token create` command).
pub async fn create_api_token(
    store: &dyn Store,
    role: Role,
    now: Timestamp,
) -> Result<NewToken, EngineError> {
    let secret = rand::random::<[u8; 32]>();
    let token = format!(
        "tcn_{}",
        secret
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let id = format!("tok_{}", &token[4..12]);
    store
        .add_api_token(&id, &token_hash(&token), role, now)
        .await?;
    Ok(NewToken { id, token, role })
}

impl Engine {
    /// The role of the API token a request presented; `None` when no such token was made.
    /// Hashes are compared in the database, which leaks nothing usable about a token.
    pub async fn api_token_role(&self, token: &str) -> Result<Option<Role>, EngineError> {
        Ok(self.store.api_token_role(&token_hash(token)).await?)
    }
}
