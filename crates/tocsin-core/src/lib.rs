//! tocsin-core: the domain and the pure engine. No I/O, no clock: `now` is always a parameter and
//! the only output is data.

pub mod access;
pub mod action_run;
pub mod check;
pub mod checklist;
pub mod comms;
pub mod customer_comms;
pub mod decide;
pub mod decision;
pub mod delivery;
pub mod deploys;
pub mod drill;
pub mod duration;
pub mod escalation;
pub mod escape;
pub mod inbound;
pub mod incident;
pub mod incident_filter;
pub mod live;
pub mod mitigation;
pub mod monitor;
pub mod monitor_records;
pub mod notice;
pub mod oncall;
pub mod ops_gauges;
pub mod policy;
pub mod postmortem;
pub mod public_title;
pub mod public_update;
pub mod redact;
pub mod response_metrics;
pub mod retry;
pub mod runbook;
pub mod schedule;
pub mod secret;
pub mod signal;
pub mod standard_webhooks;
pub mod status;
pub mod update_reminder;
pub mod uptime;

pub use duration::{DurationError, format_duration, parse_duration};
pub use secret::Secret;
