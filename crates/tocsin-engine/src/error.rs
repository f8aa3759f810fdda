//! The engine's error: what callers (HTTP, CLI) map to an answer.

use tocsin_core::decide::Refusal;
use tocsin_store::StoreError;

use crate::ack::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The input is not possible in the current state or is invalid; nothing changed.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no incident with id `{0}`")]
    NoIncident(String),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::TokenUsed => EngineError::Token(TokenError::Used),
            other => EngineError::Store(other),
        }
    }
}
