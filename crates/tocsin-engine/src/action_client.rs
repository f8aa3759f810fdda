//! Mitigation actions' part of the engine: the HTTP client their requests go out on (the
//! senders': the operator's proxy, no redirects, so a rollback is not re-sent somewhere else).
//! The actions themselves are in `actions.rs`.

#[derive(Debug)]
pub(crate) struct Actions {
    pub(crate) client: reqwest::Client,
}

impl Actions {
    pub(crate) fn new(client: reqwest::Client) -> Self {
        Actions { client }
    }
}
