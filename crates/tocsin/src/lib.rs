//! The `tocsin` binary's library half: assembling a running server from a configuration (used by
//! `serve`, `demo` and the integration tests alike), the demo, and the API client.

pub mod app;
pub mod client;
pub mod demo;
pub mod export;
pub mod hangup;
pub mod log_colour;
pub mod man;
pub mod memory;
pub mod people_cli;
pub mod runbook_cli;
pub mod serve;
pub mod silence_cli;
pub mod store_copy;
