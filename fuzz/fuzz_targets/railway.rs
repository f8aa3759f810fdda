//! Fuzzes Railway deployment webhook parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::railway;

fuzz_target!(|data: &[u8]| {
    let _ = railway::parse(data, &tocsin_fuzz::ctx());
});
