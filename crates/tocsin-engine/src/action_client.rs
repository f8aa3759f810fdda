//! Mitigation actions' part of the engine: the HTTP client their requests go out on (no proxy,
//! no redirects: a rollback is not re-sent somewhere else). The actions themselves are in
//! `actions.rs`.

#[derive(Debug)]
pub(crate) struct Actions {
    pub(crate) client: reqwest::Client,
}

impl Actions {
    pub(crate) fn new() -> Self {
        Actions {
            client: tocsin_notify::http_client(),
        }
    }
}
