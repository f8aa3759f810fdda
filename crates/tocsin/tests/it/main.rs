//! tocsin's integration tests, one binary: the real server on 127.0.0.1:0 with a manual clock,
//! real SQLite, and real local HTTP servers standing in for the watched app and for Slack.

mod abuse;
mod actions;
mod api;
mod cli;
mod comms;
mod crash;
mod demo;
mod drill;
mod durability;
mod escalation;
mod export;
mod flow;
mod full_disk;
mod inbound;
mod maintenance;
mod metrics;
mod openapi;
mod peers;
mod postmortem;
mod probes;
mod public_text;
mod replicas;
mod review_digest;
mod runbooks;
mod schedule;
mod self_monitoring;
mod status;
mod store_copy;
mod support;
mod tokens;
mod ui;
mod update_reminders;
mod watchdog;
