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
    #[error("no ticket with id `{0}`")]
    NoTicket(String),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Store(StoreError),
    /// Too much is waiting to be committed; the sender should retry shortly.
    #[error("tocsin is busy; retry in a second")]
    Busy,
    /// The store could not commit; the sender should retry.
    #[error("tocsin could not commit: {0}")]
    Unavailable(String),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::TokenUsed => EngineError::Token(TokenError::Used),
            other => EngineError::Store(other),
        }
    }
}
