//! tocsin's integration tests, one binary: the real server on 127.0.0.1:0 with a manual clock,
//! real SQLite, and real local HTTP servers standing in for the watched app and for Slack.

mod api;
mod cli;
mod crash;
mod demo;
mod durability;
mod escalation;
mod flow;
mod full_disk;
mod inbound;
mod maintenance;
mod peers;
mod probes;
mod schedule;
mod status;
mod support;
mod ui;
