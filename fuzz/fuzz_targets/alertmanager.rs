//! Fuzzes Alertmanager (and Grafana) webhook parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::alertmanager;

fuzz_target!(|data: &[u8]| {
    let _ = alertmanager::parse(data, &tocsin_fuzz::ctx());
});
