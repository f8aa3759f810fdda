//! Fuzzes Healthchecks-style ping suffix parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::heartbeat;

fuzz_target!(|data: &[u8]| {
    let _ = heartbeat::parse_suffix(std::str::from_utf8(data).ok());
});
